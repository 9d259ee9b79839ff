"""The benchmarked operations: each runs through the addons and as bare SQL.

``odoo(env)`` and ``baseline(env)`` return the number of customers (rows) they handled.
"""

import datagen
import screens
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL


class CustomerMetrics:
    """`res.partner._care_metrics()` over every customer (the registry the charter, portraits
    and the gesture wizard read: orders, points, coupons used, tickets, gestures over 12
    months against the peers' medians, last NPS and CSAT, win-back status) vs one bare SQL
    statement writing the same figures into a plain table."""

    name = "customer metrics"
    profile = True  # where the time goes (bench.StatementTimes)
    module = "loyalty_gesture"

    def prepare(self, env):
        self.ids = datagen.customer_ids(env)

    def odoo(self, env):
        return len(env["res.partner"].browse(self.ids)._care_metrics())

    def baseline(self, env):
        company = env.company
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_metrics AS
                WITH c AS (
                    SELECT DISTINCT commercial_partner_id AS id FROM res_partner
                     WHERE id = ANY(%(partners)s)
                ), o AS (
                    SELECT p.commercial_partner_id AS id, sum(so.amount_untaxed) AS revenue,
                           sum(so.amount_untaxed) FILTER (
                               WHERE so.date_order >= now() - interval '1 year') AS revenue_12m,
                           count(*) AS order_count, min(so.date_order) AS first_order,
                           max(so.date_order) AS last_order
                      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND p.commercial_partner_id IN (SELECT id FROM c)
                  GROUP BY p.commercial_partner_id
                ), k AS (
                    SELECT partner_id AS id, sum(points) AS points FROM loyalty_card
                     WHERE active AND program_id = %(program)s
                  GROUP BY partner_id
                ), g AS (
                    SELECT commercial_partner_id AS id, count(*) AS coupons,
                           count(DISTINCT coupon_card_id) FILTER (WHERE EXISTS (
                               SELECT 1 FROM sale_order_line sol
                                 JOIN sale_order so ON so.id = sol.order_id AND so.state = 'sale'
                                WHERE sol.coupon_id = coupon_card_id)) AS redeemed
                      FROM loyalty_gesture WHERE coupon_card_id IS NOT NULL
                  GROUP BY commercial_partner_id
                ), t AS (
                    SELECT commercial_partner_id AS id, count(*) AS tickets FROM helpdesk_ticket
                     WHERE active AND create_date >= now() - interval '1 year'
                  GROUP BY commercial_partner_id
                ), g12 AS (
                    SELECT commercial_partner_id AS id, count(*) AS n, sum(value) AS v,
                           max(create_date) AS last_date
                      FROM loyalty_gesture
                     WHERE company_id = %(company)s AND create_date >= now() - interval '1 year'
                       AND state IN ('to_approve', 'approved', 'done', 'followed_up')
                  GROUP BY commercial_partner_id
                ), peers AS (
                    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median_n,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median_v
                      FROM g12
                ), answers AS (
                    SELECT DISTINCT ON (commercial_partner_id, kind)
                           commercial_partner_id AS id, kind, score, nps_category
                      FROM satisfaction_request
                     WHERE state = 'answered' AND commercial_partner_id IN (SELECT id FROM c)
                  ORDER BY commercial_partner_id, kind, answered_date DESC, id DESC
                )
                SELECT c.id, o.revenue, o.revenue_12m, o.order_count, o.first_order,
                       o.last_order, k.points, g.coupons, g.redeemed, t.tickets,
                       g12.n, g12.v, g12.last_date, peers.median_n,
                       g12.n > 3 * peers.median_n AS abuse,
                       nps.score AS last_nps, nps.nps_category = 'detractor' AS detractor,
                       csat.score AS last_csat, s.status, s.churn_risk
                  FROM c CROSS JOIN peers
             LEFT JOIN o ON o.id = c.id
             LEFT JOIN k ON k.id = c.id
             LEFT JOIN g ON g.id = c.id
             LEFT JOIN t ON t.id = c.id
             LEFT JOIN g12 ON g12.id = c.id
             LEFT JOIN answers nps ON nps.id = c.id AND nps.kind = 'nps'
             LEFT JOIN answers csat ON csat.id = c.id AND csat.kind = 'csat'
             LEFT JOIN winback_customer_score s
                    ON s.partner_id = c.id AND s.company_id = %(company)s
                """,
                partners=self.ids,
                program=company._care_points_program().id or 0,
                company=company.id,
            )
        )
        return env.cr.rowcount


class WinbackScoring:
    """Full (nightly) recompute of win-back status, RFM quintiles, churn risk and predictions
    for the company over yesterday's scores, the company's churn model being already fitted
    today (`winback.customer.score._compute_company_scores`: figures in a temporary table,
    MBG/NBD's 4 parameters fitted in numpy on the distinct histories, the back-tested
    model's features and risk in one INSERT … SELECT … ON CONFLICT into the indexed score
    table) vs bare SQL computing the same features, risk, statuses and `ntile(5)` RFM —
    the same SQL feature builders (`tools/churn_sql.py`) and MBG/NBD fit (`tools/churn.fit`),
    the only shared code — written into a plain table without indexes."""

    name = "win-back scoring"
    profile = True  # where the time goes (bench.StatementTimes)
    module = "winback"

    def prepare(self, env):
        # the nightly recompute: yesterday's scores and today's fit are there
        env["winback.customer.score"]._compute_company_scores(env.company, refit=True)

    def odoo(self, env):
        env["winback.customer.score"]._compute_company_scores(env.company)
        return env["winback.customer.score"].search_count([("company_id", "=", env.company.id)])

    def baseline(self, env):
        import numpy as np

        from odoo.addons.winback.tools import churn, churn_sql

        cr, company = env.cr, env.company
        today = fields.Date.context_today(env["res.partner"])
        fit = env["winback.churn.fit"]._latest(company)
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_input AS
                WITH g AS (
                    SELECT d.*, day - lag(day) OVER (PARTITION BY partner_id ORDER BY day) AS gap
                      FROM (%(orders)s) d)
                SELECT 0 AS k, partner_id, %(aggregates)s FROM g GROUP BY partner_id
                """,
                orders=churn_sql.orders_sql(company.id, today),
                aggregates=churn_sql.aggregates_sql(SQL("%s::date", today)),
            )
        )
        cr.execute(
            SQL(
                "SELECT days - 1, span, greatest(age, span), count(*) FROM bench_input "
                "GROUP BY 1, 2, 3"
            )
        )
        x, tx, t, w = (np.array(c, dtype=float) for c in zip(*cr.fetchall(), strict=True))
        params = churn.fit(x.astype(int), tx, t, weights=w)
        cut = SQL("(VALUES (0, %s::date)) AS c(k, cutoff)", today)
        source = SQL(
            "(SELECT ii.*, e.tickets, e.gestures, e.nps FROM bench_input ii "
            "LEFT JOIN (%s) e USING (k, partner_id)) i",
            churn_sql.extras_sql(company.id, cut),
        )
        risk = (
            churn_sql.risk_sql(fit.model, alias="g")
            if fit.method == "backtest"
            else SQL(
                "1 - g.alive * (1 - power((g.alpha + g.t) / (g.alpha + g.t + g.h), g.r + g.x))"
            )
        )
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_scores AS
                SELECT partner_id, orders, days, first_day, last_day, recency, revenue, median,
                       CASE WHEN risk >= %(lost_risk)s AND ratio >= %(lost_factor)s THEN 'lost'
                            WHEN risk >= %(at_risk)s AND ratio >= %(dormant_factor)s
                            THEN 'dormant'
                            WHEN risk >= %(at_risk)s OR ratio > %(factor)s
                              OR (revenue_prev > 0
                                  AND 100.0 * (revenue_12m - revenue_prev) / revenue_prev
                                      <= -%(drop)s)
                            THEN 'at_risk' ELSE 'active' END AS status,
                       risk, round(100 * alive) AS p_alive, nps, interval, expected,
                       last_day + round(interval)::int AS expected_order_date,
                       expected_year * least((1 - prob) / greatest(mbg_buy, 1e-6), 3)
                         * %(p)s * (%(v)s + greatest(revenue, 0)) / (%(p)s * days + %(q)s - 1)
                         AS value_12m,
                       ntile(5) OVER (ORDER BY last_day, partner_id) AS r,
                       ntile(5) OVER (ORDER BY days, orders, partner_id) AS f,
                       ntile(5) OVER (ORDER BY revenue, partner_id) AS m
                  FROM (SELECT g.*, %(risk)s AS prob, round(100 * (%(risk)s)) AS risk,
                               recency / interval AS ratio,
                               alive * (1 - power((alpha + t) / (alpha + t + h), r + x))
                                 AS mbg_buy
                          FROM (%(model)s) g) v
                """,
                risk=risk,
                model=churn_sql.model_sql(
                    source, churn_sql.params_sql([(0, params, fit.horizon_days)])
                ),
                lost_risk=company.winback_lost_risk,
                lost_factor=company.winback_lost_factor,
                at_risk=company.winback_at_risk_risk,
                dormant_factor=company.winback_dormant_factor,
                factor=company.winback_at_risk_factor,
                drop=company.winback_revenue_drop,
                p=fit.spend_p,
                q=fit.spend_q,
                v=fit.spend_v,
            )
        )
        return cr.rowcount


class CampaignTargeting:
    """Targeting a win-back campaign over every at-risk, dormant and lost customer with a
    10 % holdout (`winback.campaign._target`, one INSERT … SELECT with the exclusion
    reasons) vs a bare INSERT of the same customers, split by the same hash, into the same
    member table (same constraints and indexes on both sides)."""

    name = "campaign targeting"
    profile = True  # where the time goes (bench.StatementTimes)
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
                INSERT INTO winback_campaign_member (
                    campaign_id, company_id, partner_id, status_at_start, churn_risk_at_start,
                    revenue_before, is_holdout, state, contacted, reactivated, relapsed,
                    call_scheduled, revenue, offer_cost,
                    create_uid, write_uid, create_date, write_date)
                SELECT %(campaign)s, s.company_id, s.partner_id, s.status, s.churn_risk,
                       s.revenue, h.bucket < 1000,
                       CASE WHEN h.bucket < 1000 THEN 'holdout' ELSE 'targeted' END,
                       FALSE, FALSE, FALSE, FALSE, 0, 0, 1, 1, now(), now()
                  FROM winback_customer_score s
                  JOIN res_partner p ON p.id = s.partner_id,
                       LATERAL (SELECT mod(('x' || substr(md5(%(campaign)s::text || '-'
                                   || s.partner_id::text), 1, 7))::bit(28)::int, 10000)
                               AS bucket) h
                 WHERE s.company_id = %(company)s
                   AND s.status IN ('at_risk', 'dormant', 'lost') AND p.active
                """,
                campaign=self.campaign.id,
                company=env.company.id,
            )
        )
        return env.cr.rowcount


