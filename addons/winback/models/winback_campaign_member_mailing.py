from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.mailing_sql import (
    EVENTS,
    MEMBER_MODEL,
    TRACE_OPENED,
    flush_trace_sources,
    unsubscribed_traces,
)


class WinbackCampaignMember(models.Model):
    """A member as an Email Marketing recipient: the step mailings go to members, and
    each member's figures come from the traces of the emails they were sent."""

    _inherit = "winback.campaign.member"  # pylint: disable=consider-merging-classes-inherited
    _mailing_enabled = True

    mailing_trace_ids = fields.One2many(
        "mailing.trace",
        "res_id",
        string="Email statistics",
        domain=[("model", "=", MEMBER_MODEL)],
        groups="mass_mailing.group_mass_mailing_user",
    )
    mailing_sent_count = fields.Integer(string="Emails sent", compute="_compute_mailing_figures")
    mailing_opened = fields.Boolean(
        string="Opened",
        compute="_compute_mailing_figures",
        search="_search_mailing_opened",
        help="The member opened (or replied to) one of the campaign's emails.",
    )
    mailing_clicked = fields.Boolean(
        string="Clicked",
        compute="_compute_mailing_figures",
        search="_search_mailing_clicked",
        help="The member clicked a link of one of the campaign's emails.",
    )
    mailing_replied = fields.Boolean(
        string="Replied", compute="_compute_mailing_figures", search="_search_mailing_replied"
    )
    mailing_bounced = fields.Boolean(
        string="Bounced", compute="_compute_mailing_figures", search="_search_mailing_bounced"
    )
    mailing_last_event = fields.Selection(
        [(key, label) for key, label, _at in EVENTS],
        string="Last email event",
        compute="_compute_mailing_figures",
    )
    mailing_last_event_date = fields.Datetime(
        string="Last email event on", compute="_compute_mailing_figures"
    )

    # Not stored: the traces change through Odoo's tracking routes (opens, clicks),
    # its mail gateway (replies, bounces) and the blacklist, none of which writes the
    # member; a stored copy would need a recompute on each of them, and a write on
    # 100,000 members when a step is sent. One query per recordset reads them (a list
    # page), and the filters search the traces (_search_mailing_*).
    def _compute_mailing_figures(self):
        figures = {}
        members = self.filtered("id")  # new records have no trace
        if members:
            flush_trace_sources(self.env)
            member_traces = SQL(
                "SELECT id FROM mailing_trace WHERE model = %s AND res_id IN %s",
                MEMBER_MODEL,
                tuple(members.ids),
            )
            events = SQL(", ").join(
                SQL("(%s, %s, %s)", key, at, rank)
                for rank, (key, _label, at) in enumerate(EVENTS)
                if at
            )
            rows = self.env.execute_query(
                SQL(
                    """
                    WITH figures AS (
                        SELECT t.res_id,
                               COUNT(*) FILTER (WHERE t.sent_datetime IS NOT NULL) AS sent,
                               BOOL_OR(t.trace_status IN %(opened)s) AS opened,
                               BOOL_OR(t.links_click_datetime IS NOT NULL) AS clicked,
                               BOOL_OR(t.trace_status = 'reply') AS replied,
                               BOOL_OR(t.trace_status = 'bounce') AS bounced
                          FROM mailing_trace t
                         WHERE t.id IN (%(member_traces)s)
                      GROUP BY t.res_id
                    ), events AS (
                        SELECT t.res_id, e.event, e.at, e.rank
                          FROM mailing_trace t
                         CROSS JOIN LATERAL (VALUES %(events)s) AS e(event, at, rank)
                         WHERE t.id IN (%(member_traces)s) AND e.at IS NOT NULL
                     UNION ALL
                        SELECT u.res_id, 'unsubscribed', u.unsubscribed_at, %(last_rank)s
                          FROM (%(unsubscribed)s) u
                    )
                    SELECT f.res_id, f.sent, f.opened, f.clicked, f.replied, f.bounced,
                           last.event, date_trunc('second', last.at)
                      FROM figures f
                      LEFT JOIN LATERAL (
                            SELECT e.event, e.at FROM events e
                             WHERE e.res_id = f.res_id
                          ORDER BY e.event = 'cancelled', e.at DESC, e.rank DESC
                             LIMIT 1) last ON TRUE
                    """,
                    opened=TRACE_OPENED,
                    member_traces=member_traces,
                    events=events,
                    last_rank=len(EVENTS) - 1,
                    unsubscribed=unsubscribed_traces(member_traces),
                )
            )
            figures = {row[0]: row[1:] for row in rows}
        for member in self:
            sent, opened, clicked, replied, bounced, event, at = figures.get(
                member.id, (0, False, False, False, False, False, False)
            )
            member.update(
                {
                    "mailing_sent_count": sent,
                    "mailing_opened": opened,
                    "mailing_clicked": clicked,
                    "mailing_replied": replied,
                    "mailing_bounced": bounced,
                    "mailing_last_event": event or False,
                    "mailing_last_event_date": at or False,
                }
            )

    def _search_mailing_trace(self, operator, value, trace_domain):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search this email figure as yes or no."))
        # the figures of members the user reads: Care users may have no Email Marketing
        # rights on the traces themselves
        domain = [("model", "=", MEMBER_MODEL), *trace_domain]
        traces = self.env["mailing.trace"].sudo()._search(domain)  # sudo: see above
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", traces.subselect("res_id"))]

    def _search_mailing_opened(self, operator, value):
        return self._search_mailing_trace(
            operator, value, [("trace_status", "in", list(TRACE_OPENED))]
        )

    def _search_mailing_clicked(self, operator, value):
        return self._search_mailing_trace(operator, value, [("links_click_datetime", "!=", False)])

    def _search_mailing_replied(self, operator, value):
        return self._search_mailing_trace(operator, value, [("trace_status", "=", "reply")])

    def _search_mailing_bounced(self, operator, value):
        return self._search_mailing_trace(operator, value, [("trace_status", "=", "bounce")])

    # --- Email Marketing ---

    def _mailing_get_default_domain(self, mailing):
        """Recipients a new mailing on members proposes: the members of its campaign
        (when the mailing has one) who are neither held out nor excluded."""
        domain = [("is_holdout", "=", False), ("state", "!=", "excluded")]
        campaign = mailing["winback_campaign_id"] if "winback_campaign_id" in mailing else False
        if campaign:
            domain.append(("campaign_id", "=", campaign.id))
        return domain
