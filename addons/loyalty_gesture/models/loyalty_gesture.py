from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

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
# Fulfilments whose value is money, points or goods: a zero value makes no sense.
VALUED_FULFILMENTS = ("coupon", "order_discount", "refund", "points", "gift", "free_delivery")
# Fulfilments whose value comes from a product, never from the user.
DERIVED_FULFILMENTS = ("gift", "free_delivery")


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

    # --- Computes ---

    @api.depends("type_id")
    def _compute_value(self):
        for gesture in self:
            derived = gesture._derived_value()
            gesture.value = gesture.type_id.default_value if derived is None else derived

    @api.depends("value", "type_id")
    def _compute_cost(self):
        for gesture in self:
            if gesture.state in FROZEN_STATES and gesture._origin:
                continue  # what it cost is history
            gesture.cost = gesture._real_cost()

    @api.depends("ticket_id")
    def _compute_severity(self):
        for gesture in self:
            gesture.severity = SEVERITY_FROM_PRIORITY.get(gesture.ticket_id.priority, "medium")

    @api.depends("value", "type_id", "company_id")
    def _compute_points(self):
        for gesture in self:
            if gesture.state in FROZEN_STATES and gesture._origin:
                continue  # the card was credited these points
            program, company, currency = gesture._points_program()
            gesture.points = (
                program._care_points_for(gesture.value, currency, company) if program else 0.0
            )

    @api.depends("points", "type_id", "company_id")
    @api.depends_context("lang")
    def _compute_points_text(self):
        for gesture in self:
            program, company, currency = gesture._points_program()
            worth = program._care_point_worth(currency, company) if program else 0.0
            gesture.points_worth = currency.round(gesture.points * worth)
            gesture.points_text = (
                gesture._format_points(gesture.points, gesture.points_worth) if program else False
            )

    def _points_program(self):
        """(points program or False, company, currency) of a points gesture."""
        self.ensure_one()
        company = self.company_id or self.env.company
        currency = self.currency_id or company.currency_id
        program = self.type_id.fulfilment == "points" and company._care_points_program()
        return program, company, currency

    def _format_points(self, points, worth):
        """ "120 points, worth 12.00 €": whole points without a decimal part."""
        return self.env._(
            "%(points)s points, worth %(worth)s",
            points=formatLang(self.env, points, digits=0 if float(points).is_integer() else 2),
            worth=(self.currency_id or self.env.company.currency_id).format(worth),
        )

    def _derived_value(self):
        """The value a gift or a free delivery is worth (from its product), else None."""
        self.ensure_one()
        if self.type_id.fulfilment not in DERIVED_FULFILMENTS:
            return None
        company = self.company_id or self.env.company
        return self.type_id._derived_value(company, self.currency_id or company.currency_id)

    def _real_cost(self):
        """What the gesture costs the company: a gift its product's cost, anything else
        its value; plus the type's unit cost."""
        self.ensure_one()
        gesture_type = self.type_id
        amount = self.value
        if gesture_type.fulfilment == "gift" and gesture_type.product_id:
            product = gesture_type.product_id.with_company(self.company_id)
            currency = self.currency_id or self.env.company.currency_id
            amount = (product.cost_currency_id or currency)._convert(
                product.standard_price,
                currency,
                self.company_id or self.env.company,
                fields.Date.today(),
            )
        return amount + gesture_type.unit_cost

    @api.depends("paid_with_points", "type_id")
    def _compute_points_spent(self):
        for gesture in self:
            gesture.points_spent = gesture.type_id.points_price if gesture.paid_with_points else 0

    @api.depends("type_id", "partner_id", "value", "requested_by_id")
    def _compute_phone_script(self):
        for gesture in self:
            gesture.phone_script = (
                gesture.type_id._render_phone_script(
                    gesture.partner_id,
                    gesture.requested_by_id or self.env.user,
                    gesture.value,
                    gesture.currency_id,
                )
                if gesture.type_id
                else False
            )

    def _compute_results(self):
        """Coupon redeemed and revenue after the gesture, in two queries for all."""
        cards = self.coupon_card_id
        used = set()
        if cards:
            used = {
                card.id
                for [card] in self.env["sale.order.line"]
                .sudo()  # sudo: a figure, agents may lack sales rights
                ._read_group(
                    [("coupon_id", "in", cards.ids), ("order_id.state", "=", "sale")],
                    ["coupon_id"],
                )
            }
        revenue = {}
        done = self.filtered("done_date")
        if done.ids:
            # an aggregate made for the gesture's readers on purpose: the customer's
            # revenue in the gesture's company, never an order's name or lines
            self.env["sale.order"].flush_model(["partner_id", "state", "date_order"])
            self.env["res.partner"].flush_model(["commercial_partner_id"])
            self.flush_recordset(["done_date", "commercial_partner_id", "company_id"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT g.id, COALESCE(SUM(so.amount_untaxed), 0)
                      FROM loyalty_gesture g
                      JOIN res_partner p ON p.commercial_partner_id = g.commercial_partner_id
                      JOIN sale_order so ON so.partner_id = p.id
                       AND so.company_id = g.company_id
                       AND so.state = 'sale'
                       AND so.date_order >= g.done_date
                       AND so.date_order < g.done_date + INTERVAL '90 days'
                     WHERE g.id IN %s
                     GROUP BY g.id
                    """,
                    tuple(done.ids),
                )
            )
            revenue = dict(rows)
        for gesture in self:
            gesture.coupon_used = gesture.coupon_card_id.id in used
            gesture.revenue_after = revenue.get(gesture.id, 0.0)

    # --- Constraints ---

    @api.constrains("value", "type_id")
    def _check_value_below_type_max(self):
        if any(g.type_id.max_value and g.value > g.type_id.max_value for g in self):
            raise ValidationError(
                self.env._("A gesture cannot be worth more than its type's maximum value.")
            )

    @api.constrains("channel_id", "type_id")
    def _check_channel_allowed(self):
        for gesture in self:
            allowed = gesture.type_id.channel_ids
            if gesture.channel_id and allowed and gesture.channel_id not in allowed:
                raise ValidationError(
                    self.env._(
                        "%(type)s cannot be granted by %(channel)s.",
                        type=gesture.type_id.name,
                        channel=gesture.channel_id.name,
                    )
                )

    @api.constrains("partner_id", "sale_order_id", "invoice_id", "ticket_id")
    def _check_documents_of_the_customer(self):
        for gesture in self:
            customer = gesture.partner_id.commercial_partner_id
            documents = (
                gesture.sale_order_id.partner_id
                | gesture.invoice_id.partner_id
                | gesture.ticket_id.partner_id
            )
            if any(p.commercial_partner_id != customer for p in documents):
                raise ValidationError(
                    self.env._(
                        "The ticket, order and invoice of gesture %(name)s must belong to "
                        "its customer.",
                        name=gesture.name,
                    )
                )

    @api.constrains("paid_with_points", "type_id")
    def _check_points_price(self):
        if any(g.paid_with_points and not g.type_id.points_price for g in self):
            raise ValidationError(self.env._("This gesture type cannot be paid with points."))

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

    def _check_value_not_negative(self, vals):
        """Refuse a negative value in words before the database refuses it (a negative
        value would also make the derived cost negative: one clear message for both)."""
        value = vals.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ValidationError(self.env._("The value of a gesture cannot be negative."))

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

    def _apply_derived_values(self):
        """Gifts and free deliveries are worth their product, whatever the caller said."""
        for gesture in self:
            derived = gesture._derived_value()
            if (
                gesture.state == "draft"
                and derived is not None
                and gesture.currency_id.compare_amounts(gesture.value, derived)
            ):
                gesture.sudo().value = derived  # sudo: a value derived by the server

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
        return [sequence.get_next_char(number) for (number,) in numbers]

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
        todo = self.filtered(lambda g: g.state not in ("done", "followed_up"))
        for gesture in todo:
            if gesture.state != "approved":
                raise UserError(
                    self.env._("Gesture %(name)s is not approved yet.", name=gesture.name)
                )
        if len(todo) > 1 and todo._one_per_customer():
            todo._check_grantable_batch()
            cards = todo.filtered(
                lambda g: (
                    g.type_id.fulfilment in ("coupon", "free_delivery")
                    and not g.paid_with_points
                    and not g.coupon_card_id
                )
            )
            cards._create_coupons()
            for gesture in todo - cards:
                gesture._fulfil()
            todo._set_state("done", done_date=fields.Datetime.now())
            for gesture in todo.filtered("type_id.mail_template_id"):
                gesture._send_gesture_email()
            todo._schedule_follow_ups()
            return True
        for gesture in todo:
            gesture._check_grantable()
            gesture._fulfil()
            gesture._set_state("done", done_date=fields.Datetime.now())
            gesture._send_gesture_email()
            gesture._schedule_follow_up()
        return True

    def action_cancel(self):
        """Cancel, undoing what fulfilment created where Odoo allows it."""
        self.check_access("write")
        self._lock_rows()
        for gesture in self:
            if gesture.state == "cancelled":
                continue
            if gesture.state in ("followed_up", "refused"):
                raise UserError(
                    self.env._("Gesture %(name)s can no longer be cancelled.", name=gesture.name)
                )
            if gesture.state == "done":
                gesture._undo_fulfilment()
            gesture._set_state("cancelled")
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

    def _write_workflow_each(self, fname, values):
        """Set workflow field ``fname`` to ``values[i]`` on ``self[i]``, in one UPDATE
        (batch paths; only for fields no override reacts to: links and dates)."""
        assert fname in ("coupon_card_id", "follow_up_date")
        self.flush_recordset()
        column_type = "int" if fname == "coupon_card_id" else "date"
        self.env.cr.execute(
            SQL(
                """
                UPDATE loyalty_gesture g
                   SET %(column)s = v.value, write_uid = %(uid)s,
                       write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%(ids)s::int[], %(values)s::%(type)s[]) AS v(id, value)
                 WHERE g.id = v.id
                """,
                column=SQL.identifier(fname),
                uid=self.env.uid,
                ids=self.ids,
                values=list(values),
                type=SQL(column_type),
            )
        )
        self.invalidate_recordset([fname, "write_uid", "write_date"])

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

    def _check_grantable_batch(self):
        """:meth:`_check_grantable` for many gestures, the charter evaluated once."""
        self.env["loyalty.gesture.charter"]._check_gestures(self)
        for gesture in self:
            gesture._check_grantable(charter_checked=True)

    def _check_grantable(self, charter_checked=False):
        """Refuse bad input before anything is created, with a clear message.

        ``charter_checked``: the caller evaluated the charter for a batch (an argument,
        not a context key: clients set the context of their RPC calls).
        """
        self.ensure_one()
        if not charter_checked:
            self.env["loyalty.gesture.charter"]._check_gestures(self)
        gesture_type = self.type_id
        kind = gesture_type.fulfilment
        if not gesture_type.active:
            raise UserError(
                self.env._("Gesture type %(type)s is archived.", type=gesture_type.name)
            )
        if kind in DERIVED_FULFILMENTS:
            gesture_type._check_derived_value(self.company_id)
        if kind in VALUED_FULFILMENTS and self.value <= 0:
            raise UserError(
                self.env._("A %(type)s gesture needs a positive value.", type=gesture_type.name)
            )
        if gesture_type.max_value and self.value > gesture_type.max_value:
            raise UserError(
                self.env._("A gesture cannot be worth more than its type's maximum value.")
            )
        if self.channel_id.sends_email and not self.partner_id.email:
            raise UserError(
                self.env._(
                    "%(customer)s has no email address: choose another channel or add one.",
                    customer=self.partner_id.display_name,
                )
            )
        if kind == "refund":
            self._check_refundable()
        if kind == "order_discount" and self.sale_order_id.state not in ("draft", "sent"):
            raise UserError(self.env._("A discount gesture needs a quotation to apply to."))
        if kind == "points":
            self._check_points_valued()
        if self.paid_with_points:
            # the balance is the figure the grant wizard shows agents on purpose
            card = self.company_id._care_points_card(self.partner_id, create=False)
            if card.points < self.points_spent:
                raise UserError(
                    self.env._(
                        "%(customer)s has %(balance)s points; this gesture costs %(price)s.",
                        customer=self.partner_id.display_name,
                        balance=card.points,
                        price=self.points_spent,
                    )
                )

    def _check_points_valued(self):
        """A points gesture needs a program whose reward says what a point is worth."""
        self.ensure_one()
        program = self.company_id._care_points_program()
        if not program:
            raise UserError(
                self.env._("Choose the loyalty program holding customer points in the settings.")
            )
        if not program._care_point_worth(self.currency_id, self.company_id):
            raise UserError(
                self.env._(
                    "The points of %(program)s have no worth: give the program a discount "
                    "reward per point or a fixed-amount discount reward, so that points "
                    "gestures can be valued.",
                    program=self._care_name_for_user(program),
                )
            )
        if self.points <= 0:
            raise UserError(
                self.env._(
                    "%(value)s is worth less than one point of %(program)s.",
                    value=self.currency_id.format(self.value),
                    program=self._care_name_for_user(program),
                )
            )

    def _care_name_for_user(self, record):
        """``record``'s name if the current user may read it, else "Restricted"."""
        if record.with_env(self.env).has_access("read"):
            return record.with_env(self.env).display_name
        return self.env._("Restricted")

    def _refundable_amount(self):
        """What the invoice still allows to refund, in company currency."""
        self.ensure_one()
        invoice = self.invoice_id.sudo()  # sudo: agents may lack accounting rights
        refunds = invoice.reversal_move_ids.filtered(lambda m: m.state != "cancel")
        left = invoice.amount_total - sum(refunds.mapped("amount_total"))
        return invoice.currency_id._convert(
            left, self.currency_id, self.company_id, fields.Date.context_today(self)
        )

    def _check_refundable(self):
        invoice = self.invoice_id.sudo()  # sudo: agents may lack accounting rights
        if not invoice:
            raise UserError(self.env._("A partial refund needs the customer's invoice."))
        if invoice.move_type != "out_invoice" or invoice.state != "posted":
            raise UserError(self.env._("Only a posted customer invoice can be refunded."))
        left = self._refundable_amount()
        if self.currency_id.compare_amounts(self.value, left) > 0:
            if not self.invoice_id.with_env(self.env).has_access("read"):
                # the invoice's figures are for those who may read it
                raise UserError(self.env._("This invoice cannot be refunded that much any more."))
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s can only be refunded %(left)s more.",
                    invoice=invoice.name,
                    left=self.currency_id.format(left),
                )
            )

    # --- Fulfilment ---

    def _fulfil(self):
        """Create what the gesture gives; each step skips what already exists."""
        self.ensure_one()
        if self.paid_with_points and not self.points_spent_history_id:
            card = self.company_id._care_points_card(self.partner_id)
            history = card._care_debit_points(
                self.points_spent,
                self.env._("Exchanged for gesture %(name)s", name=self.name),
                self,
            )
            self._write_workflow({"points_spent_history_id": history.id})
        getattr(self, f"_fulfil_{self.type_id.fulfilment}")()

    def _coupon_program_and_points(self, program_kind):
        """The program and points of the voucher this gesture gives, derived from its
        value: as many points as the program's reward gives ``value`` for, or one use of
        a reward (percentage, free delivery) capped at ``value``."""
        self.ensure_one()
        company, currency = self.company_id, self.currency_id
        program = company._care_program(program_kind)._care_capped_program(
            self.value, currency, company
        )
        points = program._care_points_for(self.value, currency, company, digits=2)
        if not points:
            points = max(program.reward_ids.mapped("required_points") or [1.0]) or 1.0
        return program, points

    def _create_coupon(self, program_kind):
        self.ensure_one()
        if self.coupon_card_id:
            return self.coupon_card_id
        program, points = self._coupon_program_and_points(program_kind)
        validity = self.type_id.validity_days
        card = (
            self.env["loyalty.card"]
            .sudo()  # sudo: agents grant coupons without managing loyalty programs
            .with_company(self.company_id)
            .create(
                {
                    "program_id": program.id,
                    "partner_id": self.partner_id.id,
                    "points": points,
                    "expiration_date": validity
                    and fields.Date.context_today(self) + timedelta(days=validity),
                }
            )
        )
        self._write_workflow({"coupon_card_id": card.id})
        return card

    def _create_coupons(self):
        """:meth:`_create_coupon` for many coupon or free-delivery gestures: one create
        per company and program, one write per card."""
        kinds = {"coupon": "coupons", "free_delivery": "free_delivery"}
        today = fields.Date.context_today(self)
        groups = defaultdict(list)
        for gesture in self:
            program, points = gesture._coupon_program_and_points(kinds[gesture.type_id.fulfilment])
            groups[gesture.company_id, program].append((gesture, points))
        for (company, program), rows in groups.items():
            cards = (
                self.env["loyalty.card"]
                .sudo()  # sudo: agents grant coupons without managing loyalty programs
                .with_company(company)
                .create(
                    [
                        {
                            "program_id": program.id,
                            "partner_id": gesture.partner_id.id,
                            "points": points,
                            "expiration_date": gesture.type_id.validity_days
                            and today + timedelta(days=gesture.type_id.validity_days),
                        }
                        for gesture, points in rows
                    ]
                )
            )
            gestures = self.browse([gesture.id for gesture, _points in rows])
            gestures._write_workflow_each("coupon_card_id", cards.ids)

    def _fulfil_coupon(self):
        self._create_coupon("coupons")

    def _fulfil_free_delivery(self):
        self._create_coupon("free_delivery")

    def _fulfil_order_discount(self):
        card = self._create_coupon("coupons")
        order = self.sale_order_id.sudo()  # sudo: agents may lack sales rights
        if card in order.order_line.coupon_id:
            return
        status = order._try_apply_code(card.code)
        if "error" in status:
            raise UserError(status["error"])
        status = order._apply_program_reward(card.program_id.reward_ids[:1], card)
        if "error" in status:
            raise UserError(status["error"])

    def _fulfil_refund(self):
        self.ensure_one()
        if self.refund_move_id:
            return
        invoice = self.invoice_id.sudo()  # sudo: agents may lack accounting rights
        income_line = invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )[:1]
        amount = self.currency_id._convert(
            self.value, invoice.currency_id, self.company_id, fields.Date.context_today(self)
        )
        refund = (
            self.env["account.move"]
            .sudo()  # sudo: agents lack invoicing rights, the gesture was approved
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": invoice.currency_id.id,
                    "reversed_entry_id": invoice.id,
                    "invoice_origin": invoice.name,
                    "ref": self.env._(
                        "Gesture %(name)s on %(invoice)s", name=self.name, invoice=invoice.name
                    ),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": self.env._(
                                    "Commercial gesture: %(type)s", type=self.type_id.name
                                ),
                                "quantity": 1,
                                "price_unit": amount,
                                "account_id": income_line.account_id.id,
                                "tax_ids": [Command.set([])],
                            }
                        )
                    ],
                }
            )
        )
        self._write_workflow({"refund_move_id": refund.id})

    def _fulfil_gift(self):
        self.ensure_one()
        if self.gift_order_id:
            return
        order = (
            self.env["sale.order"]
            .sudo()  # sudo: agents may lack sales rights
            .with_company(self.company_id)
            .create(
                {
                    "partner_id": self.partner_id.id,
                    "company_id": self.company_id.id,
                    "origin": self.name,
                    "client_order_ref": self.ticket_id.number or self.name,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.type_id.product_id.id,
                                "product_uom_qty": 1,
                                "price_unit": 0.0,
                            }
                        )
                    ],
                }
            )
        )
        order.order_line.price_unit = 0.0
        order.action_confirm()
        self._write_workflow({"gift_order_id": order.id})

    def _fulfil_points(self):
        self.ensure_one()
        if self.points_history_id:
            return
        card = self.company_id._care_points_card(self.partner_id)
        history = card._care_credit_points(
            self.points, self.env._("Gesture %(name)s", name=self.name), self
        )
        self._write_workflow({"points_history_id": history.id})

    def _fulfil_service_task(self):
        self._schedule_task(self.env._("Provide the service: %(type)s", type=self.type_id.name))

    def _fulfil_letter(self):
        self._schedule_task(self.env._("Write and send: %(type)s", type=self.type_id.name))

    def _schedule_task(self, summary):
        self.ensure_one()
        if self.task_activity_id:
            return
        activity = self.sudo().activity_schedule(  # sudo: assigns to the requester
            "mail.mail_activity_data_todo",
            summary=summary,
            note=self.reason or "",
            user_id=(self.requested_by_id or self.env.user).id,
        )
        self._write_workflow({"task_activity_id": activity.id})

    def _undo_fulfilment(self):
        """Cancel what fulfilment created, or refuse clearly when Odoo cannot."""
        self.ensure_one()
        refund = self.refund_move_id.sudo()  # sudo: agents may lack accounting rights
        if refund.state == "posted":
            raise UserError(
                self.env._(
                    "Credit note %(refund)s is posted: it cannot be cancelled from the gesture.",
                    refund=self._care_name_for_user(self.refund_move_id),
                )
            )
        if self.coupon_used:
            raise UserError(self.env._("Coupon %(code)s was already used.", code=self.coupon_code))
        if refund.state == "draft":
            refund.button_cancel()
        # sudo: cancelling the approved gesture disables its coupon
        self.coupon_card_id.sudo().write({"active": False, "points": 0})
        # sudo: cancelling the approved gesture cancels its gift order
        gift = self.gift_order_id.sudo()
        if gift and gift.state != "cancel":
            gift._action_cancel()
        card = self.company_id._care_points_card(self.partner_id, create=False)
        gesture = self.sudo()  # sudo: agents may lack loyalty rights
        if gesture.points_history_id:
            card._care_debit_points(
                gesture.points_history_id.issued,
                self.env._("Gesture %(name)s cancelled", name=self.name),
                self,
            )
        if gesture.points_spent_history_id:
            card._care_credit_points(
                gesture.points_spent_history_id.used,
                self.env._("Gesture %(name)s cancelled: points given back", name=self.name),
                self,
            )
        # sudo: the fulfilment task may belong to another user
        self.task_activity_id.sudo().unlink()

    # --- Communication and follow-up ---

    def _send_gesture_email(self):
        """Email the gesture from its type's template, within the contact policy.

        The gesture is done whatever happens: a refused email is logged with its reason.
        """
        self.ensure_one()
        template = self._get_mail_template()
        if not template:
            return
        logs = self.env["care.contact.log"]
        if logs._log_contact(self.partner_id, "gesture", record=self, company=self.company_id):
            self.with_context(mail_notify_author=True).message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="loyalty_gesture.mail_layout_care",
            )
            return
        # agents read the logs of their companies: no sudo needed
        log = logs.search([("res_model", "=", self._name), ("res_id", "=", self.id)], limit=1)
        reason = dict(log._fields["skip_reason"]._description_selection(self.env)).get(
            log.skip_reason, ""
        )
        self.message_post(
            body=self.env._("The gesture email was not sent: %(reason)s.", reason=reason)
        )

    def _get_mail_template(self):
        """The email sent to the customer when the gesture is fulfilled (hook)."""
        self.ensure_one()
        return self.type_id.mail_template_id

    def _schedule_follow_up(self):
        self.ensure_one()
        days = self.company_id.care_follow_up_days
        deadline = fields.Date.context_today(self) + timedelta(days=days)
        self.sudo().activity_schedule(  # sudo: assigns to the requester
            "loyalty_gesture.mail_activity_type_gesture_follow_up",
            date_deadline=deadline,
            user_id=(self.requested_by_id or self.env.user).id,
        )
        self._write_workflow({"follow_up_date": deadline})

    def _schedule_follow_ups(self):
        """:meth:`_schedule_follow_up` for many gestures: the activities in one create."""
        activity_type = self.env.ref("loyalty_gesture.mail_activity_type_gesture_follow_up")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        deadlines = {g.id: today + timedelta(days=g.company_id.care_follow_up_days) for g in self}
        self.env["mail.activity"].sudo().create(  # sudo: assigns to the requester
            [
                {
                    "res_model_id": model_id,
                    "res_id": gesture.id,
                    "activity_type_id": activity_type.id,
                    "summary": activity_type.summary,
                    "note": activity_type.default_note,
                    "date_deadline": deadlines[gesture.id],
                    "user_id": (gesture.requested_by_id or self.env.user).id,
                }
                for gesture in self
            ]
        )
        self._write_workflow_each("follow_up_date", [deadlines[g.id] for g in self])

    def _on_follow_up_done(self):
        """Called when a follow-up activity is marked done."""
        self.filtered(lambda g: g.state == "done")._set_state("followed_up")
