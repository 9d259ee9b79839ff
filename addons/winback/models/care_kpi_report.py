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
    a fixed number of queries (one per data source, ``care_kpi_report_figures``) and
    upserts one row per
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
