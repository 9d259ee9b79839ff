from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .care_kpi_target import KPI_SELECTION, KPIS, UNIT_SELECTION

RATE_KPIS = (
    "csat",
    "response_rate",
    "close_loop_rate",
    "retention_rate",
    "repurchase_rate",
    "redemption_rate",
)
RETENTION_MONTHS = 12  # length of the windows compared by the retention rate
GESTURE_DAYS = 90  # revenue window after a gesture
REFRESH_MONTHS = 12  # months a manual refresh recomputes
CRON_MONTHS = 4  # months the nightly refresh recomputes (the 90-day windows still move)
STALE_AFTER = timedelta(hours=1)


def _month(day):
    return day.replace(day=1)


class CareKpiReport(models.Model):
    """Actual value of each KPI per company and month, beside its target.

    A snapshot table: ``_refresh`` computes every KPI for a set of companies and months in
    a fixed number of queries (one per data source) and upserts one row per
    (company, KPI, month); targets are applied by one UPDATE whenever they change.
    """

    _name = "care.kpi.report"
    _description = "Customer care KPI against target"
    _order = "period desc, sequence, company_id"
    _rec_name = "kpi"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kpi = fields.Selection(KPI_SELECTION, string="KPI", required=True, readonly=True)
    sequence = fields.Integer(readonly=True)
    unit = fields.Selection(UNIT_SELECTION, readonly=True)
    period = fields.Date(string="Month", required=True, index=True, readonly=True)
    measured = fields.Boolean(
        readonly=True, help="False when the month has nothing to measure (no answer, no gesture)."
    )
    actual = fields.Float(readonly=True, aggregator="avg", digits=(16, 1))
    numerator = fields.Float(
        readonly=True,
        aggregator="sum",
        help="What is counted: satisfied answers, promoters minus detractors, retained "
        "customers, revenue minus cost, members' reactivation rate...",
    )
    denominator = fields.Float(
        readonly=True,
        aggregator="sum",
        help="What it is counted against: answers, requests sent, customers active "
        "before, cost, holdout's reactivation rate...",
    )
    target = fields.Float(readonly=True, aggregator="avg", digits=(16, 1))
    has_target = fields.Boolean(readonly=True)
    gap = fields.Float(
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Actual minus target (for the gesture cost, an overspend is a positive gap).",
    )
    status = fields.Selection(
        [
            ("on_target", "On target"),
            ("below", "Below target"),
            ("no_target", "No target"),
            ("no_data", "No data"),
        ],
        readonly=True,
        index=True,
    )
    color = fields.Integer(readonly=True, help="Red below target, green on target.")
    refreshed_on = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "company_kpi_period_uniq",
            "UNIQUE(company_id, kpi, period)",
            "One figure per company, KPI and month.",
        ),
    ]

    # --- Actions ---

    @api.model
    def action_open_dashboard(self):
        """The care manager's first screen: this month's KPI cards, fresh.

        Recomputed when older than an hour, or at once when a survey answer, a gesture
        or a campaign member changed since the last computation.
        """
        self._check_manager()
        companies = self.env.companies
        last = dict(
            self._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("period", "=", _month(fields.Date.context_today(self))),
                ],
                ["company_id"],
                ["refreshed_on:min"],
            )
        )
        stale = companies.filtered(lambda c: self._is_stale(c, last.get(c)))
        if stale:
            self._refresh(stale, self._last_months(2))
        return self.env["ir.actions.act_window"]._for_xml_id("winback.care_kpi_report_action")

    def action_refresh(self):
        """Recompute the last months of the companies the user works in.

        A header button: called on the cards shown (or none), whatever they are.
        """
        self._check_manager()
        self._refresh(self.env.companies, self._last_months(REFRESH_MONTHS))
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _is_stale(self, company, refreshed_on):
        """Whether ``company``'s figures of this month must be recomputed."""
        if not refreshed_on or refreshed_on < fields.Datetime.now() - STALE_AFTER:
            return True
        changed = SQL(" UNION ALL ").join(
            SQL(
                "(SELECT 1 FROM %s WHERE company_id = %s AND write_date > %s LIMIT 1)",
                SQL.identifier(self.env[model]._table),
                company.id,
                refreshed_on,
            )
            for model in self._get_source_models()
        )
        for model in self._get_source_models():
            self.env[model].flush_model(["company_id", "write_date"])
        return bool(self.env.execute_query(SQL("SELECT 1 FROM (%s) AS t LIMIT 1", changed)))

    @api.model
    def _get_source_models(self):
        """Models whose changes show on the dashboard at once (answers, gestures, members)."""
        return ["satisfaction.request", "loyalty.gesture", "winback.campaign.member"]

    @api.model
    def _check_manager(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only Customer Care managers see the KPI dashboard."))

    # --- Computation ---

    @api.model
    def _cron_refresh(self, months=CRON_MONTHS):
        """Nightly: the last months of every company, in one pass (fixed query count)."""
        self._refresh(self.env["res.company"].search([]), self._last_months(months))

    @api.model
    def _last_months(self, count, today=None):
        first = _month(today or fields.Date.context_today(self))
        return [first - relativedelta(months=n) for n in range(count)]

    @api.model
    def _refresh(self, companies, months):
        """Compute and store every KPI of ``companies`` for ``months`` (first days).

        The queries read answers, orders, gestures and campaigns in SQL, past record
        rules: aggregates made on purpose for Customer Care managers (the actions check
        the group; the nightly cron runs as superuser), one row per company and month,
        behind the company rule; never a record's name or a customer's figure.
        """
        if not companies or not months:
            return
        months = sorted({_month(m) for m in months})
        figures = self._compute_kpis(companies, months)
        now = fields.Datetime.now()
        rows = []
        for company in companies:
            for month in months:
                for sequence, (kpi, spec) in enumerate(KPIS.items()):
                    num, den, value = figures.get((company.id, month, kpi), (0.0, 0.0, None))
                    rows.append((company.id, kpi, sequence, spec[1], month, value, num, den))
        self.flush_model()
        columns = list(zip(*rows, strict=True))
        self.env.execute_query(
            SQL(
                """
                INSERT INTO care_kpi_report (company_id, kpi, sequence, unit, period,
                       measured, actual, numerator, denominator, refreshed_on,
                       create_uid, create_date, write_uid, write_date)
                SELECT c, k, s, u, p, a IS NOT NULL, COALESCE(a, 0), n, d, %(now)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(c)s::int[], %(k)s::varchar[], %(s)s::int[], %(u)s::varchar[],
                              %(p)s::date[], %(a)s::float8[], %(n)s::float8[],
                              %(d)s::float8[]) AS t(c, k, s, u, p, a, n, d)
                ON CONFLICT (company_id, kpi, period) DO UPDATE
                   SET sequence = EXCLUDED.sequence, unit = EXCLUDED.unit,
                       measured = EXCLUDED.measured, actual = EXCLUDED.actual,
                       numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator,
                       refreshed_on = EXCLUDED.refreshed_on, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                """,
                now=now,
                uid=self.env.uid,
                c=list(columns[0]),
                k=list(columns[1]),
                s=list(columns[2]),
                u=list(columns[3]),
                p=list(columns[4]),
                a=list(columns[5]),
                n=list(columns[6]),
                d=list(columns[7]),
            )
        )
        self._apply_targets(companies)

    @api.model
    def _apply_targets(self, companies, exclude_ids=()):
        """Set target, gap and status of the companies' rows from their targets."""
        if not companies:
            return
        self.env["care.kpi.target"].flush_model()
        self.flush_model()
        lower_better = [k for k, spec in KPIS.items() if spec[4]]
        self.env.execute_query(
            SQL(
                """
                UPDATE care_kpi_report r
                   SET target = COALESCE(x.target, 0),
                       has_target = x.target IS NOT NULL,
                       gap = CASE WHEN x.target IS NOT NULL AND x.measured
                                  THEN x.actual - x.target ELSE 0 END,
                       status = x.status,
                       color = CASE x.status WHEN 'below' THEN 1
                                             WHEN 'on_target' THEN 10 ELSE 0 END
                  FROM (
                    SELECT r2.id, r2.measured, r2.actual, t.target,
                           CASE
                               WHEN NOT r2.measured THEN 'no_data'
                               WHEN t.target IS NULL THEN 'no_target'
                               WHEN r2.kpi = ANY(%(lower)s) AND r2.actual > t.target
                                   THEN 'below'
                               WHEN NOT r2.kpi = ANY(%(lower)s) AND r2.actual < t.target
                                   THEN 'below'
                               ELSE 'on_target'
                           END AS status
                      FROM care_kpi_report r2
                      LEFT JOIN LATERAL (
                            SELECT tg.target
                              FROM care_kpi_target tg
                             WHERE tg.company_id = r2.company_id
                               AND tg.kpi = r2.kpi
                               AND tg.active
                               AND (tg.date_from IS NULL OR tg.date_from <= r2.period)
                               AND NOT tg.id = ANY(%(exclude)s)
                             ORDER BY tg.date_from DESC NULLS LAST
                             LIMIT 1
                      ) t ON TRUE
                     WHERE r2.company_id IN %(companies)s
                  ) x
                 WHERE r.id = x.id
                """,
                lower=lower_better,
                exclude=list(exclude_ids) or [0],
                companies=tuple(companies.ids),
            )
        )
        self.invalidate_model()

    @api.model
    def _compute_kpis(self, companies, months):
        """{(company_id, month, kpi): (numerator, denominator, value or None)}.

        Four queries whatever the number of records, companies or months.
        """
        start = min(months)
        end = max(months) + relativedelta(months=1)
        wanted = set(months)
        args = {
            "companies": tuple(companies.ids),
            "start": start,
            "end": end,
            "months": months,
        }
        figures = {}

        def put(company_id, month, kpi, num, den, value):
            if month in wanted:
                figures[(company_id, month, kpi)] = (float(num), float(den), value)

        def rate(num, den):
            return 100.0 * num / den if den else None

        for company_id, month, kpi, num, den in self._query_surveys(args):
            value = rate(num, den)
            put(company_id, month, kpi, num, den, value)
        for company_id, month, prev, kept, active, repeat in self._query_orders(args):
            put(company_id, month, "retention_rate", kept, prev, rate(kept, prev))
            put(company_id, month, "repurchase_rate", repeat, active, rate(repeat, active))
        for company_id, month, count, cost, coupons, redeemed, revenue in self._query_gestures(
            args
        ):
            put(company_id, month, "gesture_cost", cost, count, cost if count else None)
            put(company_id, month, "gesture_roi", revenue - cost, cost, rate(revenue - cost, cost))
            put(company_id, month, "redemption_rate", redeemed, coupons, rate(redeemed, coupons))
        for row in self._query_gesture_baseline(args):
            company_id, month, recipients, back, others, others_back = row
            back_rate, others_rate = rate(back, recipients), rate(others_back, others)
            lift = (
                back_rate - others_rate
                if back_rate is not None and others_rate is not None
                else None
            )
            put(company_id, month, "gesture_lift", back_rate or 0, others_rate or 0, lift)
        for row in self._query_campaigns(args):
            company_id, month, members, won, holdout, holdout_won, revenue, cost = row
            member_rate, holdout_rate = rate(won, members), rate(holdout_won, holdout)
            lift = (
                member_rate - holdout_rate
                if member_rate is not None and holdout_rate is not None
                else None
            )
            put(company_id, month, "winback_lift", member_rate or 0, holdout_rate or 0, lift)
            put(company_id, month, "campaign_roi", revenue - cost, cost, rate(revenue - cost, cost))
        return figures

    def _query_surveys(self, args):
        self.env["satisfaction.request"].flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT company_id, date_trunc('month', answered_date)::date, 'csat',
                       COUNT(*) FILTER (WHERE score >= 4), COUNT(*)
                  FROM satisfaction_request
                 WHERE kind = 'csat' AND state = 'answered' AND company_id IN %(companies)s
                   AND answered_date >= %(start)s AND answered_date < %(end)s
                 GROUP BY 1, 2
                UNION ALL
                SELECT company_id, date_trunc('month', answered_date)::date, 'nps',
                       COUNT(*) FILTER (WHERE nps_category = 'promoter')
                       - COUNT(*) FILTER (WHERE nps_category = 'detractor'), COUNT(*)
                  FROM satisfaction_request
                 WHERE kind = 'nps' AND state = 'answered' AND company_id IN %(companies)s
                   AND answered_date >= %(start)s AND answered_date < %(end)s
                 GROUP BY 1, 2
                UNION ALL
                SELECT company_id, date_trunc('month', sent_date)::date, 'response_rate',
                       COUNT(*) FILTER (WHERE state = 'answered'), COUNT(*)
                  FROM satisfaction_request
                 WHERE state IN ('sent', 'answered', 'expired') AND company_id IN %(companies)s
                   AND sent_date >= %(start)s AND sent_date < %(end)s
                 GROUP BY 1, 2
                UNION ALL
                SELECT company_id, date_trunc('month', loop_opened_date)::date,
                       'close_loop_rate', COUNT(*) FILTER (WHERE loop_state = 'closed'), COUNT(*)
                  FROM satisfaction_request
                 WHERE loop_state IN ('open', 'closed') AND company_id IN %(companies)s
                   AND loop_opened_date >= %(start)s AND loop_opened_date < %(end)s
                 GROUP BY 1, 2
                """,
                **{k: args[k] for k in ("companies", "start", "end")},
            )
        )

    def _query_orders(self, args):
        """Per company and month M, over the customers' confirmed orders:

        - retention: customers who ordered in the 12 months before M's 12-month window
          (prev), and those of them who ordered again within the window (kept);
        - repurchase: customers who ordered within the window (active), and those with at
          least two orders in it (repeat).
        """
        self.env["sale.order"].flush_model(["partner_id", "company_id", "state", "date_order"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        return self.env.execute_query(
            SQL(
                """
                WITH months AS (
                    SELECT m::date AS m,
                           (m + INTERVAL '1 month')::timestamp AS w_end,
                           (m + INTERVAL '1 month' - %(window)s::interval)::timestamp AS w_start,
                           (m + INTERVAL '1 month' - 2 * %(window)s::interval)::timestamp AS p_start
                      FROM unnest(%(months)s::date[]) AS m
                ), orders AS (
                    SELECT so.company_id, p.commercial_partner_id AS customer, so.date_order
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id IN %(companies)s
                       AND so.date_order >= (%(start)s::timestamp - 2 * %(window)s::interval)
                       AND so.date_order < %(end)s
                ), per_customer AS (
                    SELECT months.m, o.company_id, o.customer,
                           bool_or(o.date_order < months.w_start) AS before,
                           COUNT(*) FILTER (WHERE o.date_order >= months.w_start) AS orders
                      FROM months
                      JOIN orders o ON o.date_order >= months.p_start
                                   AND o.date_order < months.w_end
                     GROUP BY months.m, o.company_id, o.customer
                )
                SELECT company_id, m,
                       COUNT(*) FILTER (WHERE before),
                       COUNT(*) FILTER (WHERE before AND orders > 0),
                       COUNT(*) FILTER (WHERE orders > 0),
                       COUNT(*) FILTER (WHERE orders > 1)
                  FROM per_customer
                 GROUP BY company_id, m
                """,
                window=f"{RETENTION_MONTHS} months",
                **args,
            )
        )

    def _query_gestures(self, args):
        """Per company and month of fulfilment: gestures, cost, coupons, redeemed coupons,
        and the revenue of the recipients within 90 days after their first gesture of the
        month (each customer counted once)."""
        for model in ("loyalty.gesture", "sale.order", "sale.order.line", "res.partner"):
            self.env[model].flush_model()
        return self.env.execute_query(
            SQL(
                """
                WITH g AS (
                    SELECT g.company_id, date_trunc('month', g.done_date)::date AS month,
                           g.commercial_partner_id AS customer, g.done_date, g.cost,
                           g.coupon_card_id,
                           g.coupon_card_id IS NOT NULL AND EXISTS (
                               SELECT 1 FROM sale_order_line l
                                 JOIN sale_order so ON so.id = l.order_id
                                WHERE l.coupon_id = g.coupon_card_id AND so.state = 'sale'
                           ) AS redeemed
                      FROM loyalty_gesture g
                     WHERE g.state IN ('done', 'followed_up') AND g.done_date IS NOT NULL
                       AND g.company_id IN %(companies)s
                       AND g.done_date >= %(start)s AND g.done_date < %(end)s
                ), recipients AS (
                    SELECT company_id, month, customer, MIN(done_date) AS first_done
                      FROM g GROUP BY company_id, month, customer
                ), revenue AS (
                    SELECT r.company_id, r.month,
                           SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0))
                               AS amount
                      FROM recipients r
                      JOIN res_partner p ON p.commercial_partner_id = r.customer
                      JOIN sale_order so ON so.partner_id = p.id
                                        AND so.company_id = r.company_id
                                        AND so.state = 'sale'
                                        AND so.date_order >= r.first_done
                                        AND so.date_order < r.first_done + %(days)s::interval
                     GROUP BY r.company_id, r.month
                )
                SELECT g.company_id, g.month, COUNT(*), COALESCE(SUM(g.cost), 0),
                       COUNT(g.coupon_card_id), COUNT(*) FILTER (WHERE g.redeemed),
                       COALESCE(MAX(revenue.amount), 0)
                  FROM g
                  LEFT JOIN revenue ON revenue.company_id = g.company_id
                                   AND revenue.month = g.month
                 GROUP BY g.company_id, g.month
                """,
                days=f"{GESTURE_DAYS} days",
                **{k: args[k] for k in ("companies", "start", "end")},
            )
        )

    def _query_gesture_baseline(self, args):
        """Per company and month: recipients of a gesture fulfilled in the month and those
        who ordered within 90 days after their first one; comparable customers (a
        confirmed order in the 12 months before the month, no gesture in it) and those who
        ordered within 90 days after the month's first day."""
        for model in ("loyalty.gesture", "sale.order", "res.partner"):
            self.env[model].flush_model()
        return self.env.execute_query(
            SQL(
                """
                WITH months AS (
                    SELECT m::date AS m, m::timestamp AS m_start,
                           (m + INTERVAL '1 month')::timestamp AS m_end
                      FROM unnest(%(months)s::date[]) AS m
                ), orders AS (
                    SELECT so.company_id, p.commercial_partner_id AS customer, so.date_order
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id IN %(companies)s
                       AND so.date_order >= (%(start)s::timestamp - %(window)s::interval)
                       AND so.date_order < (%(end)s::timestamp + %(days)s::interval)
                ), recipients AS (
                    SELECT months.m, g.company_id, g.commercial_partner_id AS customer,
                           MIN(g.done_date) AS since
                      FROM months
                      JOIN loyalty_gesture g ON g.done_date >= months.m_start
                                            AND g.done_date < months.m_end
                     WHERE g.state IN ('done', 'followed_up')
                       AND g.company_id IN %(companies)s
                     GROUP BY months.m, g.company_id, g.commercial_partner_id
                ), others AS (
                    SELECT DISTINCT months.m, o.company_id, o.customer,
                           months.m_start AS since
                      FROM months
                      JOIN orders o ON o.date_order >= months.m_start - %(window)s::interval
                                   AND o.date_order < months.m_start
                     WHERE NOT EXISTS (
                           SELECT 1 FROM recipients r
                            WHERE r.m = months.m AND r.company_id = o.company_id
                              AND r.customer = o.customer)
                ), people AS (
                    SELECT m, company_id, customer, since, TRUE AS recipient FROM recipients
                    UNION ALL
                    SELECT m, company_id, customer, since, FALSE FROM others
                ), back AS (
                    -- a hash join on the customer, not a scan of the orders per person
                    SELECT DISTINCT pe.m, pe.company_id, pe.customer, pe.recipient
                      FROM people pe
                      JOIN orders o ON o.company_id = pe.company_id
                                   AND o.customer = pe.customer
                                   AND o.date_order >= pe.since
                                   AND o.date_order < pe.since + %(days)s::interval
                )
                SELECT pe.company_id, pe.m,
                       COUNT(*) FILTER (WHERE pe.recipient),
                       COUNT(*) FILTER (WHERE pe.recipient AND b.customer IS NOT NULL),
                       COUNT(*) FILTER (WHERE NOT pe.recipient),
                       COUNT(*) FILTER (WHERE NOT pe.recipient AND b.customer IS NOT NULL)
                  FROM people pe
                  LEFT JOIN back b ON b.m = pe.m AND b.company_id = pe.company_id
                                  AND b.customer = pe.customer AND b.recipient = pe.recipient
                 GROUP BY pe.company_id, pe.m
                """,
                window=f"{RETENTION_MONTHS} months",
                days=f"{GESTURE_DAYS} days",
                **args,
            )
        )

    def _query_campaigns(self, args):
        """Per company and month of campaign start, pooled over its campaigns' members."""
        self.env["winback.campaign"].flush_model()
        self.env["winback.campaign.member"].flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT c.company_id, date_trunc('month', c.date_start)::date,
                       COUNT(*) FILTER (WHERE m.is_holdout IS NOT TRUE),
                       COUNT(*) FILTER (WHERE m.is_holdout IS NOT TRUE AND m.reactivated),
                       COUNT(*) FILTER (WHERE m.is_holdout),
                       COUNT(*) FILTER (WHERE m.is_holdout AND m.reactivated),
                       COALESCE(SUM(m.revenue) FILTER (
                           WHERE m.is_holdout IS NOT TRUE AND m.reactivated), 0),
                       COALESCE(SUM(m.offer_cost) FILTER (WHERE m.is_holdout IS NOT TRUE), 0)
                       + COALESCE(SUM(c.contact_cost) FILTER (
                           WHERE m.is_holdout IS NOT TRUE AND m.state != 'targeted'), 0)
                  FROM winback_campaign_member m
                  JOIN winback_campaign c ON c.id = m.campaign_id
                 WHERE m.state != 'excluded' AND c.company_id IN %(companies)s
                   AND c.date_start >= %(start)s AND c.date_start < %(end)s
                 GROUP BY 1, 2
                """,
                **{k: args[k] for k in ("companies", "start", "end")},
            )
        )
