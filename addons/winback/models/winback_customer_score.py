import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_amount

from ..tools import churn, churn_sql

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
    # server-only: no field in the allow-list, whatever the user's access lines say
    _inherit = ["care.field.policy", "care.number.guard"]
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
    status_reason = fields.Text(
        compute="_compute_status_reason",
        help="Why the customer has this status: their churn risk and silence against the "
        "company's thresholds, or a recorded lost reason.",
    )
    usual_interval = fields.Float(
        string="Usual interval, model (days)",
        readonly=True,
        digits=(16, 1),
        help="The customer's mean interval between purchases, drawn towards the company's "
        "when they bought only a few times.",
    )
    interval_cv = fields.Float(
        string="Irregularity",
        readonly=True,
        digits=(16, 2),
        help="Standard deviation of the intervals divided by their mean (0 is a clockwork "
        "customer).",
    )
    recent_trend = fields.Float(
        readonly=True,
        digits=(16, 2),
        help="Purchases of the last 180 days against the 180 before, from -1 to 1.",
    )
    complaints_90d = fields.Integer(string="Tickets, last 90 days", readonly=True)
    gestures_12m = fields.Integer(string="Gestures, last 12 months", readonly=True)
    expected_purchases = fields.Float(
        readonly=True,
        digits=(16, 2),
        help="Purchases the MBG/NBD model expects within the churn horizon.",
    )
    expected_order_date = fields.Date(
        string="Next order expected",
        readonly=True,
        help="The last order plus the customer's usual interval.",
    )
    predicted_value_12m = fields.Monetary(
        string="Predicted value, next 12 months",
        readonly=True,
        help="Expected purchases over the next 12 months times the expected value of a "
        "purchase (Gamma-Gamma spend model).",
    )
    churn_horizon_days = fields.Integer(
        string="Churn horizon (days)",
        readonly=True,
        help="The churn risk is the probability of no order within this many days.",
    )
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

    @api.depends(
        "overdue_ratio",
        "revenue_trend",
        "detractor",
        "purchase_days",
        "status",
        "churn_risk",
        "complaints_90d",
        "gestures_12m",
    )
    @api.depends_context("lang")
    def _compute_churn_drivers(self):
        for company, scores in self.grouped("company_id").items():
            fit = self.env["winback.churn.fit"].sudo()._latest(company)  # sudo: agents see drivers
            model = fit.model if fit.method == "backtest" else None
            for score in scores:
                drivers = score._driver_sentences(model, fit.horizon_days)
                if not drivers:
                    drivers.append(self.env._("Ordering at their usual rhythm"))
                score.churn_drivers = "\n".join(drivers)

    def _driver_sentences(self, model, horizon, top=3):
        """The customer's top reasons for their churn risk, in words (most weighty first)."""
        self.ensure_one()
        drivers = []
        if self.lost_reason_id and self.status == "lost":
            drivers.append(
                self.env._("Lost reason recorded: %(reason)s", reason=self.lost_reason_id.name)
            )
        if not model:
            return drivers + self._rule_sentences()
        weights = churn.contributions(model, self._feature_row())[0]
        sentences = self._feature_sentences(horizon)
        chosen = []
        for index in np.argsort(-weights):
            name = churn.FEATURES[index]
            sentence = sentences.get(name)
            if weights[index] < 0.1 or len(chosen) >= top:
                break
            if sentence and sentence not in chosen:
                chosen.append(sentence)
        return drivers + chosen

    def _rule_sentences(self):
        """Drivers of the MBG/NBD fallback: the rhythm, revenue and NPS facts."""
        sentences = []
        if self.purchase_days <= 1:
            sentences.append(self.env._("Single purchase so far"))
        elif self.overdue_ratio >= 1:
            sentences.append(self._silence_sentence())
        if self.revenue_trend <= -1:
            sentences.append(
                self.env._(
                    "Revenue down %(share)s%% year on year", share=round(-self.revenue_trend)
                )
            )
        if self.detractor:
            sentences.append(self.env._("Detractor (last NPS %(nps)s)", nps=self.last_nps))
        return sentences

    def _silence_sentence(self):
        return self.env._(
            "%(days)s days since the last order, %(ratio).1f times the usual "
            "interval of %(interval)s days",
            days=self.days_since_last_order,
            ratio=self.overdue_ratio,
            interval=round(self.usual_interval),
        )

    def _feature_sentences(self, horizon):
        """One sentence per model feature, with this customer's figure."""
        repeat = self.purchase_days - 1
        silence = self._silence_sentence()
        return {
            "recency": silence,
            "overdue": silence,
            "frequency": (
                self.env._("Single purchase so far")
                if repeat <= 0
                else self.env._("%(count)s purchase days so far", count=self.purchase_days)
            ),
            "tenure": self.env._(
                "First order %(days)s days ago",
                days=(self.computed_on - self.first_order_date).days
                if self.computed_on and self.first_order_date
                else 0,
            ),
            "monetary": self.env._(
                "Average purchase of %(amount)s",
                amount=format_amount(
                    self.env,
                    self.revenue / max(self.purchase_days, 1),
                    self.currency_id,
                ),
            ),
            "irregularity": self.env._("Irregular intervals between purchases"),
            "trend": self.env._(
                "Fewer purchases in the last six months than in the six months before"
            ),
            "p_alive": self.env._(
                "Their purchase pattern says they may have left (%(share)s%% likely still "
                "a customer)",
                share=round(self.p_alive),
            ),
            "expected": self.env._(
                "%(count).1f purchases expected within %(days)s days",
                count=self.expected_purchases,
                days=horizon,
            ),
            "complaints": self.env._(
                "%(count)s complaints (tickets) in the last 90 days", count=self.complaints_90d
            ),
            "gestures": self.env._(
                "%(count)s gestures granted in the last 12 months", count=self.gestures_12m
            ),
            "detractor": self.env._("Detractor (last NPS %(nps)s)", nps=self.last_nps),
            "promoter": self.env._("Promoter (last NPS %(nps)s)", nps=self.last_nps),
        }

    def _feature_row(self):
        """The model's features from the stored figures (the scoring SQL's formulas)."""
        self.ensure_one()
        x = max(self.purchase_days - 1, 0)
        span = (self.last_order_date - self.first_order_date).days if self.first_order_date else 0
        age = (
            (self.computed_on - self.first_order_date).days
            if self.computed_on and self.first_order_date
            else span
        )
        answered = self.detractor or self.last_nps >= 7
        return churn.feature_matrix(
            [self.days_since_last_order],
            [max(self.usual_interval, 1e-6)],
            [x],
            [max(age, span)],
            [self.revenue / max(self.purchase_days, 1)],
            [self.interval_cv],
            [self.recent_trend],
            [self.p_alive / 100.0],
            [self.expected_purchases],
            [self.complaints_90d],
            [self.gestures_12m],
            [self.last_nps if answered else np.nan],
        )

    @api.depends("status", "churn_risk", "overdue_ratio", "lost_reason_id", "revenue_trend")
    @api.depends_context("lang")
    def _compute_status_reason(self):
        for score in self:
            company = score.company_id
            figures = {
                "risk": score.churn_risk,
                "ratio": score.overdue_ratio,
                "at_risk_risk": company.winback_at_risk_risk,
                "lost_risk": company.winback_lost_risk,
                "at_risk_factor": company.winback_at_risk_factor,
                "dormant_factor": company.winback_dormant_factor,
                "lost_factor": company.winback_lost_factor,
            }
            if score.status == "lost" and score.lost_reason_id:
                reason = self.env._(
                    "Lost because a reason was recorded (%(reason)s), whatever the churn "
                    "risk of %(risk)s%%.",
                    reason=score.lost_reason_id.name,
                    risk=score.churn_risk,
                )
            elif score.status == "lost":
                reason = self.env._(
                    "Lost: silent for %(ratio).1f times their usual interval (from "
                    "%(lost_factor)s) and a churn risk of %(risk)s%% (from %(lost_risk)s%%).",
                    **figures,
                )
            elif score.status == "dormant":
                reason = self.env._(
                    "Dormant: silent for %(ratio).1f times their usual interval (from "
                    "%(dormant_factor)s) and a churn risk of %(risk)s%% (from "
                    "%(at_risk_risk)s%%).",
                    **figures,
                )
            elif score.status == "at_risk" and score.churn_risk >= company.winback_at_risk_risk:
                reason = self.env._(
                    "At risk: churn risk of %(risk)s%% (from %(at_risk_risk)s%%).", **figures
                )
            elif score.status == "at_risk" and score.overdue_ratio > company.winback_at_risk_factor:
                reason = self.env._(
                    "At risk: silent for %(ratio).1f times their usual interval (more than "
                    "%(at_risk_factor)s).",
                    **figures,
                )
            elif score.status == "at_risk":
                reason = self.env._(
                    "At risk: revenue down %(share)s%% year on year.",
                    share=round(-score.revenue_trend),
                )
            else:
                reason = self.env._(
                    "Active: churn risk of %(risk)s%%, below %(at_risk_risk)s%%.", **figures
                )
            score.status_reason = reason

    # --- CRUD ---

    def _care_writable_fields(self, operation):
        """Server-only: no user sets a score (users without an access line are told so)."""
        self.check_access(operation)
        return set()

    # --- Actions ---

    @api.model
    def action_recompute(self):
        """Recompute the statuses of the user's companies now (button)."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can recompute statuses."))
        for company in self.env.companies:
            self.sudo()._compute_company_scores(company, refit=True)  # sudo: reads every order
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
    def _compute_company_scores(self, company, today=None, refit=False):
        """Recompute every customer of ``company`` in a fixed number of queries.

        The company's churn model is refitted first when ``refit`` or when it was not
        fitted today (:meth:`winback.churn.fit._fit_company`). Returns False when another
        transaction is scoring the same company.
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
        self.env["satisfaction.request"].flush_model(
            ["commercial_partner_id", "company_id", "kind", "score", "state", "answered_date"]
        )
        self.env["loyalty.gesture"].flush_model(["commercial_partner_id", "company_id", "state"])
        self.env["helpdesk.ticket"].flush_model(["partner_id", "company_id"])
        self.flush_model()
        fits = self.env["winback.churn.fit"].sudo()  # sudo: the system fits, managers read
        fit = fits._latest(company)
        if (
            refit
            or not fit
            or fit.date != today
            or fit.configured_horizon_days != company.winback_horizon_days
        ):
            fit = fits._fit_company(company, today)
        # 1. per-customer figures, computed and kept in PostgreSQL
        cr.execute(SQL("DROP TABLE IF EXISTS winback_score_input"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE winback_score_input ON COMMIT DROP AS
                WITH gaps AS (
                    SELECT d.*, d.day - LAG(d.day) OVER (PARTITION BY d.partner_id
                                                         ORDER BY d.day) AS gap
                      FROM (%(orders)s) d
                )
                SELECT 0 AS k, partner_id, %(aggregates)s FROM gaps GROUP BY partner_id
                """,
                orders=churn_sql.orders_sql(company.id, today),
                aggregates=churn_sql.aggregates_sql(SQL("%s::date", today)),
            )
        )
        cr.execute(SQL("ANALYZE winback_score_input (partner_id)"))  # row counts for the planner
        # 2. the MBG/NBD population parameters, fitted on the distinct histories
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
            self._upsert_scores(company, today, params, fit)
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

    def _upsert_scores(self, company, today, params, fit):
        """Status, RFM, churn risk and predictions from ``winback_score_input``, in one
        INSERT … SELECT.

        The features of :mod:`..tools.churn_sql` with today's MBG/NBD ``params``; the risk
        is the ``fit``'s logistic model on them (or MBG/NBD's probability of no purchase
        within the horizon when the fit fell back); the predicted value of the next 12
        months is MBG/NBD's expected purchases rescaled to the risk's probability of buying
        within the horizon, times the Gamma-Gamma expected spend; the status compares the risk and the
        silence in usual intervals with the company's thresholds, so that a lost customer
        always has a higher risk than an active one (unless a lost reason was recorded).
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
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO winback_customer_score AS s (
                    company_id, partner_id, status, order_count, purchase_days,
                    first_order_date, last_order_date, days_since_last_order,
                    revenue, revenue_12m, revenue_prev_12m, revenue_trend,
                    median_interval, overdue_ratio, p_alive, churn_risk,
                    last_nps, detractor, recency_score, frequency_score, monetary_score,
                    rfm_segment, usual_interval, interval_cv, recent_trend, complaints_90d,
                    gestures_12m, expected_purchases, expected_order_date, predicted_value_12m,
                    churn_horizon_days, computed_on, create_uid, write_uid, create_date,
                    write_date)
                SELECT %(company)s, f.partner_id,
                       CASE WHEN f.risk >= %(lost_risk)s AND f.ratio >= %(lost_factor)s
                            THEN 'lost'
                            WHEN f.risk >= %(at_risk_risk)s AND f.ratio >= %(dormant_factor)s
                            THEN 'dormant'
                            WHEN f.risk >= %(at_risk_risk)s OR f.ratio > %(factor)s
                              OR (f.revenue_prev > 0 AND f.trend <= -%(drop)s) THEN 'at_risk'
                            ELSE 'active' END,
                       f.orders, f.days, f.first_day, f.last_day, f.recency,
                       round(f.revenue, 2), round(f.revenue_12m, 2), round(f.revenue_prev, 2),
                       round(f.trend::numeric, 1), f.median, round(f.ratio::numeric, 2),
                       round((100.0 * f.alive)::numeric, 1), f.risk,
                       f.nps, f.nps <= 6, f.rs, f.fs, f.ms,
                       f.rs::text || f.fs::text || f.ms::text,
                       round(f.interval::numeric, 1), f.gap_cv, f.f_trend,
                       COALESCE(f.tickets, 0), COALESCE(f.gestures, 0), f.expected,
                       f.last_day + round(f.interval)::int,
                       round((f.expected_year
                              * LEAST((1 - f.prob) / GREATEST(f.mbg_buy, 1e-6), 3)
                              * %(p)s * (%(v)s + GREATEST(f.revenue, 0))
                              / (%(p)s * f.days + %(q)s - 1))::numeric, 2),
                       %(horizon)s, %(today)s,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
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
                    usual_interval = EXCLUDED.usual_interval,
                    interval_cv = EXCLUDED.interval_cv,
                    recent_trend = EXCLUDED.recent_trend,
                    complaints_90d = EXCLUDED.complaints_90d,
                    gestures_12m = EXCLUDED.gestures_12m,
                    expected_purchases = EXCLUDED.expected_purchases,
                    expected_order_date = EXCLUDED.expected_order_date,
                    predicted_value_12m = EXCLUDED.predicted_value_12m,
                    churn_horizon_days = EXCLUDED.churn_horizon_days,
                    computed_on = EXCLUDED.computed_on,
                    write_uid = EXCLUDED.write_uid,
                    write_date = EXCLUDED.write_date
                """,
                company=company.id,
                today=today,
                uid=self.env.uid,
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
        )
