from odoo import models
from odoo.tools import create_index


class MailingTrace(models.Model):
    """An index for the traces of win-back members: Email Marketing indexes traces by
    mailing only, and the members' figures and the campaign funnel read them by member."""

    _inherit = "mailing.trace"

    def _auto_init(self):
        res = super()._auto_init()
        create_index(
            self.env.cr,
            "mailing_trace__winback_member_index",
            self._table,
            ["res_id"],
            where="model = 'winback.campaign.member'",
        )
        return res
