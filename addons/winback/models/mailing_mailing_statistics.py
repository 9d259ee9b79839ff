from odoo import fields, models
from odoo.tools import SQL

from ..tools.mailing_sql import MEMBER_MODEL, flush_trace_sources, unsubscribed_traces


class MailingMailing(models.Model):
    """The unsubscriptions of a mailing on win-back members, beside the figures Email
    Marketing computes itself (sent, delivered, opened, clicked, replied, bounced)."""

    _inherit = "mailing.mailing"  # pylint: disable=consider-merging-classes-inherited

    winback_unsubscribed_count = fields.Integer(
        string="Unsubscribed",
        compute="_compute_winback_unsubscribed_count",
        help="Win-back members who blocked the emails after this one (and before the "
        "next): Odoo's unsubscribe link puts their address in the blacklist.",
    )

    def _compute_winback_unsubscribed_count(self):
        counts = {}
        mailings = self.filtered(
            lambda mailing: mailing.id and mailing.mailing_model_real == MEMBER_MODEL
        )
        if mailings:
            flush_trace_sources(self.env)
            counts = dict(
                self.env.execute_query(
                    SQL(
                        "SELECT u.mass_mailing_id, COUNT(*) FROM (%s) u GROUP BY u.mass_mailing_id",
                        unsubscribed_traces(
                            SQL(
                                "SELECT id FROM mailing_trace WHERE mass_mailing_id IN %s",
                                tuple(mailings.ids),
                            )
                        ),
                    )
                )
            )
        for mailing in self:
            mailing.winback_unsubscribed_count = counts.get(mailing.id, 0)
