from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.care_helpers import background_notice
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_datetime

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
REFRESH_MONTHS = 12  # months a refresh keeps computed (every one on a first refresh)
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
    figures_computed_on = fields.Datetime(
        related="company_id.care_kpi_computed_on",
        string="Figures computed on",
        help="Start of the last complete refresh of the company's figures.",
    )
    refresh_running = fields.Boolean(
        compute="_compute_refresh_running",
        string="Refreshing",
        help="The company's figures are being refreshed in the background.",
    )

    _sql_constraints = [
        (
            "company_kpi_period_uniq",
            "UNIQUE(company_id, kpi, period)",
            "One figure per company, KPI and month.",
        ),
    ]

    @api.depends("company_id.care_kpi_started_on")
    def _compute_refresh_running(self):
        for row in self:
            row.refresh_running = bool(row.company_id.care_kpi_started_on)

    # --- Actions ---

    @api.model
    def action_open_dashboard(self):
        """The care manager's first screen: this month's KPI cards, as stored.

        Opening reads the stored figures only; when the user's companies were last
        computed over an hour ago, the background refresh is asked for
        (``care_kpi_report_refresh``).
        """
        self._check_manager()
        limit = fields.Datetime.now() - STALE_AFTER
        stale = self.env.companies.filtered(
            lambda c: (
                not c.care_kpi_started_on
                and (not c.care_kpi_computed_on or c.care_kpi_computed_on < limit)
            )
        )
        if stale:
            self._request_refresh(stale)
        return self.env["ir.actions.act_window"]._for_xml_id("winback.care_kpi_report_action")

    def action_refresh(self):
        """Ask the background refresh of the companies the user works in (the months
        with new orders, answers, gestures or campaign members).

        A header button: called on the cards shown (or none), whatever they are.
        """
        self._check_manager()
        companies = self.env.companies
        self._request_refresh(companies)
        computed = [c.care_kpi_computed_on for c in companies if c.care_kpi_computed_on]
        message = self.env._("The figures are being refreshed in the background.")
        if computed:
            message += " " + self.env._(
                "Figures computed on %(date)s.", date=format_datetime(self.env, min(computed))
            )
        return background_notice(message)

    @api.model
    def _check_manager(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only Customer Care managers see the KPI dashboard."))

    # --- Computation ---

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
        self._apply_targets(companies, months=months)

    @api.model
    def _apply_targets(self, companies, exclude_ids=(), months=None):
        """Set target, gap and status of the companies' rows (of ``months`` when given)
        from their targets."""
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
                     WHERE r2.company_id IN %(companies)s AND %(in_months)s
                  ) x
                 WHERE r.id = x.id
                """,
                lower=lower_better,
                exclude=list(exclude_ids) or [0],
                companies=tuple(companies.ids),
                in_months=SQL("r2.period = ANY(%s::date[])", months) if months else SQL("TRUE"),
            )
        )
        self.invalidate_model()
