from odoo import fields, models


class CareContactLog(models.Model):
    _inherit = "care.contact.log"

    kind = fields.Selection(
        selection_add=[("winback", "Win-back campaign")], ondelete={"winback": "cascade"}
    )
