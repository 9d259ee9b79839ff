"""The benchmarked operations: each runs through the addons and as bare SQL.

``odoo(env)`` and ``baseline(env)`` return the number of customers (rows) they handled.
"""

import datagen

from odoo.tools import SQL


class CustomerMetrics:
    """`res.partner._care_metrics()` over every customer (the registry the charter, portraits
    and the gesture wizard read) vs one GROUP BY writing the same figures into a plain table."""

    name = "customer metrics"
    module = "loyalty_gesture"

    def prepare(self, env):
        self.ids = datagen.customer_ids(env)

    def odoo(self, env):
        return len(env["res.partner"].browse(self.ids)._care_metrics())

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_metrics AS
                SELECT p.commercial_partner_id AS partner_id,
                       sum(so.amount_untaxed) AS revenue,
                       sum(so.amount_untaxed) FILTER (
                           WHERE so.date_order >= now() - interval '1 year') AS revenue_12m,
                       count(*) AS order_count,
                       min(so.date_order) AS first_order,
                       max(so.date_order) AS last_order
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale' AND p.commercial_partner_id = ANY(%s)
              GROUP BY p.commercial_partner_id
                """,
                self.ids,
            )
        )
        return env.cr.rowcount


class WinbackScoring:
    """Full recompute of win-back status, RFM quintiles and churn risk for the company
    (`winback.customer.score._compute_company_scores`) vs one SQL aggregate with `ntile(5)`
    RFM written into a plain table (no churn model: the minimum for the same raw figures)."""

    name = "win-back scoring"
    module = "winback"

    def prepare(self, env):
        pass

    def odoo(self, env):
        env["winback.customer.score"]._compute_company_scores(env.company)
        return env["winback.customer.score"].search_count([("company_id", "=", env.company.id)])

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_scores AS
                WITH c AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           count(*) AS frequency,
                           sum(so.amount_untaxed) AS monetary,
                           now()::date - max(so.date_order)::date AS recency,
                           max(so.date_order) - min(so.date_order) AS span
                      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id = %s
                  GROUP BY p.commercial_partner_id)
                SELECT c.*,
                       ntile(5) OVER (ORDER BY recency DESC) AS r,
                       ntile(5) OVER (ORDER BY frequency) AS f,
                       ntile(5) OVER (ORDER BY monetary) AS m,
                       CASE WHEN recency > 365 THEN 'lost' WHEN recency > 180 THEN 'dormant'
                            ELSE 'active' END AS status
                  FROM c
                """,
                env.company.id,
            )
        )
        return env.cr.rowcount


class CampaignTargeting:
    """Targeting a win-back campaign over every at-risk, dormant and lost customer with a
    10 % holdout (`winback.campaign._target`, one INSERT … SELECT) vs the same split with a
    hash into a plain table. Coupon issuance per member goes through the gesture pipeline
    (ORM, one gesture each) and is not part of this operation."""

    name = "campaign targeting"
    module = "winback"

    def prepare(self, env):
        env["winback.customer.score"]._compute_company_scores(env.company)
        self.campaign = env["winback.campaign"].create(
            {
                "name": "Bench campaign",
                "segment_at_risk": True,
                "segment_dormant": True,
                "segment_lost": True,
                "holdout_percent": 10,
                "min_orders": 1,
                "gesture_type_id": env["loyalty.gesture.type"]
                .create({"name": "Bench coupon", "default_value": 10, "max_value": 50})
                .id,
            }
        )

    def odoo(self, env):
        self.campaign._target()
        return env["winback.campaign.member"].search_count([("campaign_id", "=", self.campaign.id)])

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_members AS
                SELECT s.partner_id,
                       mod(('x' || substr(md5(%s::text || '-' || s.partner_id::text), 1, 7)
                           )::bit(28)::int, 10000) < 1000 AS is_holdout
                  FROM winback_customer_score s JOIN res_partner p ON p.id = s.partner_id
                 WHERE s.company_id = %s AND s.status IN ('at_risk', 'dormant', 'lost')
                   AND p.active
                """,
                self.campaign.id,
                env.company.id,
            )
        )
        return env.cr.rowcount


class SatisfactionAggregation:
    """NPS, CSAT and response rate by month and team over one survey request per customer
    order (`satisfaction.report` read_group, the graph/pivot path) vs the same GROUP BY on
    the requests table."""

    name = "NPS/CSAT aggregation"
    module = "satisfaction_survey"

    def prepare(self, env):
        env.cr.execute(SQL("SELECT 1 FROM satisfaction_request LIMIT 1"))
        if env.cr.fetchone():
            return
        nps = env.ref("satisfaction_survey.survey_nps")
        env.cr.execute(
            SQL(
                """
                INSERT INTO satisfaction_request (
                    partner_id, commercial_partner_id, company_id, survey_id, kind, trigger,
                    access_token, scheduled_date, sent_date, answered_date, state, score,
                    nps_category, loop_state, create_date, write_date)
                SELECT so.partner_id, so.partner_id, so.company_id, %s, 'nps', 'invoice',
                       md5(so.id::text || random()::text), so.date_order, so.date_order,
                       CASE WHEN a.answered THEN so.date_order + interval '1 day' END,
                       CASE WHEN a.answered THEN 'answered' ELSE 'sent' END,
                       CASE WHEN a.answered THEN a.score END,
                       CASE WHEN NOT a.answered THEN NULL WHEN a.score >= 9 THEN 'promoter'
                            WHEN a.score >= 7 THEN 'passive' ELSE 'detractor' END,
                       'none', so.date_order, so.date_order
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id AND p.ref = %s,
                       LATERAL (SELECT random() < 0.4 AS answered,
                                       least(10, floor(random() * 11 + mod(so.id, 2)))::int AS score
                               ) a
                """,
                nps.id,
                datagen.TAG,
            )
        )
        env.cr.execute(SQL("ANALYZE satisfaction_request"))

    def odoo(self, env):
        groups = env["satisfaction.report"]._read_group(
            [("kind", "=", "nps")],
            ["date:month", "team_id"],
            ["nps_value:avg", "response_value:avg", "request_count:sum"],
        )
        return sum(count for *_rest, count in groups)

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_nps AS
                SELECT date_trunc('month', sent_date) AS month, team_id,
                       avg(CASE nps_category WHEN 'promoter' THEN 100.0
                                WHEN 'detractor' THEN -100.0 WHEN 'passive' THEN 0.0 END) AS nps,
                       avg(CASE WHEN state = 'answered' THEN 100.0 ELSE 0.0 END) AS response,
                       count(*) AS requests
                  FROM satisfaction_request
                 WHERE kind = 'nps' AND state IN ('sent', 'answered', 'expired')
              GROUP BY 1, 2
                """
            )
        )
        env.cr.execute(SQL("SELECT sum(requests) FROM bench_nps"))
        return env.cr.fetchone()[0]


OPERATIONS = [CustomerMetrics(), WinbackScoring(), CampaignTargeting(), SatisfactionAggregation()]


def available(env):
    installed = set(env["ir.module.module"].search([("state", "=", "installed")]).mapped("name"))
    return [op for op in OPERATIONS if op.module in installed]
