from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import churn

STATUSES = [
    ("active", "Active"),
    ("at_risk", "At risk"),
    ("dormant", "Dormant"),
    ("lost", "Lost"),
]
# pg_try_advisory_xact_lock(class, company): one scorer per company at a time
LOCK_CLASS = 74201


class WinbackCustomerScore(models.Model):
    """Status, RFM and churn risk of one customer in one company.

    Rows are written in bulk by :meth:`_compute_company_scores`: the figures are computed
    in PostgreSQL into a temporary table, only the distinct purchase histories come to
    Python to fit the churn model's four parameters, and one INSERT … SELECT … ON CONFLICT
    applies the model, statuses and RFM; never one customer at a time.
    """

    _name = "winback.customer.score"
    _description = "Customer win-back score"
    _order = "churn_risk desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    status = fields.Selection(STATUSES, required=True, default="active", readonly=True)
    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    days_since_last_order = fields.Integer(readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)
    purchase_days = fields.Integer(
        readonly=True, help="Distinct days with a confirmed order (the purchases the model counts)."
    )
    median_interval = fields.Float(
        string="Usual interval (days)",
        readonly=True,
        help="Median number of days between two purchases of this customer.",
    )
    overdue_ratio = fields.Float(
        readonly=True, help="Days since the last order divided by the usual interval."
    )
    revenue = fields.Monetary(string="Lifetime revenue", readonly=True)
    revenue_12m = fields.Monetary(string="Revenue, last 12 months", readonly=True)
    revenue_prev_12m = fields.Monetary(string="Revenue, 12 months before", readonly=True)
    revenue_trend = fields.Float(
        string="Revenue trend (%)",
        readonly=True,
        help="Change of the last 12 months' revenue versus the 12 months before.",
    )
    recency_score = fields.Integer(string="R", readonly=True, aggregator="avg")
    frequency_score = fields.Integer(string="F", readonly=True, aggregator="avg")
    monetary_score = fields.Integer(string="M", readonly=True, aggregator="avg")
    rfm_segment = fields.Char(
        string="RFM",
        readonly=True,
        help="Recency, frequency and monetary value, each scored in quintiles from 1 to 5 "
        "(5 = best): 555 is a recent, frequent, big customer; 111 the opposite.",
    )
    p_alive = fields.Float(string="Still a customer (%)", readonly=True, aggregator="avg")
    churn_risk = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Probability (0-100) that the customer orders nothing within the churn horizon.",
    )
    churn_drivers = fields.Text(compute="_compute_churn_drivers")
    last_nps = fields.Integer(string="Last NPS", readonly=True)
    detractor = fields.Boolean(readonly=True, help="The customer's last NPS answer was 0 to 6.")
    lost_reason_id = fields.Many2one(
        "winback.lost.reason", index=True, readonly=True, ondelete="restrict"
    )
    lost_reason_category = fields.Selection(related="lost_reason_id.category", store=True)
    lost_date = fields.Date(readonly=True)
    lost_note = fields.Text(readonly=True)
    computed_on = fields.Date(readonly=True)

    _sql_constraints = [
        (
            "company_partner_uniq",
            "UNIQUE(company_id, partner_id)",
            "A customer has one win-back score per company.",
        ),
    ]

    @api.depends("overdue_ratio", "revenue_trend", "detractor", "purchase_days", "status")
    @api.depends_context("lang")
    def _compute_churn_drivers(self):
        for score in self:
            drivers = []
            if score.lost_reason_id and score.status == "lost":
                drivers.append(
                    self.env._("Lost reason recorded: %(reason)s", reason=score.lost_reason_id.name)
                )
            if score.purchase_days <= 1:
                drivers.append(self.env._("Single purchase so far"))
            elif score.overdue_ratio >= 1:
                drivers.append(
                    self.env._(
                        "%(days)s days since the last order, %(ratio).1f times the usual "
                        "interval of %(interval)s days",
                        days=score.days_since_last_order,
                        ratio=score.overdue_ratio,
                        interval=round(score.median_interval),
                    )
                )
            if score.revenue_trend <= -1:
                drivers.append(
                    self.env._(
                        "Revenue down %(share)s%% year on year",
                        share=round(-score.revenue_trend),
                    )
                )
            if score.detractor:
                drivers.append(self.env._("Detractor (last NPS %(nps)s)", nps=score.last_nps))
            if not drivers:
                drivers.append(self.env._("Ordering at their usual rhythm"))
            score.churn_drivers = "\n".join(drivers)

    # --- Actions ---

    @api.model
    def action_recompute(self):
        """Recompute the statuses of the user's companies now (button)."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can recompute statuses."))
        for company in self.env.companies:
            self.sudo()._compute_company_scores(company)  # sudo: reads every order
        return {
            "type": "ir.actions.client",
            "tag": "reload",
        }

    def _record_lost_reason(self, reason, note=False, date=None):
        """Mark the customers as lost for ``reason`` (agents, exit surveys)."""
        self.sudo().write(  # sudo: agents may record a reason, not edit scores
            {
                "lost_reason_id": reason.id,
                "lost_note": note,
                "lost_date": date or fields.Date.context_today(self),
                "status": "lost",
            }
        )

    # --- Scheduled action ---

    @api.model
    def _cron_compute_scores(self, batch=5):
        """Score the companies not yet scored today, ``batch`` companies per call.

        Safe for several cron workers: a company being scored by another transaction
        is skipped (advisory lock); rerunning on the same day changes nothing.
        """
        today = fields.Date.context_today(self)
        domain = [
            "|",
            ("winback_scored_on", "=", False),
            ("winback_scored_on", "<", today),
        ]
        companies = self.env["res.company"].search(domain, limit=batch, order="id")
        done = sum(1 for company in companies if self._compute_company_scores(company, today))
        remaining = self.env["res.company"].search_count(domain)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _compute_company_scores(self, company, today=None):
        """Recompute every customer of ``company`` in a fixed number of queries.

        Returns False when another transaction is scoring the same company.
        """
        today = today or fields.Date.context_today(self)
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_CLASS, company.id))
        if not cr.fetchone()[0]:
            return False
        self.env["sale.order"].flush_model(
            ["partner_id", "company_id", "state", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.flush_model()
        # 1. per-customer figures, computed and kept in PostgreSQL
        cr.execute(SQL("DROP TABLE IF EXISTS winback_score_input"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE winback_score_input ON COMMIT DROP AS
                WITH orders AS (
                    SELECT p.commercial_partner_id AS partner_id,
                           so.date_order::date AS day,
                           so.amount_untaxed
                             / COALESCE(NULLIF(so.currency_rate, 0), 1.0) AS amount
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.company_id = %(company)s
                       AND so.state = 'sale'
                       AND so.date_order::date <= %(today)s
                ), days AS (
                    SELECT partner_id, day, SUM(amount) AS amount, COUNT(*) AS orders
                      FROM orders GROUP BY partner_id, day
                ), gaps AS (
                    SELECT partner_id, day, amount, orders,
                           day - LAG(day) OVER (PARTITION BY partner_id ORDER BY day) AS gap
                      FROM days
                )
                SELECT partner_id,
                       SUM(orders)::int AS orders,
                       COUNT(*)::int AS days,
                       %(today)s::date - MIN(day) AS age,
                       MAX(day) - MIN(day) AS span,
                       %(today)s::date - MAX(day) AS recency,
                       MIN(day) AS first_day,
                       MAX(day) AS last_day,
                       COALESCE(SUM(amount), 0) AS revenue,
                       COALESCE(SUM(amount) FILTER (WHERE day > %(year_ago)s), 0) AS revenue_12m,
                       COALESCE(SUM(amount) FILTER (
                           WHERE day > %(two_years_ago)s AND day <= %(year_ago)s), 0)
                         AS revenue_prev,
                       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap), 0) AS median
                  FROM gaps
              GROUP BY partner_id
                """,
                company=company.id,
                today=today,
                year_ago=today - timedelta(days=365),
                two_years_ago=today - timedelta(days=730),
            )
        )
        cr.execute(SQL("ANALYZE winback_score_input"))  # row counts for the planner
        # 2. the churn model's population parameters, fitted on the distinct histories
        histories = self.env.execute_query(
            SQL(
                """
                SELECT days - 1, span, GREATEST(age, span), COUNT(*)
                  FROM winback_score_input GROUP BY 1, 2, 3
                """
            )
        )
        if histories:
            x, tx, T, weights = (np.array(c, dtype=float) for c in zip(*histories, strict=True))
            params = churn.fit(x.astype(int), tx, T, weights=weights)
            self._upsert_scores(company, today, params)
        # customers without confirmed orders any more (cancelled) leave, unless lost;
        # a set difference first: linear whatever the planner knows of fresh rows
        gone = self.env.execute_query(
            SQL(
                """
                SELECT partner_id FROM winback_customer_score
                 WHERE company_id = %s AND lost_reason_id IS NULL
                EXCEPT
                SELECT partner_id FROM winback_score_input
                """,
                company.id,
            )
        )
        if gone:
            cr.execute(
                SQL(
                    "DELETE FROM winback_customer_score "
                    "WHERE company_id = %s AND partner_id = ANY(%s)",
                    company.id,
                    [row[0] for row in gone],
                )
            )
        cr.execute(SQL("DROP TABLE winback_score_input"))
        cr.execute(
            SQL("UPDATE res_company SET winback_scored_on = %s WHERE id = %s", today, company.id)
        )
        self.invalidate_model()
        company.invalidate_recordset(["winback_scored_on"])
        return True

    def _upsert_scores(self, company, today, params):
        """Status, RFM and churn risk from ``winback_score_input``, in one INSERT … SELECT.

        The churn model (see :mod:`..tools.churn`) is applied in SQL with the fitted
        population ``params``: ``x`` repeat purchase days, ``tx`` days from the first to
        the last, ``T`` days since the first.
        """
        r, alpha, a, b = (float(p) for p in params)
        self.env["satisfaction.request"].flush_model(
            ["commercial_partner_id", "company_id", "kind", "score", "state", "answered_date"]
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO winback_customer_score AS s (
                    company_id, partner_id, status, order_count, purchase_days,
                    first_order_date, last_order_date, days_since_last_order,
                    revenue, revenue_12m, revenue_prev_12m, revenue_trend,
                    median_interval, overdue_ratio, p_alive, churn_risk,
                    last_nps, detractor, recency_score, frequency_score, monetary_score,
                    rfm_segment, computed_on, create_uid, write_uid, create_date, write_date)
                SELECT %(company)s, u.partner_id,
                       CASE WHEN u.recency > %(lost_days)s THEN 'lost'
                            WHEN u.recency > %(dormant_days)s THEN 'dormant'
                            WHEN (u.days >= 2 AND u.median > 0
                                  AND u.recency > %(factor)s * u.median)
                              OR (u.revenue_prev > 0 AND u.trend <= -%(drop)s) THEN 'at_risk'
                            ELSE 'active' END,
                       u.orders, u.days, u.first_day, u.last_day, u.recency,
                       round(u.revenue, 2), round(u.revenue_12m, 2), round(u.revenue_prev, 2),
                       round(u.trend::numeric, 1),
                       u.median,
                       round((CASE WHEN u.median > 0 THEN u.recency / GREATEST(u.median, 1.0)
                                   ELSE 0 END)::numeric, 2),
                       round((100.0 * u.alive)::numeric, 1),
                       round(100.0 * (1.0 - u.alive * (1.0 - power(
                           (%(alpha)s + u.t) / (%(alpha)s + u.t + %(horizon)s), %(r)s + u.x)))),
                       n.score, n.score <= 6, u.rs, u.fs, u.ms,
                       u.rs::text || u.fs::text || u.ms::text, %(today)s,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM (
                    SELECT v.*,
                           1.0 / (1.0 + exp(LEAST(
                               ln(%(a)s) - ln(%(b)s + v.x)
                               + (%(r)s + v.x) * (ln(%(alpha)s + v.t) - ln(%(alpha)s + v.span)),
                               700))) AS alive
                      FROM (
                        SELECT i.*, i.days - 1 AS x, GREATEST(i.age, i.span)::float8 AS t,
                               CASE WHEN i.revenue_prev > 0
                                    THEN 100.0 * (i.revenue_12m - i.revenue_prev)
                                         / i.revenue_prev
                                    ELSE 0 END::float8 AS trend,
                               ntile(5) OVER (ORDER BY i.last_day, i.partner_id) AS rs,
                               ntile(5) OVER (ORDER BY i.days, i.orders, i.partner_id) AS fs,
                               ntile(5) OVER (ORDER BY i.revenue, i.partner_id) AS ms
                          FROM winback_score_input i
                      ) v
                  ) u
             LEFT JOIN (
                    SELECT DISTINCT ON (commercial_partner_id) commercial_partner_id, score
                      FROM satisfaction_request
                     WHERE state = 'answered' AND kind = 'nps' AND company_id = %(company)s
                  ORDER BY commercial_partner_id, answered_date DESC, id DESC
                  ) n ON n.commercial_partner_id = u.partner_id
                ON CONFLICT (company_id, partner_id) DO UPDATE SET
                    status = CASE
                        WHEN s.lost_reason_id IS NOT NULL
                         AND s.lost_date >= EXCLUDED.last_order_date THEN 'lost'
                        ELSE EXCLUDED.status END,
                    order_count = EXCLUDED.order_count,
                    purchase_days = EXCLUDED.purchase_days,
                    first_order_date = EXCLUDED.first_order_date,
                    last_order_date = EXCLUDED.last_order_date,
                    days_since_last_order = EXCLUDED.days_since_last_order,
                    revenue = EXCLUDED.revenue,
                    revenue_12m = EXCLUDED.revenue_12m,
                    revenue_prev_12m = EXCLUDED.revenue_prev_12m,
                    revenue_trend = EXCLUDED.revenue_trend,
                    median_interval = EXCLUDED.median_interval,
                    overdue_ratio = EXCLUDED.overdue_ratio,
                    p_alive = EXCLUDED.p_alive,
                    churn_risk = EXCLUDED.churn_risk,
                    last_nps = EXCLUDED.last_nps,
                    detractor = EXCLUDED.detractor,
                    recency_score = EXCLUDED.recency_score,
                    frequency_score = EXCLUDED.frequency_score,
                    monetary_score = EXCLUDED.monetary_score,
                    rfm_segment = EXCLUDED.rfm_segment,
                    computed_on = EXCLUDED.computed_on,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                """,
                company=company.id,
                today=today,
                uid=self.env.uid,
                lost_days=company.winback_lost_days,
                dormant_days=company.winback_dormant_days,
                factor=company.winback_at_risk_factor,
                drop=company.winback_revenue_drop,
                horizon=float(company.winback_horizon_days),
                r=r,
                alpha=alpha,
                a=a,
                b=b,
            )
        )
