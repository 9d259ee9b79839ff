from odoo import fields, models


class CareContactLog(models.Model):
    _inherit = "care.contact.log"

    kind = fields.Selection(
        selection_add=[("points_expiry", "Points expiry reminder")],
        ondelete={"points_expiry": "cascade"},
    )
