"""The churn model's features in SQL, for the nightly scoring and the back-test alike.

One aggregate of a company's confirmed orders per customer and cut-off date (recency,
frequency, tenure, spend, regularity and recent trend of the intervals), joined with the
customer's tickets, gestures and last NPS before the cut-off; then the MBG/NBD figures
with the population parameters of that cut-off, and the features of
:data:`..tools.churn.FEATURES` (the same formulas as :func:`churn.features_from_values`).
Everything stays in PostgreSQL: only the model's coefficients come in as parameters.
"""

from odoo.tools import SQL

from . import churn


def orders_sql(company_id, until):
    """Purchase days of the company's customers up to ``until``: partner, day, amount."""
    return SQL(
        """
        SELECT p.commercial_partner_id AS partner_id, so.date_order::date AS day,
               SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0)) AS amount,
               COUNT(*) AS orders
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.company_id = %(company)s AND so.state = 'sale'
           AND so.date_order::date <= %(until)s
      GROUP BY 1, 2
        """,
        company=company_id,
        until=until,
    )


def aggregates_sql(cutoff):
    """Per-customer aggregates over ``gaps`` (purchase days with their gap), at ``cutoff``
    (an SQL date expression)."""
    return SQL(
        """
        SUM(orders)::int AS orders,
        COUNT(*)::int AS days,
        %(c)s - MIN(day) AS age,
        MAX(day) - MIN(day) AS span,
        %(c)s - MAX(day) AS recency,
        MIN(day) AS first_day,
        MAX(day) AS last_day,
        COALESCE(SUM(amount), 0) AS revenue,
        COALESCE(SUM(amount) FILTER (WHERE day > %(c)s - 365), 0) AS revenue_12m,
        COALESCE(SUM(amount) FILTER (WHERE day > %(c)s - 730 AND day <= %(c)s - 365), 0)
          AS revenue_prev,
        COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap), 0) AS median,
        COALESCE(stddev_samp(gap) / NULLIF(AVG(gap), 0), 0)::float8 AS gap_cv,
        COUNT(*) FILTER (WHERE day > %(c)s - 180)::int AS recent,
        COUNT(*) FILTER (WHERE day > %(c)s - 360 AND day <= %(c)s - 180)::int AS before
        """,
        c=cutoff,
    )


def extras_sql(company_id, cutoffs):
    """Tickets of the last 90 days, gestures of the last 365 days and last NPS answer of
    each customer before each cut-off: ``(k, partner_id, tickets, gestures, nps)``.

    ``cutoffs``: SQL relation ``cut(k, cutoff)``. Customers without any of them have no row.
    """
    return SQL(
        """
        SELECT k, partner_id, SUM(tickets)::int AS tickets, SUM(gestures)::int AS gestures,
               (array_agg(nps ORDER BY answered DESC, rid DESC) FILTER (WHERE nps IS NOT NULL))[1] AS nps
          FROM (
            SELECT c.k, p.commercial_partner_id AS partner_id, 1 AS tickets, 0 AS gestures,
                   NULL::int AS nps, NULL::timestamp AS answered, NULL::int AS rid
              FROM helpdesk_ticket t
              JOIN res_partner p ON p.id = t.partner_id
              JOIN %(cut)s ON t.create_date::date <= c.cutoff
                          AND t.create_date::date > c.cutoff - 90
             WHERE t.company_id = %(company)s
            UNION ALL
            SELECT c.k, g.commercial_partner_id, 0, 1, NULL, NULL, NULL
              FROM loyalty_gesture g
              JOIN %(cut)s ON g.create_date::date <= c.cutoff
                          AND g.create_date::date > c.cutoff - 365
             WHERE g.company_id = %(company)s
               AND g.state IN ('to_approve', 'approved', 'done', 'followed_up')
            UNION ALL
            SELECT c.k, r.commercial_partner_id, 0, 0, r.score, r.answered_date, r.id
              FROM satisfaction_request r
              JOIN %(cut)s ON r.answered_date::date <= c.cutoff
             WHERE r.company_id = %(company)s AND r.state = 'answered' AND r.kind = 'nps'
          ) e
      GROUP BY k, partner_id
        """,
        company=company_id,
        cut=cutoffs,
    )


