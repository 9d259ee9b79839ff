from odoo import fields, models
from odoo.tools import create_index


class MailingTrace(models.Model):
    """The traces of win-back members: what the campaign job has recorded of them, and
    the indexes its reads need (Email Marketing indexes traces by mailing only; the
    members' figures and the funnel read them by member, the job the ones it has not
    recorded yet, in id order: without it each claim walked past every trace recorded before)."""

    _inherit = "mailing.trace"

    winback_synced = fields.Boolean(
        readonly=True,
        copy=False,
        help="The win-back campaign job has recorded this email on its member and in the "
        "contact log.",
    )

    def _auto_init(self):
        res = super()._auto_init()
        create_index(
            self.env.cr,
            "mailing_trace__winback_member_index",
            self._table,
            ["res_id"],
            where="model = 'winback.campaign.member'",
        )
        create_index(
            self.env.cr,
            "mailing_trace__winback_unsynced_id_index",
            self._table,
            ["id"],
            where="model = 'winback.campaign.member' AND winback_synced IS NOT TRUE",
        )
        return res
