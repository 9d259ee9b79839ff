from odoo import fields, models


class CareContactLog(models.Model):
    _inherit = "care.contact.log"

    kind = fields.Selection(
        selection_add=[("survey", "Satisfaction survey")], ondelete={"survey": "cascade"}
    )
    skip_reason = fields.Selection(
        selection_add=[("survey_window", "Survey window")],
        ondelete={"survey_window": "set null"},
    )
