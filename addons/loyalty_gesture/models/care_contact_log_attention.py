from odoo import fields, models


class CareContactLog(models.Model):
    _inherit = "care.contact.log"  # pylint: disable=consider-merging-classes-inherited

    kind = fields.Selection(
        selection_add=[("attention", "Automatic attention")],
        ondelete={"attention": "cascade"},
    )
