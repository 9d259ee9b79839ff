from odoo import fields, models
from odoo.tools import SQL

from .care_kpi_report import GESTURE_DAYS


class CareGestureEffectReport(models.Model):
    """Effect of each fulfilled gesture: cost, coupon redeemed, revenue in the 90 days after.

    One row per gesture, so any grouping (type, category, month, team) works; the rates
    and the ROI are ratios of sums, computed by ``_read_group_select`` for every group.
    The revenue after a gesture is read from the orders in SQL, past their record rules:
    an aggregate made on purpose for the care roles (the gesture form shows agents the
    same figure), each row behind the company rule of its gesture.
    """

    _name = "care.gesture.effect.report"
    _description = "Gesture effectiveness"
    _auto = False
    _order = "date desc"
    _rec_name = "type_id"
    _depends = {
        "loyalty.gesture": [
            "state",
            "done_date",
            "company_id",
            "commercial_partner_id",
            "type_id",
            "ticket_id",
            "cost",
            "coupon_card_id",
        ],
        "loyalty.gesture.type": ["category"],
        "helpdesk.ticket": ["team_id"],
        "sale.order": ["partner_id", "company_id", "state", "date_order", "amount_untaxed"],
        "sale.order.line": ["coupon_id", "order_id"],
        "res.partner": ["commercial_partner_id"],
    }

    date = fields.Datetime(string="Fulfilled on", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    type_id = fields.Many2one("loyalty.gesture.type", string="Gesture type", readonly=True)
    category = fields.Selection(
        [
            ("financial", "Financial"),
            ("service", "Service"),
            ("attentive", "Attentive"),
            ("repair", "Repair"),
        ],
        readonly=True,
    )
    team_id = fields.Many2one("helpdesk.ticket.team", string="Helpdesk team", readonly=True)
    gesture_count = fields.Integer(string="Gestures", readonly=True)
    cost = fields.Monetary(readonly=True)
    coupon_count = fields.Integer(string="Coupons", readonly=True)
    redeemed_count = fields.Integer(string="Coupons redeemed", readonly=True)
    returned_count = fields.Integer(
        string="Customers back", readonly=True, help="The customer ordered within 90 days."
    )
    revenue = fields.Monetary(string="Revenue 90 days after", readonly=True)
    redemption_rate = fields.Float(string="Redemption (%)", readonly=True, aggregator="sum")
    return_rate = fields.Float(string="Back within 90 days (%)", readonly=True, aggregator="sum")
    roi = fields.Float(string="ROI (%)", readonly=True, aggregator="sum")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT g.id AS id,
                   g.done_date AS date,
                   g.company_id AS company_id,
                   g.commercial_partner_id AS partner_id,
                   g.type_id AS type_id,
                   t.category AS category,
                   tk.team_id AS team_id,
                   1 AS gesture_count,
                   g.cost AS cost,
                   CASE WHEN g.coupon_card_id IS NOT NULL THEN 1 ELSE 0 END AS coupon_count,
                   CASE WHEN red.used THEN 1 ELSE 0 END AS redeemed_count,
                   CASE WHEN rev.amount > 0 THEN 1 ELSE 0 END AS returned_count,
                   COALESCE(rev.amount, 0) AS revenue,
                   CASE WHEN g.coupon_card_id IS NOT NULL
                        THEN CASE WHEN red.used THEN 100.0 ELSE 0.0 END END
                       AS redemption_rate,
                   CASE WHEN rev.amount > 0 THEN 100.0 ELSE 0.0 END AS return_rate,
                   CASE WHEN g.cost > 0
                        THEN 100.0 * (COALESCE(rev.amount, 0) - g.cost) / g.cost END AS roi
              FROM loyalty_gesture g
              JOIN loyalty_gesture_type t ON t.id = g.type_id
              LEFT JOIN helpdesk_ticket tk ON tk.id = g.ticket_id
              LEFT JOIN LATERAL (
                    SELECT TRUE AS used
                      FROM sale_order_line l
                      JOIN sale_order so ON so.id = l.order_id AND so.state = 'sale'
                     WHERE l.coupon_id = g.coupon_card_id
                     LIMIT 1
              ) red ON TRUE
              LEFT JOIN LATERAL (
                    SELECT SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0))
                               AS amount
                      FROM res_partner p
                      JOIN sale_order so ON so.partner_id = p.id
                                        AND so.company_id = g.company_id
                                        AND so.state = 'sale'
                                        AND so.date_order >= g.done_date
                                        AND so.date_order < g.done_date + %s::interval
                     WHERE p.commercial_partner_id = g.commercial_partner_id
              ) rev ON TRUE
             WHERE g.state IN ('done', 'followed_up') AND g.done_date IS NOT NULL
            """,
            f"{GESTURE_DAYS} days",
        )

    def _read_group_select(self, aggregate_spec, query):
        """Rates and ROI of a group are ratios of its sums, not sums of ratios."""
        ratios = {
            "roi:sum": (
                "100.0 * (SUM(%(a)s) - SUM(%(b)s)) / NULLIF(SUM(%(b)s), 0)",
                "revenue",
                "cost",
            ),
            "redemption_rate:sum": (
                "100.0 * SUM(%(a)s) / NULLIF(SUM(%(b)s), 0)",
                "redeemed_count",
                "coupon_count",
            ),
            "return_rate:sum": (
                "100.0 * SUM(%(a)s) / NULLIF(SUM(%(b)s), 0)",
                "returned_count",
                "gesture_count",
            ),
        }
        if aggregate_spec not in ratios:
            return super()._read_group_select(aggregate_spec, query)
        template, a, b = ratios[aggregate_spec]
        return SQL(
            template,
            a=self._field_to_sql(self._table, a, query),
            b=self._field_to_sql(self._table, b, query),
        )
