from odoo import fields, models


class LoyaltyGesturePurpose(models.Model):
    """Why a company grants a kind of gesture: retention, repair, satisfaction..."""

    _name = "loyalty.gesture.purpose"
    _inherit = ["care.number.guard"]
    _description = "Gesture purpose"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    color = fields.Integer()

    _sql_constraints = [
        ("name_unique", "UNIQUE(name)", "A purpose with this name already exists."),
    ]
