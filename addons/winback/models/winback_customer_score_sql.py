from odoo import models
from odoo.tools import SQL

from ..tools import churn_sql

SCORE_COLUMNS = (
    "company_id",
    "partner_id",
    "status",
    "order_count",
    "purchase_days",
    "first_order_date",
    "last_order_date",
    "days_since_last_order",
    "revenue",
    "revenue_12m",
    "revenue_prev_12m",
    "revenue_trend",
    "median_interval",
    "overdue_ratio",
    "p_alive",
    "churn_risk",
    "last_nps",
    "detractor",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
    "usual_interval",
    "interval_cv",
    "recent_trend",
    "complaints_90d",
    "gestures_12m",
    "expected_purchases",
    "expected_order_date",
    "predicted_value_12m",
    "churn_horizon_days",
    "computed_on",
)


def score_columns(alias=None):
    """SQL: the columns a scoring run writes, comma-separated (prefixed by ``alias``)."""
    if alias:
        return SQL(", ").join(SQL.identifier(alias, name) for name in SCORE_COLUMNS)
    return SQL(", ").join(SQL.identifier(name) for name in SCORE_COLUMNS)


class WinbackCustomerScore(models.Model):
    """The set-based scoring: every customer of a company in one INSERT … SELECT."""

    _inherit = "winback.customer.score"  # pylint: disable=consider-merging-classes-inherited

    def _upsert_scores(self, company, today, params, fit):
        """Write the scores of every customer of ``winback_score_input`` in one statement."""
        self._upsert_from(self._score_select(company, today, params, fit))

    def _upsert_from(self, source):
        """INSERT … ON CONFLICT of the rows of ``source`` (a query giving SCORE_COLUMNS):
        a recorded lost reason newer than the last order keeps the customer lost."""
        updates = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
            for name in SCORE_COLUMNS[3:]
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO winback_customer_score AS s (%(columns)s, create_uid, write_uid,
                                                         create_date, write_date)
                SELECT %(src_columns)s, %(uid)s, %(uid)s,
                       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM (%(source)s) src
                ON CONFLICT (company_id, partner_id) DO UPDATE SET
                    status = CASE
                        WHEN s.lost_reason_id IS NOT NULL
                         AND s.lost_date >= EXCLUDED.last_order_date THEN 'lost'
                        ELSE EXCLUDED.status END,
                    %(updates)s,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                """,
                columns=score_columns(),
                src_columns=score_columns("src"),
                uid=self.env.uid,
                source=source,
                updates=updates,
            )
        )

    def _score_select(self, company, today, params, fit):
        """SQL: status, RFM, churn risk and predictions of each customer of
        ``winback_score_input``, one row of SCORE_COLUMNS per customer.

        The features of :mod:`..tools.churn_sql` with today's MBG/NBD ``params``; the risk
        is the ``fit``'s logistic model on them (or MBG/NBD's probability of no purchase
        within the horizon when the fit fell back); the predicted value of the next 12
        months is MBG/NBD's expected purchases rescaled to the risk's probability of buying
        within the horizon, times the Gamma-Gamma expected spend; the status compares the risk and the
        silence in usual intervals with the company's thresholds, so that a lost customer
        always has a higher risk than an active one (unless a lost reason was recorded).
        The RFM quintiles rank the company's customers together: the query scores all of
        them, whatever part of them is written at once.
        """
        if fit.method == "backtest":
            risk = churn_sql.risk_sql(fit.model, alias="g")
        else:
            risk = SQL(
                "1.0 - g.alive * (1.0 - power((g.alpha + g.t) / (g.alpha + g.t + g.h), g.r + g.x))"
            )
        cut = SQL("(VALUES (0, %s::date)) AS c(k, cutoff)", today)
        source = SQL(
            """
            (SELECT ii.*, e.tickets, e.gestures, e.nps
               FROM winback_score_input ii
          LEFT JOIN (%s) e USING (k, partner_id)) i
            """,
            churn_sql.extras_sql(company.id, cut),
        )
        model = churn_sql.model_sql(source, churn_sql.params_sql([(0, params, fit.horizon_days)]))
        return SQL(
            """
            SELECT %(company)s AS company_id, f.partner_id,
                   CASE WHEN f.risk >= %(lost_risk)s AND f.ratio >= %(lost_factor)s
                        THEN 'lost'
                        WHEN f.risk >= %(at_risk_risk)s AND f.ratio >= %(dormant_factor)s
                        THEN 'dormant'
                        WHEN f.risk >= %(at_risk_risk)s OR f.ratio > %(factor)s
                          OR (f.revenue_prev > 0 AND f.trend <= -%(drop)s) THEN 'at_risk'
                        ELSE 'active' END AS status,
                   f.orders AS order_count, f.days AS purchase_days,
                   f.first_day AS first_order_date, f.last_day AS last_order_date,
                   f.recency AS days_since_last_order,
                   round(f.revenue, 2) AS revenue, round(f.revenue_12m, 2) AS revenue_12m,
                   round(f.revenue_prev, 2) AS revenue_prev_12m,
                   round(f.trend::numeric, 1) AS revenue_trend, f.median AS median_interval,
                   round(f.ratio::numeric, 2) AS overdue_ratio,
                   round((100.0 * f.alive)::numeric, 1) AS p_alive, f.risk AS churn_risk,
                   f.nps AS last_nps, f.nps <= 6 AS detractor, f.rs AS recency_score,
                   f.fs AS frequency_score, f.ms AS monetary_score,
                   f.rs::text || f.fs::text || f.ms::text AS rfm_segment,
                   round(f.interval::numeric, 1) AS usual_interval, f.gap_cv AS interval_cv,
                   f.f_trend AS recent_trend, COALESCE(f.tickets, 0) AS complaints_90d,
                   COALESCE(f.gestures, 0) AS gestures_12m, f.expected AS expected_purchases,
                   f.last_day + round(f.interval)::int AS expected_order_date,
                   round((f.expected_year
                          * LEAST((1 - f.prob) / GREATEST(f.mbg_buy, 1e-6), 3)
                          * %(p)s * (%(v)s + GREATEST(f.revenue, 0))
                          / (%(p)s * f.days + %(q)s - 1))::numeric, 2) AS predicted_value_12m,
                   %(horizon)s AS churn_horizon_days, %(today)s::date AS computed_on
              FROM (
                SELECT g.*,
                       %(risk)s AS prob,
                       round(100.0 * (%(risk)s))::int AS risk,
                       g.alive * (1.0 - power((g.alpha + g.t) / (g.alpha + g.t + g.h),
                                              g.r + g.x)) AS mbg_buy,
                       g.recency / g.interval AS ratio,
                       CASE WHEN g.revenue_prev > 0
                            THEN 100.0 * (g.revenue_12m - g.revenue_prev) / g.revenue_prev
                            ELSE 0 END::float8 AS trend,
                       ntile(5) OVER (ORDER BY g.last_day, g.partner_id) AS rs,
                       ntile(5) OVER (ORDER BY g.days, g.orders, g.partner_id) AS fs,
                       ntile(5) OVER (ORDER BY g.revenue, g.partner_id) AS ms
                  FROM (%(model)s) g
              ) f
            """,
            company=company.id,
            today=today,
            risk=risk,
            model=model,
            lost_risk=company.winback_lost_risk,
            lost_factor=company.winback_lost_factor,
            at_risk_risk=company.winback_at_risk_risk,
            dormant_factor=company.winback_dormant_factor,
            factor=company.winback_at_risk_factor,
            drop=company.winback_revenue_drop,
            horizon=fit.horizon_days,
            p=fit.spend_p,
            q=fit.spend_q,
            v=fit.spend_v,
        )
