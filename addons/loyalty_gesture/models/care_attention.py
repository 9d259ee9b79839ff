from odoo import fields, models

from .care_constants import SKIP_REASONS


class CareAttention(models.Model):
    """One attention fired by a rule for a customer: done, skipped by the contact policy,
    or refused by the charter.

    The key (rule, customer, occurrence) is unique: an occurrence is what the attention
    celebrates (an order, a year's birthday, a tier, a referred customer), so the
    scheduled action can run again without sending anything twice.
    """

    _name = "care.attention"
    _inherit = ["care.field.policy"]
    _description = "Automatic attention"
    _order = "date desc, id desc"
    _rec_name = "rule_id"

    rule_id = fields.Many2one(
        "care.attention.rule", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    event = fields.Selection(related="rule_id.event", store=True)
    action = fields.Selection(related="rule_id.action")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    occurrence = fields.Char(
        required=True,
        readonly=True,
        help="What the attention is for: an order, a birthday's year, a tier, a referred "
        "customer. Each rule fires once per customer and occurrence.",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    state = fields.Selection(
        [
            ("pending", "In progress"),
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("failed", "Refused"),
        ],
        required=True,
        default="pending",
        readonly=True,
    )
    skip_reason = fields.Selection(
        SKIP_REASONS,
        string="Skipped because",
        readonly=True,
    )
    note = fields.Text(string="Refusal", readonly=True, help="Why the charter refused the gesture.")
    sale_order_id = fields.Many2one(
        "sale.order", string="Order", readonly=True, index="btree_not_null"
    )
    gesture_id = fields.Many2one("loyalty.gesture", readonly=True, index="btree_not_null")
    gesture_state = fields.Selection(related="gesture_id.state", string="Gesture status")

    _sql_constraints = [
        (
            "occurrence_unique",
            "UNIQUE(rule_id, partner_id, occurrence)",
            "A rule fires only once per customer and occurrence.",
        ),
    ]

    def _care_writable_fields(self, operation):
        """Attentions are fired and updated by the rules' scheduled action (as
        superuser): no user, managers included, sets their fields."""
        return set()