class CouponIssuance:
    """Issuing the personal coupons of a campaign's first (up to) 100,000 targeted members
    (`winback.campaign._grant_offers`: contact policy and log, budget, one gesture each
    created, charter-checked, submitted, approved and fulfilled as a batch — one loyalty
    coupon each — and a follow-up activity each; the D0 emails, rendered by the mail queue,
    are not timed) vs bare SQL inserting the same rows: contact logs, gestures, coupons
    with their codes, activities."""

    name = "coupon issuance"
    module = "winback"
    members = 100_000
    max_scale = 100_000  # the 100,000-member campaign of the target

    def prepare(self, env):
        env["winback.customer.score"]._compute_company_scores(env.company)
        gesture_type = env["loyalty.gesture.type"].create(
            {"name": "Bench win-back coupon", "default_value": 10, "max_value": 50}
        )
        self.campaign = env["winback.campaign"].create(
            {
                "name": "Bench coupons",
                "segment_at_risk": True,
                "segment_dormant": True,
                "segment_lost": True,
                "holdout_percent": 10,
                "min_orders": 1,
                "gesture_type_id": gesture_type.id,
            }
        )
        self.campaign._target()
        env.cr.execute(
            SQL(
                "SELECT id, partner_id FROM winback_campaign_member "
                "WHERE campaign_id = %s AND state = 'targeted' "
                "ORDER BY revenue_before DESC, id LIMIT %s",
                self.campaign.id,
                self.members,
            )
        )
        rows = env.cr.fetchall()
        self.member_ids = [r[0] for r in rows]
        self.partner_ids = [r[1] for r in rows]

    def odoo(self, env):
        members = env["winback.campaign.member"].browse(self.member_ids)
        accepted = self.campaign._grant_offers(members)
        return len(accepted)

    def baseline(self, env):
        cr, company = env.cr, env.company
        program = company._care_program("coupons")
        type_id = self.campaign.gesture_type_id.id
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_logs AS
                SELECT m, p, 'winback'::varchar AS kind, 'sent'::varchar AS state, now() AS date
                  FROM unnest(%s::int[], %s::int[]) AS t(m, p)
                """,
                self.member_ids,
                self.partner_ids,
            )
        )
        cr.execute(
            SQL(
                """
                WITH cards AS (
                    INSERT INTO loyalty_card (program_id, company_id, partner_id, points, code,
                                              expiration_date, create_date, write_date)
                    SELECT %(program)s, %(company)s, p, 10,
                           '044' || substr(md5(random()::text), 1, 17),
                           current_date + 90, now(), now()
                      FROM unnest(%(partners)s::int[]) p
                 RETURNING id, partner_id
                ), gestures AS (
                    INSERT INTO loyalty_gesture (name, company_id, partner_id, type_id, state,
                                                 value, coupon_card_id, done_date,
                                                 create_date, write_date)
                    SELECT 'GES/' || id, %(company)s, partner_id, %(type)s, 'done', 10, id,
                           now(), now(), now()
                      FROM cards
                 RETURNING id
                )
                INSERT INTO mail_activity (res_model_id, res_model, res_id, user_id,
                                           date_deadline, create_date, write_date)
                SELECT %(model)s, 'loyalty.gesture', id, %(uid)s, current_date + 7, now(), now()
                  FROM gestures
                """,
                program=program.id,
                company=company.id,
                partners=self.partner_ids,
                type=type_id,
                model=env["ir.model"]._get_id("loyalty.gesture"),
                uid=env.uid,
            )
        )
        return cr.rowcount

    def check(self, env):
        """Every accepted member has one done gesture with its own coupon."""
        env.cr.execute(
            SQL(
                """
                SELECT count(*), count(DISTINCT g.coupon_card_id),
                       count(*) FILTER (WHERE g.state = 'done'),
                       count(*) FILTER (WHERE c.partner_id = m.partner_id AND c.points = 10)
                  FROM winback_campaign_member m
                  JOIN loyalty_gesture g ON g.id = m.gesture_id
                  JOIN loyalty_card c ON c.id = g.coupon_card_id
                 WHERE m.campaign_id = %s
                """,
                self.campaign.id,
            )
        )
        total, cards, done, right = env.cr.fetchone()
        if not (total == cards == done == right):
            return f"{total} gestures, {cards} coupons, {done} done, {right} right"
        return None


# Every KPI the dashboard refresh writes, for one company and 12 months, in one bare SQL
# statement: the same definitions as care_kpi_report_figures (survey counts, retention and
# repurchase from a bit mask of order months per customer, gestures and their revenue,
# gesture lift against comparable customers, campaign lift and ROI), as rows
# (month, kpi, numerator, denominator, value or NULL).
DASHBOARD_FIGURES = """
WITH months AS (
    SELECT (%(first)s::date + make_interval(months => n))::date AS m, 23 + n AS j,
           (%(first)s::date + make_interval(months => n))::timestamp AS m_start,
           (%(first)s::date + make_interval(months => n + 1))::timestamp AS m_end
      FROM generate_series(0, 11) AS n
), surveys AS (
    SELECT date_trunc('month', day)::date AS m, kpi,
           COUNT(*) FILTER (WHERE counted) AS num, COUNT(*) AS den,
           SUM(CASE WHEN promoter THEN 1 WHEN detractor THEN -1 ELSE 0 END) AS net
      FROM satisfaction_request r,
           LATERAL (VALUES
               ('csat', r.answered_date, r.score >= 4, FALSE, FALSE,
                r.kind = 'csat' AND r.state = 'answered'),
               ('nps', r.answered_date, FALSE, r.nps_category = 'promoter',
                r.nps_category = 'detractor', r.kind = 'nps' AND r.state = 'answered'),
               ('response_rate', r.sent_date, r.state = 'answered', FALSE, FALSE,
                r.state IN ('sent', 'answered', 'expired')),
               ('close_loop_rate', r.loop_opened_date, r.loop_state = 'closed', FALSE, FALSE,
                r.loop_state IN ('open', 'closed'))
           ) AS v(kpi, day, counted, promoter, detractor, among)
     WHERE r.company_id = %(company)s AND v.among
       AND v.day >= %(first)s AND v.day < %(end)s
     GROUP BY 1, 2
), masks AS (
    SELECT customer, bit_or(1::bigint << i) AS once,
           bit_or(CASE WHEN n > 1 THEN 1::bigint << i ELSE 0 END) AS twice
      FROM (
        SELECT p.commercial_partner_id AS customer,
               (date_part('year', so.date_order) * 12
                + date_part('month', so.date_order))::int - %(base_index)s AS i,
               COUNT(*) AS n
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND so.company_id = %(company)s
           AND so.date_order >= %(base)s AND so.date_order < %(end)s
         GROUP BY 1, 2
      ) AS per_month
     GROUP BY 1
), retention AS (
    SELECT m, COUNT(*) FILTER (WHERE before) AS prev,
           COUNT(*) FILTER (WHERE before AND active <> 0) AS kept,
           COUNT(*) FILTER (WHERE active <> 0) AS active,
           COUNT(*) FILTER (WHERE twice OR active & (active - 1) <> 0) AS repeat
      FROM (
        SELECT months.m, k.once & (4095::bigint << (months.j - 23)) <> 0 AS before,
               k.once & (4095::bigint << (months.j - 11)) AS active,
               k.twice & (4095::bigint << (months.j - 11)) <> 0 AS twice
          FROM masks k
          JOIN months ON k.once & (16777215::bigint << (months.j - 23)) <> 0
      ) AS flags
     GROUP BY m
), orders AS (
    SELECT p.commercial_partner_id AS customer, so.date_order
      FROM sale_order so
      JOIN res_partner p ON p.id = so.partner_id
     WHERE so.state = 'sale' AND so.company_id = %(company)s
       AND so.date_order >= %(first)s::date - interval '12 months'
       AND so.date_order < %(end)s::date + interval '90 days'
), gestures AS (
    SELECT date_trunc('month', g.done_date)::date AS m, g.commercial_partner_id AS customer,
           g.done_date, g.cost, g.coupon_card_id,
           g.coupon_card_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM sale_order_line l JOIN sale_order so ON so.id = l.order_id
                WHERE l.coupon_id = g.coupon_card_id AND so.state = 'sale') AS redeemed
      FROM loyalty_gesture g
     WHERE g.state IN ('done', 'followed_up') AND g.done_date IS NOT NULL
       AND g.company_id = %(company)s AND g.done_date >= %(first)s AND g.done_date < %(end)s
), recipients AS (
    SELECT m, customer, MIN(done_date) AS since FROM gestures GROUP BY 1, 2
), gesture_revenue AS (
    SELECT r.m, SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0)) AS amount
      FROM recipients r
      JOIN res_partner p ON p.commercial_partner_id = r.customer
      JOIN sale_order so ON so.partner_id = p.id AND so.company_id = %(company)s
                        AND so.state = 'sale' AND so.date_order >= r.since
                        AND so.date_order < r.since + interval '90 days'
     GROUP BY r.m
), gesture_figures AS (
    SELECT g.m, COUNT(*) AS count, COALESCE(SUM(g.cost), 0) AS cost,
           COUNT(g.coupon_card_id) AS coupons, COUNT(*) FILTER (WHERE g.redeemed) AS redeemed,
           COALESCE(MAX(gr.amount), 0) AS revenue
      FROM gestures g LEFT JOIN gesture_revenue gr ON gr.m = g.m
     GROUP BY g.m
), people AS (
    SELECT m, customer, since, TRUE AS recipient FROM recipients
    UNION ALL
    SELECT DISTINCT months.m, o.customer, months.m_start, FALSE
      FROM months
      JOIN orders o ON o.date_order >= months.m_start - interval '12 months'
                   AND o.date_order < months.m_start
     WHERE NOT EXISTS (
           SELECT 1 FROM recipients r WHERE r.m = months.m AND r.customer = o.customer)
), lift AS (
    SELECT pe.m, COUNT(*) FILTER (WHERE pe.recipient) AS count,
           COUNT(*) FILTER (WHERE pe.recipient AND b.back) AS won,
           COUNT(*) FILTER (WHERE NOT pe.recipient) AS base,
           COUNT(*) FILTER (WHERE NOT pe.recipient AND b.back) AS base_won
      FROM people pe
      LEFT JOIN (
        SELECT DISTINCT pe.m, pe.customer, pe.recipient, TRUE AS back
          FROM people pe
          JOIN orders o ON o.customer = pe.customer AND o.date_order >= pe.since
                       AND o.date_order < pe.since + interval '90 days'
      ) AS b ON b.m = pe.m AND b.customer = pe.customer AND b.recipient = pe.recipient
     GROUP BY pe.m
), campaigns AS (
    SELECT date_trunc('month', c.date_start)::date AS m,
           COUNT(*) FILTER (WHERE m.is_holdout IS NOT TRUE) AS count,
           COUNT(*) FILTER (WHERE m.is_holdout IS NOT TRUE AND m.reactivated) AS won,
           COUNT(*) FILTER (WHERE m.is_holdout) AS base,
           COUNT(*) FILTER (WHERE m.is_holdout AND m.reactivated) AS base_won,
           COALESCE(SUM(m.revenue) FILTER (
               WHERE m.is_holdout IS NOT TRUE AND m.reactivated), 0) AS revenue,
           COALESCE(SUM(m.offer_cost) FILTER (WHERE m.is_holdout IS NOT TRUE), 0)
           + COALESCE(SUM(c.contact_cost) FILTER (
               WHERE m.is_holdout IS NOT TRUE AND m.state != 'targeted'), 0) AS cost
      FROM winback_campaign_member m
      JOIN winback_campaign c ON c.id = m.campaign_id
     WHERE m.state != 'excluded' AND c.company_id = %(company)s
       AND c.date_start >= %(first)s AND c.date_start < %(end)s
     GROUP BY 1
), figures (m, kpi, num, den, value) AS (
    SELECT m, kpi, CASE kpi WHEN 'nps' THEN net ELSE num END, den,
           100.0 * CASE kpi WHEN 'nps' THEN net ELSE num END / den
      FROM surveys
    UNION ALL
    SELECT m, v.* FROM retention, LATERAL (VALUES
        ('retention_rate', kept, prev, 100.0 * kept / NULLIF(prev, 0)),
        ('repurchase_rate', repeat, active, 100.0 * repeat / NULLIF(active, 0))) AS v
    UNION ALL
    SELECT m, v.* FROM gesture_figures, LATERAL (VALUES
        ('gesture_cost', cost, count, cost),
        ('gesture_roi', revenue - cost, cost, 100.0 * (revenue - cost) / NULLIF(cost, 0)),
        ('redemption_rate', redeemed, coupons, 100.0 * redeemed / NULLIF(coupons, 0))) AS v
    UNION ALL
    SELECT m, 'campaign_roi', revenue - cost, cost, 100.0 * (revenue - cost) / NULLIF(cost, 0)
      FROM campaigns
    UNION ALL
    SELECT m, kpi, COALESCE(rate, 0), COALESCE(base_rate, 0), rate - base_rate
      FROM (
        SELECT m, 'gesture_lift' AS kpi, 100.0 * won / NULLIF(count, 0) AS rate,
               100.0 * base_won / NULLIF(base, 0) AS base_rate
          FROM lift
        UNION ALL
        SELECT m, 'winback_lift', 100.0 * won / NULLIF(count, 0),
               100.0 * base_won / NULLIF(base, 0)
          FROM campaigns
      ) AS lifts
)
SELECT m, kpi, num::float8, den::float8, value::float8 FROM figures
"""


class DashboardLoad:
    """The care manager's KPI dashboard refresh: `care.kpi.report` refresh of the last 12
    months (`_refresh`: every KPI from orders, surveys, gestures and campaigns, one upsert)
    then the reads of the dashboard views (this month's cards, the 12-month trend) vs bare
    SQL computing the same figures (every KPI the refresh writes, checked equal) in one
    statement into a plain table, without targets, then the same two reads."""

    name = "dashboard load"
    profile = True  # where the time goes (bench.StatementTimes)
    module = "winback"

    def prepare(self, env):
        pass

    def odoo(self, env):
        kpi = env["care.kpi.report"]
        months = kpi._last_months(12)
        kpi._refresh(env.company, months)
        cards = kpi.search_read(
            [("company_id", "=", env.company.id), ("period", "=", months[0])],
            ["kpi", "actual", "target", "gap", "status", "unit", "numerator", "denominator"],
        )
        kpi._read_group(
            [("company_id", "=", env.company.id), ("period", ">=", months[-1])],
            ["period:month", "kpi"],
            ["actual:avg"],
        )
        return len(cards)

    def _figures(self, env):
        months = env["care.kpi.report"]._last_months(12)
        first = months[-1]
        base = first - relativedelta(months=23)
        return SQL(
            DASHBOARD_FIGURES,
            company=env.company.id,
            first=first,
            end=months[0] + relativedelta(months=1),
            base=base,
            base_index=base.year * 12 + base.month,
        )

    def check(self, env):
        """The baseline's figures are those the refresh stored."""
        env.cr.execute(self._figures(env))
        expected = {(m, kpi): (num, den, value) for m, kpi, num, den, value in env.cr.fetchall()}
        months = env["care.kpi.report"]._last_months(12)
        env.cr.execute(
            SQL(
                """
                SELECT period, kpi, numerator, denominator,
                       CASE WHEN measured THEN actual END
                  FROM care_kpi_report WHERE company_id = %s AND period >= %s
                """,
                env.company.id,
                months[-1],
            )
        )
        wrong = []
        for m, kpi, num, den, value in env.cr.fetchall():
            want = expected.get((m, kpi), (0.0, 0.0, None))
            got = (num, den, value)
            if any(
                (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-6)
                for a, b in zip(got, want, strict=True)
            ):
                wrong.append(f"{kpi} {m}: {got} vs {want}")
        return "; ".join(wrong[:5]) or None

    def baseline(self, env):
        env.cr.execute(SQL("CREATE TEMP TABLE bench_kpi AS %s", self._figures(env)))
        env.cr.execute(
            SQL(
                "SELECT kpi, value, num, den FROM bench_kpi WHERE m = %s",
                env["care.kpi.report"]._last_months(1)[0],
            )
        )
        rows = env.cr.rowcount
        env.cr.execute(SQL("SELECT m, kpi, avg(value) FROM bench_kpi GROUP BY 1, 2"))
        return rows


class DashboardOpen:
    """Opening the care manager's KPI dashboard once its figures are stored (issue #21:
    opening reads stored figures, the refresh runs in the background): the dashboard's
    action, this month's cards as the kanban reads them (`web_search_read`) and the
    12-month trend (`web_read_group`) vs bare SQL reading the same rows."""

    name = "dashboard open"
    module = "winback"

    def prepare(self, env):
        kpi = env["care.kpi.report"]
        kpi._refresh(env.company, kpi._last_months(12))

    def odoo(self, env):
        kpi = env["care.kpi.report"]
        months = kpi._last_months(12)
        env["ir.actions.act_window"]._for_xml_id("winback.care_kpi_report_action")
        spec = {
            name: {}
            for name in (
                "kpi", "actual", "target", "gap", "status", "unit", "measured", "has_target",
                "color", "period", "company_id", "refresh_running", "figures_computed_on",
            )
        }  # fmt: skip
        cards = kpi.web_search_read(
            [("company_id", "=", env.company.id), ("period", "=", months[0])], spec
        )
        kpi.web_read_group(
            [("company_id", "=", env.company.id), ("period", ">=", months[-1])],
            ["actual:avg"],
            ["period:month", "kpi"],
            lazy=False,
        )
        return cards["length"]

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                SELECT kpi, actual, target, gap, status, unit, measured, has_target, color,
                       period, company_id
                  FROM care_kpi_report
                 WHERE company_id = %(company)s AND period = date_trunc('month', now())::date
                """,
                company=env.company.id,
            )
        )
        rows = env.cr.rowcount
        env.cr.execute(
            SQL(
                """
                SELECT date_trunc('month', period), kpi, avg(actual)
                  FROM care_kpi_report
                 WHERE company_id = %(company)s
                   AND period >= (date_trunc('month', now()) - interval '11 months')::date
                 GROUP BY 1, 2
                """,
                company=env.company.id,
            )
        )
        return rows


class GrantWizard:
    """Opening the ticket's *Grant a gesture* wizard (`helpdesk.ticket.action_grant_gesture`
    then the form's defaults and onchange, as the web client does) for a customer with
    1,000 orders and 50 past gestures, 30 times: *Odoo s* is the median of one open, and
    the query count is compared with a customer with 10 orders and 5 gestures (both must
    match) vs bare SQL reading the same customer's figures and last 20 gestures."""

    name = "grant wizard (one open)"
    module = "loyalty_gesture"
    opens = 30

    def _customer(self, env, name, orders, gestures):
        cr = env.cr
        partner = env["res.partner"].create({"name": name, "email": "wizard@example.com"})
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                        company_id, currency_id, date_order, state,
                                        amount_untaxed, amount_tax, amount_total,
                                        create_date, write_date)
                SELECT 'WIZ/' || %(p)s || '/' || k, %(p)s, %(p)s, %(p)s, %(company)s,
                       %(currency)s, now() - make_interval(days => k), 'sale', 50, 0, 50,
                       now(), now()
                  FROM generate_series(1, %(n)s) k
                """,
                p=partner.id,
                n=orders,
                company=env.company.id,
                currency=env.company.currency_id.id,
            )
        )
        gesture_type = env["loyalty.gesture.type"].create(
            {"name": "Bench letter", "fulfilment": "letter"}
        )
        cr.execute(
            SQL(
                """
                INSERT INTO loyalty_gesture (name, company_id, partner_id, commercial_partner_id,
                                             type_id, state, value, done_date,
                                             create_date, write_date)
                SELECT 'WIZ/' || %(p)s || '/' || k, %(company)s, %(p)s, %(p)s, %(type)s, 'done',
                       0, now() - make_interval(days => 20 * k),
                       now() - make_interval(days => 20 * k), now()
                  FROM generate_series(1, %(n)s) k
                """,
                p=partner.id,
                n=gestures,
                company=env.company.id,
                type=gesture_type.id,
            )
        )
        ticket = env["helpdesk.ticket"].create(
            {"name": "Broken machine", "description": "It broke.", "partner_id": partner.id}
        )
        return ticket

    def prepare(self, env):
        self.big = self._customer(env, "Wizard big customer", 1000, 50)
        self.small = self._customer(env, "Wizard small customer", 10, 5)
        self.big_partner_id = self.big.partner_id.id

    def _open(self, env, ticket):
        from odoo.tests import Form

        action = ticket.with_env(env).action_grant_gesture()
        form = Form(env[action["res_model"]].with_context(**action["context"]))
        return form

    def _time_opens(self, env, ticket):
        import statistics
        import time

        self._open(env, ticket)  # warm: views and caches loaded once per process
        times, queries = [], []
        for _i in range(self.opens):
            env.invalidate_all()
            count = env.cr.sql_log_count
            start = time.perf_counter()
            self._open(env, ticket)
            times.append(time.perf_counter() - start)
            queries.append(env.cr.sql_log_count - count)
        return statistics.median(times), int(statistics.median(queries))

    def odoo(self, env):
        small_median, small_queries = self._time_opens(env, self.small)
        median, queries = self._time_opens(env, self.big)
        self.extra = {
            "median_s": median,
            "queries_1000": queries,
            "queries_10": small_queries,
            "small_median_s": small_median,
        }
        return 1

    def baseline(self, env):
        import statistics
        import time

        times = []
        for _i in range(self.opens):
            start = time.perf_counter()
            env.cr.execute(
                SQL(
                    """
                    SELECT count(*), sum(amount_untaxed), min(date_order), max(date_order)
                      FROM sale_order WHERE partner_id = %(p)s AND state = 'sale';
                    SELECT id, name, value, state FROM loyalty_gesture
                     WHERE partner_id = %(p)s AND state NOT IN ('draft', 'cancelled')
                  ORDER BY create_date DESC LIMIT 20
                    """,
                    p=self.big_partner_id,
                )
            )
            times.append(time.perf_counter() - start)
        self.extra["baseline_median_s"] = statistics.median(times)
        return 1


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


class GestureEffects:
    """Nightly measure of what gestures achieve (`loyalty.gesture.effect._compute_company_effects`:
    cases in a temporary table, dated figures through the metrics registry, one GROUP BY,
    empirical-Bayes shrinkage in Python, one INSERT per 1,000 rows) over one ticket for ~30 %
    of the customers in the last two years, 60 % of them with a gesture of one of four types,
    vs bare SQL computing the same figures per type and kind of case (tier, return within
    90 days and its revenue, tickets of the 12 months before, coupon redemption, detractor
    and next NPS/CSAT) into a plain table, without shrinkage."""

    name = "gesture effects (nightly)"
    module = "loyalty_gesture"

    def prepare(self, env):
        env.cr.execute(SQL("SELECT 1 FROM helpdesk_ticket WHERE number = 'BENCH' LIMIT 1"))
        if not env.cr.fetchone():
            self._generate(env)
        # yesterday's figures: the grant wizard (measured next) ranks by them
        env["loyalty.gesture.effect"]._compute_company_effects(env.company)

    def _generate(self, env):
        cr = env.cr
        types = env["loyalty.gesture.type"].create(
            [
                {"name": "Bench %s" % name, "fulfilment": "letter", "category": "repair"}
                for name in ("apology", "voucher", "call", "gift")
            ]
        )
        cr.execute(SQL("SELECT setseed(0.17)"))
        cr.execute(
            SQL(
                """
                INSERT INTO helpdesk_ticket (number, name, description, partner_id,
                    commercial_partner_id, company_id, priority, create_date, write_date)
                SELECT 'BENCH', 'Bench ticket', '<p>Bench</p>', p.id, p.id, %(company)s,
                       (floor(random() * 4))::int::text,
                       now() - make_interval(days => (100 + random() * 600)::int), now()
                  FROM res_partner p
                 WHERE p.ref = %(tag)s AND random() < 0.3
                """,
                company=env.company.id,
                tag=datagen.TAG,
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO loyalty_gesture (name, company_id, partner_id, commercial_partner_id,
                    type_id, ticket_id, state, value, cost, severity, done_date,
                    create_date, write_date)
                SELECT 'BENCH', t.company_id, t.partner_id, t.partner_id,
                       (%(types)s::int[])[1 + floor(random() * 4)::int], t.id, 'done',
                       10, 10 + floor(random() * 20),
                       CASE t.priority WHEN '0' THEN 'low' WHEN '2' THEN 'high'
                                       WHEN '3' THEN 'critical' ELSE 'medium' END,
                       t.create_date + interval '1 day', t.create_date, t.create_date
                  FROM helpdesk_ticket t
                 WHERE t.number = 'BENCH' AND random() < 0.6
                """,
                types=types.ids,
            )
        )
        cr.execute(SQL("ANALYZE helpdesk_ticket; ANALYZE loyalty_gesture"))
        env.invalidate_all()

    def odoo(self, env):
        return env["loyalty.gesture.effect"]._compute_company_effects(env.company)

    def baseline(self, env):
        company = env.company
        survey = SQL(", NULL::boolean AS detractor, NULL::int AS next_nps, NULL::int AS next_csat")
        if "satisfaction.request" in env:
            survey = SQL(
                """,
                (SELECT r.nps_category = 'detractor' FROM satisfaction_request r
                  WHERE r.commercial_partner_id = c.partner_id AND r.kind = 'nps'
                    AND r.state = 'answered' AND r.answered_date < c.d
               ORDER BY r.answered_date DESC LIMIT 1) AS detractor,
                (SELECT r.score FROM satisfaction_request r
                  WHERE r.commercial_partner_id = c.partner_id AND r.kind = 'nps'
                    AND r.state = 'answered' AND r.answered_date > c.d
                    AND r.answered_date <= c.d + interval '90 days'
               ORDER BY r.answered_date LIMIT 1) AS next_nps,
                (SELECT r.score FROM satisfaction_request r
                  WHERE r.commercial_partner_id = c.partner_id AND r.kind = 'csat'
                    AND r.state = 'answered' AND r.answered_date > c.d
                    AND r.answered_date <= c.d + interval '90 days'
               ORDER BY r.answered_date LIMIT 1) AS next_csat
                """
            )
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_effects AS
                WITH cases AS (
                    SELECT g.partner_id AS partner_id, COALESCE(g.done_date, g.create_date) AS d,
                           g.type_id, g.severity, t.team_id, g.cost,
                           g.coupon_card_id AS coupon
                      FROM loyalty_gesture g
                 LEFT JOIN helpdesk_ticket t ON t.id = g.ticket_id
                     WHERE g.company_id = %(company)s AND g.state IN ('done', 'followed_up')
                       AND COALESCE(g.done_date, g.create_date)
                           BETWEEN now() - interval '730 days' AND now() - interval '90 days'
                    UNION ALL
                    SELECT t.commercial_partner_id, t.create_date, NULL,
                           CASE t.priority WHEN '0' THEN 'low' WHEN '2' THEN 'high'
                                           WHEN '3' THEN 'critical' ELSE 'medium' END,
                           t.team_id, 0, NULL
                      FROM helpdesk_ticket t
                     WHERE t.company_id = %(company)s AND t.commercial_partner_id IS NOT NULL
                       AND t.create_date
                           BETWEEN now() - interval '730 days' AND now() - interval '90 days'
                       AND NOT EXISTS (SELECT 1 FROM loyalty_gesture g WHERE g.ticket_id = t.id
                                          AND g.state NOT IN ('refused', 'cancelled'))
                ), figures AS (
                    SELECT c.*,
                           (SELECT COALESCE(SUM(so.amount_untaxed), 0) FROM sale_order so
                              JOIN res_partner p ON p.id = so.partner_id
                             WHERE p.commercial_partner_id = c.partner_id AND so.state = 'sale'
                               AND so.date_order >= c.d - interval '1 year'
                               AND so.date_order < c.d) AS revenue_12m,
                           (SELECT SUM(so.amount_untaxed) FROM sale_order so
                              JOIN res_partner p ON p.id = so.partner_id
                             WHERE p.commercial_partner_id = c.partner_id AND so.state = 'sale'
                               AND so.amount_untaxed > 0 AND so.date_order > c.d
                               AND so.date_order <= c.d + interval '90 days') AS return_revenue,
                           (SELECT COUNT(*) FROM helpdesk_ticket t
                             WHERE t.commercial_partner_id = c.partner_id
                               AND t.create_date > c.d - interval '1 year'
                               AND t.create_date <= c.d) AS complaints,
                           EXISTS (SELECT 1 FROM sale_order_line sol
                                     JOIN sale_order so ON so.id = sol.order_id
                                    WHERE c.coupon IS NOT NULL AND sol.coupon_id = c.coupon
                                      AND so.state = 'sale') AS redeemed
                           %(survey)s
                      FROM cases c
                )
                SELECT type_id, severity, team_id,
                       CASE WHEN revenue_12m >= %(vip)s THEN 'vip'
                            WHEN revenue_12m >= %(gold)s THEN 'gold'
                            WHEN revenue_12m >= %(silver)s THEN 'silver'
                            ELSE 'standard' END AS tier,
                       COALESCE(detractor, false) AS detractor, complaints >= 2 AS repeat,
                       COUNT(*) AS cases, COUNT(return_revenue) AS returns,
                       SUM(return_revenue) AS revenue, COUNT(coupon) AS coupons,
                       COUNT(*) FILTER (WHERE redeemed) AS redeemed, SUM(cost) AS cost,
                       COUNT(next_nps) AS nps_count, AVG(next_nps) AS nps,
                       COUNT(next_csat) AS csat_count, AVG(next_csat) AS csat
                  FROM figures
              GROUP BY 1, 2, 3, 4, 5, 6
                """,
                company=company.id,
                vip=company.care_tier_vip_revenue,
                gold=company.care_tier_gold_revenue,
                silver=company.care_tier_silver_revenue,
                survey=survey,
            )
        )
        return env.cr.rowcount


class D0Mailing:
    """The D0 email of a started campaign's members through Email Marketing's queue: the
    members (every targeted customer, no holdout, up to 100,000) have their offers
    (`_grant_offers`) and are queued on the campaign's D0 mailing (`_send_first_emails`),
    all in the preparation. Timed: `mailing.mailing._process_mass_mailing_queue()`, pass
    after pass until the mailing leaves the queue (a step mailing sends a slice of
    `SEND_SLICE` members a pass, then goes back to the queue) — the contact policy on
    the recipients, then Odoo's composer in mass mode rendering the
    mailing for each member (its offer placeholders, its call-to-action to the company's
    website as a tracked link) and creating one `mail.mail` (and its `mail.message`) and
    one `mailing.trace` each, committed every 50 — with
    `mail.mail.force.send.limit` = 0, so the mails stay queued and no mail server is
    reached (SMTP sending is not timed); then the traces are set to *sent* by one UPDATE
    (not timed) and the campaign job's sync (`_job_sync_chunk`, 500 traces a chunk, as
    the job takes them) writes the members' contact dates and contact logs, timed. Vs bare
    SQL inserting the same rows: one `mail_message`, `mail_mail` (the first mail's body:
    same size), recipient and `mailing_trace` each, then the members' contact date and
    their contact logs."""

    name = "D0 mailing (mailing queue)"
    module = "winback"
    members = 100_000
    max_scale = 100_000

    def prepare(self, env):
        env["ir.config_parameter"].set_param("mail.mail.force.send.limit", 0)
        # the step email's call-to-action goes to the company's website: a tracked link
        env.company.website = "https://shop.example.com"
        env["winback.customer.score"]._compute_company_scores(env.company)
        campaign = datagen.campaign_on_everyone(env, "Bench D0 mailing")
        campaign.write(
            {
                "state": "running",
                "date_start": fields.Datetime.now(),
                "started_by_id": env.uid,
                "targeted_date": fields.Datetime.now(),
            }
        )
        campaign._target()
        env.cr.execute(
            SQL(
                "SELECT id FROM winback_campaign_member "
                "WHERE campaign_id = %s AND state = 'targeted' "
                "ORDER BY revenue_before DESC, id LIMIT %s",
                campaign.id,
                self.members,
            )
        )
        members = env["winback.campaign.member"].browse([r[0] for r in env.cr.fetchall()])
        accepted = campaign._grant_offers(members)
        campaign._send_first_emails(accepted)
        self.campaign = campaign
        self.mailing = campaign._step_mailing("d0")
        self.member_ids = accepted.ids
        env.flush_all()

    def odoo(self, env):
        import time

        from odoo.addons.winback.models.winback_campaign_jobs import STEP_CHUNK

        start = time.perf_counter()
        queue = env["mailing.mailing"]
        self.extra["queue_passes"] = 0
        while self.mailing.state in ("in_queue", "sending"):  # a slice a pass (SEND_SLICE)
            queue._process_mass_mailing_queue()
            self.extra["queue_passes"] += 1
        self.extra["queue_s"] = time.perf_counter() - start
        # what the mail queue would do once the mails went out (no SMTP here): not timed
        start, count = time.perf_counter(), env.cr.sql_log_count
        env.cr.execute(
            SQL(
                "UPDATE mailing_trace SET trace_status = 'sent', "
                "sent_datetime = now() AT TIME ZONE 'UTC' "
                "WHERE mass_mailing_id = %s AND trace_status = 'outgoing'",
                self.mailing.id,
            )
        )
        env.invalidate_all()
        self.extra["untimed_s"] = time.perf_counter() - start
        self.extra["untimed_queries"] = env.cr.sql_log_count - count
        start = time.perf_counter()
        campaigns = env["winback.campaign"]
        synced = 0
        while chunk := campaigns._job_sync_chunk(STEP_CHUNK):
            synced += chunk
        env.flush_all()
        self.extra["sync_s"] = time.perf_counter() - start
        self.extra["synced"] = synced
        env.cr.execute(SQL("SELECT count(*) FROM mail_mail WHERE mailing_id = %s", self.mailing.id))
        return env.cr.fetchone()[0]

    def check(self, env):
        """One mail and one trace per queued member, no duplicate, each member's contact
        date and contact log from its trace."""
        env.cr.execute(
            SQL(
                """
                SELECT count(*), count(DISTINCT msg.res_id),
                       count(*) FILTER (WHERE msg.model = 'winback.campaign.member'
                                          AND msg.res_id = ANY(%(members)s)),
                       (SELECT count(*) FROM mailing_trace t
                         WHERE t.mass_mailing_id = %(mailing)s),
                       (SELECT count(DISTINCT t.res_id) FROM mailing_trace t
                          JOIN mail_mail mm ON mm.id = t.mail_mail_id
                          JOIN mail_message mg ON mg.id = mm.mail_message_id
                                              AND mg.res_id = t.res_id
                         WHERE t.mass_mailing_id = %(mailing)s
                           AND t.res_id = ANY(%(members)s) AND t.winback_synced),
                       (SELECT count(*) FROM care_contact_log l
                         WHERE l.res_model = 'winback.campaign.member' AND l.state = 'sent'
                           AND l.res_id = ANY(%(members)s)),
                       (SELECT count(DISTINCT l.res_id) FROM care_contact_log l
                         WHERE l.res_model = 'winback.campaign.member' AND l.state = 'sent'
                           AND l.res_id = ANY(%(members)s))
                  FROM mail_mail mm JOIN mail_message msg ON msg.id = mm.mail_message_id
                 WHERE mm.mailing_id = %(mailing)s
                """,
                mailing=self.mailing.id,
                members=self.member_ids,
            )
        )
        mails, mailed, ours, traces, traced, logs, logged = env.cr.fetchone()
        n = len(self.member_ids)
        self.extra["members"] = n
        env.cr.execute(
            SQL(
                "SELECT length(body_html) FROM mail_mail WHERE mailing_id = %s ORDER BY id LIMIT 1",
                self.mailing.id,
            )
        )
        self.extra["body_chars"] = (env.cr.fetchone() or [0])[0]
        # what the baseline writes: the first mail's message and body, as the composer did
        env.cr.execute(
            SQL(
                """
                SELECT mm.body_html, msg.body, msg.subject, msg.email_from, msg.reply_to,
                       msg.author_id, t.campaign_id
                  FROM mail_mail mm JOIN mail_message msg ON msg.id = mm.mail_message_id
                  JOIN mailing_trace t ON t.mail_mail_id = mm.id
                 WHERE mm.mailing_id = %s ORDER BY mm.id LIMIT 1
                """,
                self.mailing.id,
            )
        )
        self.sample = env.cr.fetchone()
        if not (mails == mailed == ours == traces == traced == logs == logged == n):
            return (
                f"{n} members queued: {mails} mails for {mailed} members ({ours} theirs), "
                f"{traces} traces for {traced} members with their mail, synced; "
                f"{logs} contact logs for {logged} members"
            )
        return None

    def baseline(self, env):
        html, body, subject, email_from, reply_to, author, utm = self.sample
        cr = env.cr
        cr.execute(
            SQL(
                """
                WITH m AS (
                    SELECT m.id, m.partner_id, p.email FROM winback_campaign_member m
                      JOIN res_partner p ON p.id = m.partner_id
                     WHERE m.id = ANY(%(members)s)
                ), msg AS (
                    INSERT INTO mail_message (res_id, record_company_id, author_id, subject,
                        model, message_type, email_from, message_id, reply_to, body,
                        reply_to_force_new, email_add_signature, date,
                        create_uid, write_uid, create_date, write_date)
                    SELECT m.id, %(company)s, %(author)s, %(subject)s, %(model)s,
                           'email_outgoing', %(email_from)s,
                           '<' || md5(random()::text) || '-openerp-' || m.id || '-' || %(model)s
                             || '@bench>',
                           %(reply_to)s, %(body)s, FALSE, TRUE, now() AT TIME ZONE 'UTC',
                           %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                      FROM m
                 RETURNING id, res_id, message_id
                ), mail AS (
                    INSERT INTO mail_mail (mail_message_id, state, body_html, "references",
                        headers, is_notification, auto_delete, mailing_id,
                        create_uid, write_uid, create_date, write_date)
                    SELECT msg.id, 'outgoing', %(html)s, msg.message_id,
                           %(header)s || msg.res_id || %(header_end)s,
                           TRUE, TRUE, %(mailing)s,
                           %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                      FROM msg
                 RETURNING id, mail_message_id
                ), rcpt AS (
                    INSERT INTO mail_mail_res_partner_rel (mail_mail_id, res_partner_id)
                    SELECT mail.id, m.partner_id FROM mail
                      JOIN msg ON msg.id = mail.mail_message_id JOIN m ON m.id = msg.res_id
                )
                INSERT INTO mailing_trace (mail_mail_id, mail_mail_id_int, res_id,
                    mass_mailing_id, campaign_id, trace_type, email, message_id, model,
                    trace_status, create_uid, write_uid, create_date, write_date)
                SELECT mail.id, mail.id, m.id, %(mailing)s, %(utm)s, 'mail', m.email,
                       msg.message_id, %(model)s, 'outgoing',
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM mail JOIN msg ON msg.id = mail.mail_message_id JOIN m ON m.id = msg.res_id
                """,
                members=self.member_ids,
                company=env.company.id,
                author=author,
                subject=subject,
                model="winback.campaign.member",
                email_from=email_from,
                reply_to=reply_to,
                body=body,
                html=html,
                header="{'X-Odoo-Objects': 'winback.campaign.member-",
                header_end="'}",
                mailing=self.mailing.id,
                utm=utm,
                uid=env.uid,
            )
        )
        rows = cr.rowcount
        # the sync: the members' contact date and contact log
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member SET contact_date = now() AT TIME ZONE 'UTC',
                       write_date = now() AT TIME ZONE 'UTC'
                 WHERE id = ANY(%(members)s);
                INSERT INTO care_contact_log (partner_id, company_id, kind, date, state,
                    res_model, res_id, create_uid, write_uid, create_date, write_date)
                SELECT p.commercial_partner_id, m.company_id, 'winback',
                       now() AT TIME ZONE 'UTC', 'sent', 'winback.campaign.member', m.id,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM winback_campaign_member m JOIN res_partner p ON p.id = m.partner_id
                 WHERE m.id = ANY(%(members)s)
                """,
                members=self.member_ids,
                uid=env.uid,
            )
        )
        return rows


OPERATIONS = [
    CustomerMetrics(),
    WinbackScoring(),
    CampaignTargeting(),
    CouponIssuance(),
    SatisfactionAggregation(),
    DashboardLoad(),
    DashboardOpen(),
    GestureEffects(),
    GrantWizard(),
]
# the screens a care manager opens, through the web client's RPCs (screens.py)
OPERATIONS += screens.SCREENS
# last: its mailing queue commits its mails (Odoo's composer commits every batch)
OPERATIONS += [D0Mailing()]


def available(env):
    installed = set(env["ir.module.module"].search([("state", "=", "installed")]).mapped("name"))
    return [op for op in OPERATIONS if op.module in installed]
