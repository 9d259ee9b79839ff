from odoo import api, fields, models


class LoyaltyGestureType(models.Model):
    """A kind of commercial gesture the company may grant (the catalog)."""

    _name = "loyalty.gesture.type"
    _description = "Gesture type"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share it.")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id, required=True
    )
    category = fields.Selection(
        [
            ("financial", "Financial"),
            ("service", "Service"),
            ("attentive", "Attentive"),
            ("repair", "Repair"),
        ],
        required=True,
        default="financial",
    )
    fulfilment = fields.Selection(
        [
            ("coupon", "Coupon"),
            ("order_discount", "Discount on an order"),
            ("refund", "Partial refund (credit note)"),
            ("points", "Loyalty points credit"),
            ("gift", "Free product or gift"),
            ("free_delivery", "Free delivery"),
            ("service_task", "Service task"),
            ("letter", "Apology or thank-you letter"),
        ],
        required=True,
        default="coupon",
        help="What granting the gesture creates in Odoo.",
    )
    default_value = fields.Monetary(help="Value proposed when the gesture is granted.")
    max_value = fields.Monetary(
        string="Maximum value", help="A gesture of this type can never be worth more."
    )
    unit_cost = fields.Monetary(help="What one gesture costs the company besides its value.")
    description = fields.Html(translate=True)

    _sql_constraints = [
        (
            "values_positive",
            "CHECK(default_value >= 0 AND max_value >= 0 AND unit_cost >= 0)",
            "Gesture values and costs cannot be negative.",
        ),
    ]

    @api.constrains("default_value", "max_value")
    def _check_default_below_max(self):
        if any(t.max_value and t.default_value > t.max_value for t in self):
            raise models.ValidationError(
                self.env._("The default value of a gesture type cannot exceed its maximum.")
            )