def model_sql(source, params):
    """MBG/NBD figures and the model's features over ``source``.

    ``source``: relation ``i`` with the columns of :func:`aggregates_sql` plus ``k``,
    ``tickets``, ``gestures``, ``nps``; ``params``: relation ``m(k, r, alpha, a, b, h)``
    (population parameters and horizon of each cut-off ``k``). Adds ``x``, ``t``,
    ``alive``, ``interval``, ``expected`` (within the horizon), ``expected_year`` and one column per feature ``f_<name>``.
    """
    return SQL(
        """
        SELECT w.*,
               ln(1 + w.recency) AS f_recency,
               ln(1 + w.recency / w.interval) AS f_overdue,
               ln(1 + w.x) AS f_frequency,
               ln(1 + w.t) AS f_tenure,
               ln(1 + GREATEST(w.revenue, 0) / GREATEST(w.days, 1)) AS f_monetary,
               w.gap_cv AS f_irregularity,
               (w.recent - w.before) / (w.recent + w.before + 1.0) AS f_trend,
               w.alive AS f_p_alive,
               ln(1 + w.expected) AS f_expected,
               ln(1 + COALESCE(w.tickets, 0)) AS f_complaints,
               ln(1 + COALESCE(w.gestures, 0)) AS f_gestures,
               COALESCE((w.nps <= 6)::int, 0) AS f_detractor,
               COALESCE((w.nps >= 9)::int, 0) AS f_promoter
          FROM (
            SELECT v.*,
                   (v.r + v.x) / (v.alpha + v.t) AS rate,
                   v.alive * (1 - exp(-(v.r + v.x) / (v.alpha + v.t) * v.leave * v.h))
                     / v.leave AS expected,
                   v.alive * (1 - exp(-(v.r + v.x) / (v.alpha + v.t) * v.leave * 365.0))
                     / v.leave AS expected_year
              FROM (
                SELECT u.*,
                       1.0 / (1.0 + exp(LEAST(
                           ln(u.a) - ln(u.b + u.x)
                           + (u.r + u.x) * (ln(u.alpha + u.t) - ln(u.alpha + u.span)), 700)))
                         AS alive,
                       (LEAST(u.r, 1) * u.alpha / u.r + u.span) / (LEAST(u.r, 1) + u.x)
                         AS interval,
                       u.a / (u.a + u.b + u.x) AS leave
                  FROM (
                    SELECT i.*, m.r, m.alpha, m.a, m.b, m.h,
                           (i.days - 1)::float8 AS x,
                           GREATEST(i.age, i.span)::float8 AS t
                      FROM %(source)s
                      JOIN %(params)s ON m.k = i.k
                  ) u
              ) v
          ) w
        """,
        source=source,
        params=params,
    )


def params_sql(rows):
    """``m(k, r, alpha, a, b, h)`` from ``[(k, (r, alpha, a, b), h)]``."""
    values = SQL(", ").join(
        SQL(
            "(%s, %s::float8, %s::float8, %s::float8, %s::float8, %s::float8)",
            k,
            *(float(v) for v in params),
            float(h),
        )
        for k, params, h in rows
    )
    return SQL("(VALUES %s) AS m(k, r, alpha, a, b, h)", values)


def features_select():
    """The feature columns, in the order of :data:`churn.FEATURES`."""
    return SQL(", ").join(SQL.identifier(f"f_{name}") for name in churn.FEATURES)


def risk_sql(model, alias="f"):
    """The model's churn probability (0-1) from the feature columns of ``alias``."""
    mean, scale, coef = model["mean"], model["scale"], model["coef"]
    weights = [c / s for c, s in zip(coef, scale, strict=True)]
    intercept = model["intercept"] - sum(w * m for w, m in zip(weights, mean, strict=True))
    terms = SQL(" + ").join(
        SQL("%s * %s", float(w), SQL.identifier(alias, f"f_{name}"))
        for w, name in zip(weights, churn.FEATURES, strict=True)
    )
    return SQL("1.0 / (1.0 + exp(-LEAST(GREATEST(%s + %s, -35), 35)))", float(intercept), terms)
