from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError


class LoyaltyGesture(models.Model):
    """A commercial gesture granted to a customer, usually from a helpdesk ticket."""

    _name = "loyalty.gesture"
    _description = "Commercial gesture"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
    ticket_id = fields.Many2one("helpdesk.ticket", index=True, tracking=True, check_company=True)
    type_id = fields.Many2one(
        "loyalty.gesture.type",
        string="Gesture type",
        required=True,
        tracking=True,
        check_company=True,
    )
    category = fields.Selection(related="type_id.category", store=True)
    value = fields.Monetary(
        compute="_compute_value", store=True, readonly=False, precompute=True, tracking=True
    )
    reason = fields.Text()
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
    )
    requested_by_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True, copy=False
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False, tracking=True)

    _sql_constraints = [
        ("value_positive", "CHECK(value >= 0)", "A gesture cannot have a negative value."),
    ]

    @api.depends("type_id")
    def _compute_value(self):
        for gesture in self:
            gesture.value = gesture.type_id.default_value

    @api.constrains("value", "type_id")
    def _check_value_below_type_max(self):
        if any(g.type_id.max_value and g.value > g.type_id.max_value for g in self):
            raise ValidationError(
                self.env._("A gesture cannot be worth more than its type's maximum value.")
            )

    # --- CRUD ---

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", self.env._("New")) == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("loyalty.gesture")
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(g.state not in ("draft", "cancelled") for g in self):
            raise UserError(self.env._("Only draft or cancelled gestures can be deleted."))

    # --- Actions ---

    def action_submit(self):
        """Grant at once within the agent's limit, else wait for a manager."""
        for gesture in self:
            if gesture.state != "draft":
                raise UserError(self.env._("Only a draft gesture can be submitted."))
            if gesture.value > gesture.company_id.care_agent_gesture_limit:
                gesture.state = "to_approve"
            else:
                gesture.write({"state": "approved", "approved_by_id": self.env.user.id})

    def action_approve(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can approve a gesture."))
        for gesture in self:
            if gesture.state != "to_approve":
                raise UserError(
                    self.env._("Gesture %(name)s is not waiting for approval.", name=gesture.name)
                )
            if gesture.requested_by_id == self.env.user:
                raise UserError(self.env._("You cannot approve a gesture you requested yourself."))
        self.write({"state": "approved", "approved_by_id": self.env.user.id})

    def action_refuse(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can refuse a gesture."))
        if any(g.state != "to_approve" for g in self):
            raise UserError(self.env._("Only a gesture waiting for approval can be refused."))
        self.state = "refused"

    def action_cancel(self):
        if any(g.state in ("done", "followed_up") for g in self):
            raise UserError(self.env._("A fulfilled gesture cannot be cancelled."))
        self.state = "cancelled"
