"""Synthetic data, generated set-based in SQL (never one ORM record at a time).

Customers get a skewed number of confirmed orders (geometric, mean ~3) spread over three
years; a share of them stop buying at some point, so statuses and churn risk have
something to find.
"""

from odoo.tools import SQL

TAG = "care-bench"


def generate(env, customers, seed=0.42):
    cr = env.cr
    cr.execute(SQL("SELECT setseed(%s)", seed))
    company = env.company
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, ref, email, active, type, is_company,
                                     autopost_bills, create_date, write_date, company_id)
            SELECT 'Bench customer ' || g, %(tag)s, 'bench' || g || '@example.com', true,
                   'contact', true, 'ask', now() - interval '3 years', now(), NULL
              FROM generate_series(1, %(n)s) g
            """,
            tag=TAG,
            n=customers,
        )
    )
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id "
            "WHERE ref = %s AND commercial_partner_id IS NULL",
            TAG,
        )
    )
    # Orders: per customer a geometric count (mean ~3, skewed), a personal rhythm,
    # and for ~40% of them a stop date after which they never buy again.
    cr.execute(
        SQL(
            """
            WITH c AS (
                SELECT id,
                       1 + floor(ln(1 - random()) / ln(0.66))::int AS n_orders,
                       20 + random() * 200 AS rhythm_days,
                       random() < 0.4 AS churned
                  FROM res_partner WHERE ref = %(tag)s
            ), o AS (
                SELECT c.id AS partner_id, k,
                       now() - interval '3 years'
                         + make_interval(days => LEAST(1090,
                             (k * c.rhythm_days * (0.5 + random())
                              * CASE WHEN c.churned THEN 0.5 ELSE 1 END))::int) AS date_order,
                       round((20 + random() * 480)::numeric, 2) AS amount
                  FROM c, generate_series(1, c.n_orders) k
            )
            INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                    company_id, currency_id, date_order, state, amount_untaxed,
                                    amount_tax, amount_total, create_date, write_date)
            SELECT 'BENCH/' || partner_id || '/' || k, partner_id, partner_id, partner_id,
                   %(company)s, %(currency)s, date_order, 'sale', amount, 0, amount,
                   date_order, date_order
              FROM o
            """,
            tag=TAG,
            company=company.id,
            currency=company.currency_id.id,
        )
    )
    cr.execute(SQL("ANALYZE res_partner; ANALYZE sale_order"))
    env.invalidate_all()
    cr.execute(
        SQL(
            "SELECT count(*) FROM sale_order so JOIN res_partner p ON p.id = so.partner_id "
            "WHERE p.ref = %s",
            TAG,
        )
    )
    return cr.fetchone()[0]


def customer_ids(env):
    env.cr.execute(SQL("SELECT id FROM res_partner WHERE ref = %s ORDER BY id", TAG))
    return [r[0] for r in env.cr.fetchall()]


def campaign_on_everyone(env, name):
    """A draft win-back campaign of ``name`` on every lapsing customer (every segment, one
    order or more, no holdout), offering a coupon of 10 of its own gesture type."""
    gesture_type = env["loyalty.gesture.type"].create(
        {"name": f"{name} coupon", "default_value": 10, "max_value": 50}
    )
    return env["winback.campaign"].create(
        {
            "name": name,
            "segment_at_risk": True,
            "segment_dormant": True,
            "segment_lost": True,
            "holdout_percent": 0,
            "min_orders": 1,
            "gesture_type_id": gesture_type.id,
        }
    )
