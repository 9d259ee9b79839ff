from odoo import fields, models
from odoo.tools import SQL


class WinbackCampaign(models.Model):
    """Who enters a campaign: its segment and filter, as members in one statement (at
    the start, then daily for a continuous campaign)."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    def _statuses(self):
        self.ensure_one()
        return tuple(
            status
            for status, chosen in (
                ("at_risk", self.segment_at_risk),
                ("dormant", self.segment_dormant),
                ("lost", self.segment_lost),
            )
            if chosen
        )

    def _target(self):
        """Add the segment's customers as members in one INSERT … SELECT.

        Idempotent: a customer is a member once per campaign (unique key). The holdout
        split is a hash of (campaign, customer), so it never changes on rerun.
        """
        self.ensure_one()
        statuses = self._statuses()
        if not statuses and not self.segment_expected:
            return
        partner_filter = self._partner_filter_sql(SQL.identifier("s", "partner_id"))
        self.flush_model()
        self.env["winback.customer.score"].flush_model()
        self.env["winback.campaign.member"].flush_model()
        self.env["res.partner"].flush_model(["email", "email_normalized", "care_opt_out", "active"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO winback_campaign_member (
                    campaign_id, company_id, partner_id, status_at_start, churn_risk_at_start,
                    revenue_before, is_holdout, state, exclude_reason, contacted, reactivated,
                    relapsed, call_scheduled, revenue, offer_cost,
                    create_uid, write_uid, create_date, write_date)
                SELECT %(campaign)s, %(company)s, t.partner_id, t.status, t.churn_risk,
                       t.revenue,
                       t.exclude_reason IS NULL AND t.bucket < %(holdout)s,
                       CASE WHEN t.exclude_reason IS NOT NULL THEN 'excluded'
                            WHEN t.bucket < %(holdout)s THEN 'holdout'
                            ELSE 'targeted' END,
                       t.exclude_reason, FALSE, FALSE, FALSE, FALSE, 0, 0,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM (
                    SELECT s.partner_id, s.status, s.churn_risk, s.revenue,
                           CASE WHEN s.order_count < %(min_orders)s THEN 'occasional'
                                WHEN s.revenue < %(min_revenue)s THEN 'low_value'
                                WHEN p.care_opt_out OR COALESCE(p.email, '') = ''
                                  OR bl.id IS NOT NULL THEN 'no_contact'
                                WHEN busy.id IS NOT NULL THEN 'other_campaign'
                           END AS exclude_reason,
                           mod(('x' || substr(md5(%(campaign)s::text || '-'
                                                   || s.partner_id::text), 1, 7)
                               )::bit(28)::int, 10000) AS bucket
                      FROM winback_customer_score s
                      JOIN res_partner p ON p.id = s.partner_id
                 LEFT JOIN mail_blacklist bl
                        ON bl.email = p.email_normalized AND bl.active
                 LEFT JOIN (
                        -- customers in another running campaign: one hashed set, not a
                        -- lookup per customer
                        SELECT DISTINCT m.partner_id AS id FROM winback_campaign_member m
                          JOIN winback_campaign c ON c.id = m.campaign_id
                         WHERE c.state = 'running' AND c.id != %(campaign)s
                           AND m.state != 'excluded'
                        ) busy ON busy.id = s.partner_id
                     WHERE s.company_id = %(company)s
                       AND (s.status = ANY(%(statuses)s)
                            OR (%(expected)s AND s.expected_order_date < %(today)s))
                       AND p.active
                       AND %(partner_filter)s
                  ) AS t
                ON CONFLICT (campaign_id, partner_id) DO NOTHING
                """,
                campaign=self.id,
                company=self.company_id.id,
                holdout=round(self.holdout_percent * 100),
                min_orders=self.min_orders,
                min_revenue=self.min_revenue,
                statuses=list(statuses),
                expected=self.segment_expected,
                today=fields.Date.context_today(self),
                partner_filter=partner_filter,
                uid=self.env.uid,
            )
        )
        self.env["winback.campaign.member"].invalidate_model()
