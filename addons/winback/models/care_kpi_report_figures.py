from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

from .care_kpi_report import GESTURE_DAYS, RETENTION_MONTHS

# The survey KPIs: (KPI, the month of which date, what is counted, among which requests).
SURVEY_FIGURES = (
    (
        "csat",
        "answered_date",
        SQL("COUNT(*) FILTER (WHERE score >= 4)"),
        SQL("kind = 'csat' AND state = 'answered'"),
    ),
    (
        "nps",
        "answered_date",
        SQL(
            "COUNT(*) FILTER (WHERE nps_category = 'promoter') "
            "- COUNT(*) FILTER (WHERE nps_category = 'detractor')"
        ),
        SQL("kind = 'nps' AND state = 'answered'"),
    ),
    (
        "response_rate",
        "sent_date",
        SQL("COUNT(*) FILTER (WHERE state = 'answered')"),
        SQL("state IN ('sent', 'answered', 'expired')"),
    ),
    (
        "close_loop_rate",
        "loop_opened_date",
        SQL("COUNT(*) FILTER (WHERE loop_state = 'closed')"),
        SQL("loop_state IN ('open', 'closed')"),
    ),
)


# months a group of ``_query_orders`` may span: its masks hold 2 windows more (63 bits)
MASK_SPAN = 63 - 2 * RETENTION_MONTHS


def month_index(month, base):
    """The number of months from ``base`` to ``month``."""
    return (month.year - base.year) * 12 + month.month - base.month


def confirmed_orders(companies, since, until):
    """SQL: the companies' confirmed orders from ``since`` to before ``until``, each with
    its customer (the commercial partner)."""
    return SQL(
        """
        SELECT so.company_id, p.commercial_partner_id AS customer, so.date_order
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND so.company_id IN %s
           AND so.date_order >= %s AND so.date_order < %s
        """,
        companies,
        since,
        until,
    )


class CareKpiReport(models.Model):
    """The figures of the KPIs, one query per data source: answers, orders, gestures,
    gestures against comparable customers, campaigns."""

    _inherit = "care.kpi.report"  # pylint: disable=consider-merging-classes-inherited

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

        def put_lift(company_id, month, kpi, won, count, base_won, base_count):
            """The rate of ``won`` among ``count`` minus that of the comparison group."""
            won_rate, base_rate = rate(won, count), rate(base_won, base_count)
            lift = won_rate - base_rate if None not in (won_rate, base_rate) else None
            put(company_id, month, kpi, won_rate or 0, base_rate or 0, lift)

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
            put_lift(company_id, month, "gesture_lift", back, recipients, others_back, others)
        for row in self._query_campaigns(args):
            company_id, month, members, won, holdout, holdout_won, revenue, cost = row
            put_lift(company_id, month, "winback_lift", won, members, holdout_won, holdout)
            put(company_id, month, "campaign_roi", revenue - cost, cost, rate(revenue - cost, cost))
        return figures

    def _query_surveys(self, args):
        """Per company and month: each survey KPI's count and the requests it is among."""
        self.env["satisfaction.request"].flush_model()
        per_kpi = SQL(" UNION ALL ").join(
            SQL(
                """
                SELECT company_id, date_trunc('month', %(day)s)::date, %(kpi)s,
                       %(counted)s, COUNT(*)
                  FROM satisfaction_request
                 WHERE %(among)s AND company_id IN %(companies)s
                   AND %(day)s >= %(start)s AND %(day)s < %(end)s
                 GROUP BY 1, 2
                """,
                kpi=kpi,
                day=SQL.identifier(day),
                counted=counted,
                among=among,
                **{k: args[k] for k in ("companies", "start", "end")},
            )
            for kpi, day, counted, among in SURVEY_FIGURES
        )
        return self.env.execute_query(SQL("SELECT * FROM (%s) AS figures", per_kpi))

    def _query_orders(self, args):
        """Per company and month M, over the customers' confirmed orders:

        - retention: customers who ordered in the 12 months before M's 12-month window
          (prev), and those of them who ordered again within the window (kept);
        - repurchase: customers who ordered within the window (active), and those with at
          least two orders in it (repeat).

        Set-based: one pass over the orders gives each customer a bit mask of the months
        they ordered in (and one of the months they ordered twice in), then each month's
        windows are two masks ANDed with it. A month reads the 24 months up to itself, so
        the months are taken in groups spanning at most ``MASK_SPAN`` months (one query
        for any refresh of up to 40 consecutive months).
        """
        self.env["sale.order"].flush_model(["partner_id", "company_id", "state", "date_order"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = []
        months = sorted(set(args["months"]))
        while months:
            first = months[0]
            group = [m for m in months if month_index(m, first) <= MASK_SPAN]
            months = months[len(group) :]
            rows += self._query_order_masks(args["companies"], group)
        return rows

    def _query_order_masks(self, companies, months):
        """``_query_orders`` for ``months`` spanning at most ``MASK_SPAN`` months: bit i of
        a mask is the i-th month from ``base``, where the first month's previous window
        starts (23 months before it); month j's windows are bits j-23..j-12 and j-11..j."""
        window = RETENTION_MONTHS
        base = min(months) - relativedelta(months=2 * window - 1)
        end = max(months) + relativedelta(months=1)
        index = [month_index(m, base) for m in months]
        return self.env.execute_query(
            SQL(
                """
                WITH orders AS (%(orders)s), per_month AS (
                    SELECT company_id, customer,
                           (date_part('year', date_order) * 12
                            + date_part('month', date_order))::int - %(base)s AS i,
                           COUNT(*) > 1 AS several
                      FROM orders
                     GROUP BY 1, 2, 3
                ), masks AS (
                    SELECT company_id, customer, bit_or(1::bigint << i) AS once,
                           bit_or(CASE WHEN several THEN 1::bigint << i ELSE 0 END) AS twice
                      FROM per_month
                     GROUP BY 1, 2
                ), months AS (
                    SELECT m, %(full)s::bigint << (j - %(span)s) AS prev,
                           %(full)s::bigint << (j - %(last)s) AS win
                      FROM unnest(%(months)s::date[], %(index)s::int[]) AS months(m, j)
                ), flags AS (
                    SELECT k.company_id, months.m, k.once & months.prev <> 0 AS before,
                           k.once & months.win AS active,
                           k.twice & months.win <> 0 AS twice
                      FROM masks k
                      JOIN months ON k.once & (months.prev | months.win) <> 0
                )
                SELECT company_id, m,
                       COUNT(*) FILTER (WHERE before),
                       COUNT(*) FILTER (WHERE before AND active <> 0),
                       COUNT(*) FILTER (WHERE active <> 0),
                       COUNT(*) FILTER (WHERE twice OR active & (active - 1) <> 0)
                  FROM flags
                 GROUP BY company_id, m
                """,
                orders=confirmed_orders(companies, base, end),
                base=base.year * 12 + base.month,
                full=(1 << window) - 1,
                span=2 * window - 1,
                last=window - 1,
                months=months,
                index=index,
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
                ), orders AS (%(orders)s), recipients AS (
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
                orders=confirmed_orders(
                    args["companies"],
                    args["start"] - relativedelta(months=RETENTION_MONTHS),
                    args["end"] + timedelta(days=GESTURE_DAYS),
                ),
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
