from odoo import fields, models


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    winback_synced = fields.Boolean(
        readonly=True,
        copy=False,
        help="The win-back campaign job has recorded this email on its member and in the "
        "contact log.",
    )
