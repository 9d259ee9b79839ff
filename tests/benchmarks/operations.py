"""The benchmarked operations: each runs through the addons and as bare SQL.

``odoo(env)`` and ``baseline(env)`` return the number of customers (rows) they handled.
"""

import datagen

from odoo.tools import SQL


class CustomerMetrics:
    """`res.partner._care_metrics()` over every customer (the registry the charter, portraits
    and the gesture wizard read) vs one GROUP BY writing the same figures into a plain table."""

    name = "customer metrics"
    module = "loyalty_gesture"

    def prepare(self, env):
        self.ids = datagen.customer_ids(env)

    def odoo(self, env):
        return len(env["res.partner"].browse(self.ids)._care_metrics())

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE bench_metrics AS
                SELECT p.commercial_partner_id AS partner_id,
                       sum(so.amount_untaxed) AS revenue,
                       sum(so.amount_untaxed) FILTER (
                           WHERE so.date_order >= now() - interval '1 year') AS revenue_12m,
                       count(*) AS order_count,
                       min(so.date_order) AS first_order,
                       max(so.date_order) AS last_order
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale' AND p.commercial_partner_id = ANY(%s)
              GROUP BY p.commercial_partner_id
                """,
                self.ids,
            )
        )
        return env.cr.rowcount


OPERATIONS = [CustomerMetrics()]


def available(env):
    installed = set(env["ir.module.module"].search([("state", "=", "installed")]).mapped("name"))
    return [op for op in OPERATIONS if op.module in installed]
