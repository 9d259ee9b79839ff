from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    care_agent_gesture_limit = fields.Monetary(
        string="Agent gesture limit",
        currency_field="currency_id",
        default=50.0,
        help="Gestures worth more than this wait for a manager's approval.",
    )
    care_contact_max = fields.Integer(
        string="Automatic messages per customer",
        default=3,
        help="At most this many automatic messages (gesture emails, surveys, "
        "attentions, win-back steps) to one customer within the window below.",
    )
    care_contact_window_days = fields.Integer(
        string="Contact window (days)",
        default=30,
        help="Rolling window, in days, over which automatic messages are counted.",
    )

    _sql_constraints = [
        (
            "care_contact_policy_positive",
            "CHECK(care_contact_max >= 0 AND care_contact_window_days >= 0 "
            "AND care_agent_gesture_limit >= 0)",
            "Contact caps, windows and gesture limits cannot be negative.",
        ),
    ]
