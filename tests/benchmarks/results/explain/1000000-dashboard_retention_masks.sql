-- Retention and repurchase of the last 12 months (company 1) as in care_kpi_report_figures._query_orders,
-- from one bit mask of order months per customer: the same figures at 1M in 18.4 s instead of 76.5 s
-- (psql on bench_1000000, 2026-12-02; see RESULTS.md, Issue #21 targets). The addon's _query_orders now uses
-- this formulation (care_kpi_report_figures._query_order_masks): 7.2 s at 1M within the refresh.
-- months of the last 12 as indexes J (0..35 from base = first month - 23 months)
WITH params AS (
    SELECT (date_trunc('month', now()) - interval '11 months' - interval '23 months')::date AS base
), orders AS (
        SELECT so.company_id, p.commercial_partner_id AS customer, so.date_order
          FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND so.company_id IN (1)
           AND so.date_order >= date_trunc('month', now()) - interval '34 months' AND so.date_order < date_trunc('month', now()) + interval '1 month'
), per_month AS (
    SELECT o.company_id, o.customer,
           (extract(year FROM o.date_order)::int * 12 + extract(month FROM o.date_order)::int)
           - (extract(year FROM params.base)::int * 12 + extract(month FROM params.base)::int) AS i,
           count(*) AS n
      FROM orders o, params
     GROUP BY 1, 2, 3
), masks AS (
    SELECT company_id, customer, bit_or(1::bigint << i) AS m1,
           bit_or(CASE WHEN n > 1 THEN 1::bigint << i ELSE 0 END) AS m2
      FROM per_month GROUP BY 1, 2
), months AS (
    SELECT j, ((1::bigint << 12) - 1) << (j - 23) AS prev, ((1::bigint << 12) - 1) << (j - 11) AS win
      FROM generate_series(23, 34) j
), flags AS (
    SELECT k.company_id, months.j,
           k.m1 & months.prev <> 0 AS before,
           k.m1 & months.win <> 0 AS active,
           k.m2 & months.win <> 0 OR bit_count((k.m1 & months.win)::bit(64)) > 1 AS repeat
      FROM masks k CROSS JOIN months
)
SELECT company_id, ((SELECT base FROM params) + make_interval(months => j))::date AS m,
       COUNT(*) FILTER (WHERE before),
       COUNT(*) FILTER (WHERE before AND active),
       COUNT(*) FILTER (WHERE active),
       COUNT(*) FILTER (WHERE repeat)
  FROM flags
 GROUP BY 1, 2 ORDER BY 2
