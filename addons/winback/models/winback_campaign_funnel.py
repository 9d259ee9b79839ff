from odoo import fields, models
from odoo.tools import SQL

from ..tools.mailing_sql import (
    MEMBER_MODEL,
    TRACE_DELIVERED,
    TRACE_OPENED,
    flush_trace_sources,
    unsubscribed_traces,
)

FUNNEL_FIELDS = (
    "mail_sent_count",
    "mail_delivered_count",
    "mail_opened_count",
    "mail_clicked_count",
    "mail_replied_count",
    "mail_bounced_count",
    "mail_unsubscribed_count",
    "funnel_contacted_count",
    "funnel_opened_count",
    "funnel_clicked_count",
    "funnel_ordered_count",
)


class WinbackCampaign(models.Model):
    """What the campaign's emails did, from Email Marketing's traces of its members:
    the emails' figures over all steps, and the funnel contacted -> opened -> clicked ->
    ordered beside the holdout group's reactivation."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    # emails of every step, counted as Email Marketing counts a mailing's
    mail_sent_count = fields.Integer(compute="_compute_funnel", string="Emails sent")
    mail_delivered_count = fields.Integer(compute="_compute_funnel", string="Delivered")
    mail_opened_count = fields.Integer(
        compute="_compute_funnel", string="Opened", help="Emails opened (a reply opens it)."
    )
    mail_clicked_count = fields.Integer(
        compute="_compute_funnel", string="Clicked", help="Emails with a link clicked."
    )
    mail_replied_count = fields.Integer(compute="_compute_funnel", string="Replied")
    mail_bounced_count = fields.Integer(compute="_compute_funnel", string="Bounced")
    mail_unsubscribed_count = fields.Integer(
        compute="_compute_funnel",
        string="Unsubscribed",
        help="Customers who blocked the campaign's emails after receiving one (Odoo's "
        "unsubscribe link puts their address in the blacklist).",
    )
    # members (the holdout group gets no email)
    funnel_contacted_count = fields.Integer(
        compute="_compute_funnel",
        string="Emailed",
        help="Members sent at least one of the campaign's emails.",
    )
    funnel_opened_count = fields.Integer(compute="_compute_funnel", string="Opened an email")
    funnel_clicked_count = fields.Integer(compute="_compute_funnel", string="Clicked a link")
    funnel_ordered_count = fields.Integer(
        compute="_compute_funnel",
        string="Ordered",
        help="Emailed members who ordered again within the reactivation window.",
    )
    funnel_opened_rate = fields.Float(compute="_compute_funnel", string="Opened (%)")
    funnel_clicked_rate = fields.Float(compute="_compute_funnel", string="Clicked (%)")
    funnel_ordered_rate = fields.Float(
        compute="_compute_funnel",
        string="Ordered (%)",
        help="Share of the emailed members who ordered again: compare it with the holdout "
        "group's reactivation.",
    )

    def _compute_funnel(self):
        figures = {}
        campaigns = self.filtered("id")
        if campaigns:
            flush_trace_sources(self.env)
            campaign_traces = SQL(
                """
                SELECT t.id FROM mailing_trace t
                  JOIN winback_campaign_member m ON m.id = t.res_id
                 WHERE t.model = %s AND m.campaign_id IN %s AND NOT m.is_holdout
                """,
                MEMBER_MODEL,
                tuple(campaigns.ids),
            )
            rows = self.env.execute_query(
                SQL(
                    """
                    WITH unsubscribed AS (%(unsubscribed)s),
                    members AS (
                        SELECT m.campaign_id, m.reactivated,
                               COUNT(*) FILTER (WHERE t.sent_datetime IS NOT NULL) AS sent,
                               COUNT(*) FILTER (WHERE t.trace_status IN %(delivered)s)
                                   AS delivered,
                               COUNT(*) FILTER (WHERE t.trace_status IN %(opened)s) AS opened,
                               COUNT(*) FILTER (WHERE t.links_click_datetime IS NOT NULL)
                                   AS clicked,
                               COUNT(*) FILTER (WHERE t.trace_status = 'reply') AS replied,
                               COUNT(*) FILTER (WHERE t.trace_status = 'bounce') AS bounced,
                               COUNT(u.trace_id) AS unsubscribed
                          FROM mailing_trace t
                          JOIN winback_campaign_member m ON m.id = t.res_id
                          LEFT JOIN unsubscribed u ON u.trace_id = t.id
                         WHERE t.id IN (%(campaign_traces)s)
                      GROUP BY m.id
                    )
                    SELECT campaign_id,
                           SUM(sent)::int, SUM(delivered)::int, SUM(opened)::int,
                           SUM(clicked)::int, SUM(replied)::int, SUM(bounced)::int,
                           SUM(unsubscribed)::int,
                           COUNT(*) FILTER (WHERE sent > 0),
                           COUNT(*) FILTER (WHERE sent > 0 AND opened > 0),
                           COUNT(*) FILTER (WHERE sent > 0 AND clicked > 0),
                           COUNT(*) FILTER (WHERE sent > 0 AND reactivated)
                      FROM members
                  GROUP BY campaign_id
                    """,
                    unsubscribed=unsubscribed_traces(campaign_traces),
                    delivered=TRACE_DELIVERED,
                    opened=TRACE_OPENED,
                    campaign_traces=campaign_traces,
                )
            )
            figures = {row[0]: dict(zip(FUNNEL_FIELDS, row[1:], strict=True)) for row in rows}
        empty = dict.fromkeys(FUNNEL_FIELDS, 0)
        for campaign in self:
            values = figures.get(campaign.id, empty)
            contacted = values["funnel_contacted_count"]
            campaign.update(
                {
                    **values,
                    "funnel_opened_rate": self._funnel_rate(
                        values["funnel_opened_count"], contacted
                    ),
                    "funnel_clicked_rate": self._funnel_rate(
                        values["funnel_clicked_count"], contacted
                    ),
                    "funnel_ordered_rate": self._funnel_rate(
                        values["funnel_ordered_count"], contacted
                    ),
                }
            )

    @staticmethod
    def _funnel_rate(count, contacted):
        return 100.0 * count / contacted if contacted else 0.0
