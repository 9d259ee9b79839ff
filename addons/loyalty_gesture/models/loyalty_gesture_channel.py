from odoo import fields, models


class LoyaltyGestureChannel(models.Model):
    """How a gesture reaches the customer: email, phone, social networks, in person."""

    _name = "loyalty.gesture.channel"
    _inherit = ["care.number.guard"]
    _description = "Gesture channel"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    sends_email = fields.Boolean(
        help="Gestures granted on this channel are announced by email: the customer "
        "needs an email address."
    )
    helpdesk_channel_ids = fields.Many2many(
        "helpdesk.ticket.channel",
        string="Ticket channels",
        help="Tickets coming from these helpdesk channels propose this gesture channel.",
    )

    _sql_constraints = [
        ("name_unique", "UNIQUE(name)", "A channel with this name already exists."),
    ]
