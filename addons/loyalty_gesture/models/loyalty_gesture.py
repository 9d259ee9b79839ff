from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, create_index

# Once fulfilled, points and cost are what the customer got and what it cost: frozen.
FROZEN_STATES = ("done", "followed_up")
SEVERITY_FROM_PRIORITY = {"0": "low", "1": "medium", "2": "high", "3": "critical"}

# What a user may set on a draft gesture: what the grant form and the wizard send.
# Everything else (state, people, links to what fulfilment created, points, cost) is set
# by the server; see ``_care_writable_fields``.
DRAFT_FIELDS = frozenset(
    {
        "partner_id",
        "ticket_id",
        "type_id",
        "value",
        "company_id",
        "sale_order_id",
        "invoice_id",
        "paid_with_points",
        "channel_id",
        "severity",
        "reason",
    }
)


class LoyaltyGesture(models.Model):
    """A commercial gesture granted to a customer, usually from a helpdesk ticket."""

    _name = "loyalty.gesture"
    _description = "Commercial gesture"
    _inherit = ["mail.thread", "mail.activity.mixin", "care.number.guard", "care.field.policy"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", readonly=True, copy=False, default=lambda self: self.env._("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    ticket_id = fields.Many2one("helpdesk.ticket", index=True, tracking=True, check_company=True)
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sale order",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('partner_id.commercial_partner_id', '=', commercial_partner_id)]",
        help="The order the gesture is about; a discount gesture is applied to it.",
    )
    invoice_id = fields.Many2one(
        "account.move",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('commercial_partner_id', '=', commercial_partner_id)]",
        help="The invoice a partial refund reverses.",
    )
    type_id = fields.Many2one(
        "loyalty.gesture.type",
        string="Gesture type",
        required=True,
        tracking=True,
        check_company=True,
        domain="[('company_id', 'in', (company_id, False))]",
    )
    category = fields.Selection(related="type_id.category", store=True)
    fulfilment = fields.Selection(related="type_id.fulfilment", store=True)
    value = fields.Monetary(
        compute="_compute_value", store=True, readonly=False, precompute=True, tracking=True
    )
    cost = fields.Monetary(
        string="Real cost",
        compute="_compute_cost",
        store=True,
        # not readonly for the superuser's data and imports; users cannot set it (allow-list)
        readonly=False,
        precompute=True,
        help="What the gesture costs the company, computed: its value plus the type's unit "
        "cost (a gift: its product's cost plus the unit cost). Frozen once fulfilled.",
    )
    channel_id = fields.Many2one("loyalty.gesture.channel", tracking=True)
    severity = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")],
        compute="_compute_severity",
        store=True,
        readonly=False,
        precompute=True,
        help="How serious the customer's trouble was (from the ticket's priority).",
    )
    reason = fields.Text()
    points = fields.Float(
        string="Points credited",
        compute="_compute_points",
        store=True,
        readonly=False,  # for the superuser only, as ``cost``
        precompute=True,
        help="Loyalty points credited to the customer's card (points gestures): the value "
        "divided by what the points program's reward gives per point. Frozen once fulfilled.",
    )
    points_worth = fields.Monetary(
        compute="_compute_points_text",
        help="What the credited points give the customer, by the points program's reward.",
    )
    points_text = fields.Char(string="Points", compute="_compute_points_text")
    paid_with_points = fields.Boolean(
        help="The customer exchanges loyalty points for this gesture.",
    )
    points_spent = fields.Float(compute="_compute_points_spent", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("to_approve", "To approve"),
            ("approved", "Approved"),
            ("done", "Done"),
            ("followed_up", "Followed up"),
            ("refused", "Refused"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        readonly=True,
    )
    requested_by_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True, copy=False
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)
    done_date = fields.Datetime(string="Fulfilled on", readonly=True, copy=False)
    follow_up_date = fields.Date(readonly=True, copy=False)
    # What fulfilment created
    coupon_card_id = fields.Many2one("loyalty.card", string="Coupon", readonly=True, copy=False)
    coupon_code = fields.Char(related="coupon_card_id.code")
    coupon_expiration_date = fields.Date(related="coupon_card_id.expiration_date")
    refund_move_id = fields.Many2one(
        "account.move", string="Credit note", readonly=True, copy=False
    )
    gift_order_id = fields.Many2one("sale.order", string="Gift order", readonly=True, copy=False)
    points_history_id = fields.Many2one(
        "loyalty.history", string="Points credit", readonly=True, copy=False
    )
    points_spent_history_id = fields.Many2one(
        "loyalty.history", string="Points debit", readonly=True, copy=False
    )
    task_activity_id = fields.Many2one(
        "mail.activity", string="Task", readonly=True, copy=False, ondelete="set null"
    )
    # Results
    coupon_used = fields.Boolean(string="Coupon redeemed", compute="_compute_results")
    revenue_after = fields.Monetary(
        string="Revenue 90 days after",
        compute="_compute_results",
        help="Confirmed orders of the customer in the 90 days after the gesture.",
    )
    phone_script = fields.Text(compute="_compute_phone_script")

    _sql_constraints = [
        ("value_positive", "CHECK(value >= 0)", "A gesture cannot have a negative value."),
        (
            "points_positive",
            "CHECK(points >= 0 AND points_spent >= 0 AND cost >= 0)",
            "Points and costs cannot be negative.",
        ),
    ]

    def _auto_init(self):
        res = super()._auto_init()
        # the list's order (newest first) read from an index: the Gestures screen at 1M
        # customers, where a campaign creates thousands of gestures at the same instant
        create_index(
            self.env.cr,
            "loyalty_gesture__create_date_id_index",
            self._table,
            ["create_date DESC", "id DESC"],
        )
        return res

    # --- CRUD ---

    def _care_writable_fields(self, operation):
        """Agents and managers alike: in draft, what the grant form sets; after, nothing
        (the buttons change the state, the server writes what it derives)."""
        if operation == "create" or self.state == "draft":
            return set(DRAFT_FIELDS)
        return set()

    def _care_refuse_fields(self, fields_refused):
        if self and self.state != "draft" and fields_refused & DRAFT_FIELDS:
            raise UserError(
                self.env._(
                    "Gesture %(name)s is no longer a draft: it cannot be changed; cancel it "
                    "and grant another.",
                    name=self.name,
                )
            )
        return super()._care_refuse_fields(fields_refused)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_value_not_negative(vals)
        gestures = super().create(vals_list)
        gestures._apply_derived_values()
        self.env["loyalty.gesture.charter"]._check_gestures(gestures)
        return gestures

    def _prepare_create_values(self, vals_list):
        # the references are drawn after the allow-list was checked (see care.field.policy)
        result = super()._prepare_create_values(vals_list)
        unnamed = [v for v in result if v.get("name", self.env._("New")) == self.env._("New")]
        for vals, name in zip(unnamed, self._next_names(len(unnamed)), strict=True):
            vals["name"] = name
        return result

    @api.model
    def _next_names(self, count):
        """``count`` references from the gesture sequence, drawn in one query."""
        if count <= 1:
            return [self.env["ir.sequence"].next_by_code("loyalty.gesture") for _i in range(count)]
        sequence = (
            self.env["ir.sequence"]
            .sudo()  # sudo: what next_by_code reads for any user
            .search(
                [
                    ("code", "=", "loyalty.gesture"),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence or sequence.implementation != "standard" or sequence.use_date_range:
            return [self.env["ir.sequence"].next_by_code("loyalty.gesture") for _i in range(count)]
        numbers = self.env.execute_query(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1",
                "ir_sequence_%03d" % sequence.id,
                count,
            )
        )
        # get_next_char, its prefix and suffix interpolated once (not per number)
        prefix, suffix = sequence._get_prefix_suffix()
        number_format = "%%0%sd" % sequence.padding
        return [prefix + number_format % number + suffix for (number,) in numbers]

    def write(self, vals):
        self._check_value_not_negative(vals)
        result = super().write(vals)
        if {"type_id", "value", "company_id"} & vals.keys():
            self._apply_derived_values()
        if {"partner_id", "type_id", "value", "ticket_id", "company_id"} & vals.keys():
            self.env["loyalty.gesture.charter"]._check_gestures(self)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(g.state not in ("draft", "cancelled") for g in self):
            raise UserError(self.env._("Only draft or cancelled gestures can be deleted."))

    # --- Actions ---

    def action_submit(self):
        """Grant at once within the agent's limit, else wait for a manager."""
        self.check_access("write")
        self._lock_rows()
        if any(gesture.state != "draft" for gesture in self):
            raise UserError(self.env._("Only a draft gesture can be submitted."))
        if self._one_per_customer():
            # batch: one charter evaluation for all (the same figures as one at a time,
            # no gesture of the batch sharing a customer with another)
            self._check_grantable_batch()
            results = self.env["loyalty.gesture.charter"]._evaluate_gestures(self)
            to_approve = self.filtered(lambda g: results[g.id]["needs_approval"])
            if to_approve:
                to_approve._set_state("to_approve")
                self.env["loyalty.gesture.charter"]._request_approval(to_approve)
            (self - to_approve)._set_state("approved", approved_by_id=self.env.uid)
        else:
            # gestures of one customer one after the other: each counts for the next
            for gesture in self:
                gesture._check_grantable()
                if gesture._needs_approval():
                    gesture._set_state("to_approve")
                    self.env["loyalty.gesture.charter"]._request_approval(gesture)
                else:
                    gesture._set_state("approved", approved_by_id=self.env.uid)
        self.filtered(lambda g: g.state == "approved").action_done()

    def action_approve(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can approve a gesture."))
        self.check_access("write")
        self._lock_rows()
        for gesture in self:
            if gesture.state != "to_approve":
                raise UserError(
                    self.env._("Gesture %(name)s is not waiting for approval.", name=gesture.name)
                )
            if gesture.requested_by_id == self.env.user:
                raise UserError(self.env._("You cannot approve a gesture you requested yourself."))
            gesture._check_grantable()
        self._set_state("approved", approved_by_id=self.env.uid)
        self.env["loyalty.gesture.charter"]._close_approval(self, approved=True)
        self.action_done()

    def action_refuse(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can refuse a gesture."))
        self.check_access("write")
        if any(g.state != "to_approve" for g in self):
            raise UserError(self.env._("Only a gesture waiting for approval can be refused."))
        self._set_state("refused")
        self.env["loyalty.gesture.charter"]._close_approval(self, approved=False)

    def action_done(self):
        """Fulfil approved gestures: create what they give, email the customer.

        Idempotent and safe against double clicks: the rows are locked, then gestures
        already done are skipped, so nothing is ever created twice.
        """
        self.check_access("write")
        self._lock_rows()
        todo = self.filtered(lambda g: g.state not in FROZEN_STATES)
        for gesture in todo:
            if gesture.state != "approved":
                raise UserError(
                    self.env._("Gesture %(name)s is not approved yet.", name=gesture.name)
                )
        if len(todo) > 1 and todo._one_per_customer():
            todo._check_grantable_batch()
            todo._complete()
            return True
        for gesture in todo:
            gesture._check_grantable()
            gesture._complete()
        return True

    def _complete(self):
        """Fulfil, mark done, email the customers and schedule the follow-ups."""
        self._fulfil()
        self._set_state("done", done_date=fields.Datetime.now())
        for gesture in self:
            gesture._send_gesture_email()
        self._schedule_follow_ups()

    def action_cancel(self):
        """Cancel, undoing what fulfilment created where Odoo allows it."""
        self.check_access("write")
        self._lock_rows()
        todo = self.filtered(lambda g: g.state != "cancelled")
        for gesture in todo:
            if gesture.state in ("followed_up", "refused"):
                raise UserError(
                    self.env._("Gesture %(name)s can no longer be cancelled.", name=gesture.name)
                )
        todo.filtered(lambda g: g.state == "done")._undo_fulfilment()
        todo._set_state("cancelled")
        self.activity_unlink(["loyalty_gesture.mail_activity_type_gesture_follow_up"])

    def action_follow_up(self):
        """Mark the follow-up done: the customer was asked how the gesture landed."""
        self.check_access("write")
        if any(g.state != "done" for g in self):
            raise UserError(self.env._("Only a fulfilled gesture can be followed up."))
        activities = self.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("loyalty_gesture.mail_activity_type_gesture_follow_up")
            )
        )
        if activities:
            activities.action_done()  # sets the gestures followed up
        self.filtered(lambda g: g.state == "done")._set_state("followed_up")

    def action_view_coupon(self):
        return self._action_open(self.coupon_card_id)

    def action_view_refund(self):
        return self._action_open(self.refund_move_id)

    def action_view_gift_order(self):
        return self._action_open(self.gift_order_id)

    def _action_open(self, record):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [(False, "form")],
        }

    # --- Workflow helpers ---

    def _set_state(self, state, **values):
        """The only door to the workflow state (see :meth:`write`)."""
        self._write_workflow(dict(values, state=state))

    def _write_workflow(self, values):
        self.sudo().write(values)  # sudo: workflow fields are locked for users (see write)

    def _lock_rows(self):
        """Lock the gestures so two clicks or two workers never fulfil one twice."""
        if not self.ids:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL("SELECT id FROM loyalty_gesture WHERE id IN %s FOR UPDATE", tuple(self.ids))
        )
        self.invalidate_recordset()

    def _needs_approval(self):
        """Whether a manager must approve (hook for the charter)."""
        self.ensure_one()
        return self.env["loyalty.gesture.charter"]._evaluate_gesture(self)["needs_approval"]

    def _one_per_customer(self):
        """Whether no two gestures of ``self`` are for the same customer (batch paths)."""
        customers = [g.partner_id.commercial_partner_id.id for g in self]
        return len(set(customers)) == len(customers)
