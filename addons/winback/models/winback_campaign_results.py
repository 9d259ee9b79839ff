from odoo import fields, models
from odoo.tools import SQL

# An order's untaxed amount in the company's currency.
ORDER_AMOUNT = SQL("so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0)")
# Members (m2) with their customer's confirmed orders (so) in their campaign's (c) window.
WINDOW_ORDERS = SQL(
    """
      FROM winback_campaign_member m2
      JOIN winback_campaign c ON c.id = m2.campaign_id
      JOIN res_partner p ON p.commercial_partner_id = m2.partner_id
      JOIN sale_order so ON so.partner_id = p.id
       AND so.company_id = m2.company_id AND so.state = 'sale'
       AND so.date_order >= c.date_start
       AND so.date_order < c.date_start + make_interval(days => c.window_days)
    """
)


class WinbackCampaign(models.Model):
    """What a campaign achieved: reactivations, revenue, cost and relapses of its
    members against the holdout group."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    # results
    member_count = fields.Integer(compute="_compute_results", string="Targeted")
    holdout_count = fields.Integer(compute="_compute_results")
    excluded_count = fields.Integer(compute="_compute_results")
    contacted_count = fields.Integer(compute="_compute_results")
    reactivated_count = fields.Integer(compute="_compute_results")
    holdout_reactivated_count = fields.Integer(compute="_compute_results")
    relapsed_count = fields.Integer(compute="_compute_results")
    reactivation_rate = fields.Float(compute="_compute_results", string="Reactivation (%)")
    holdout_rate = fields.Float(compute="_compute_results", string="Holdout reactivation (%)")
    lift = fields.Float(
        compute="_compute_results",
        string="Lift (points)",
        help="Reactivation rate of the members minus that of the holdout group.",
    )
    relapse_rate = fields.Float(compute="_compute_results", string="Relapse (%)")
    revenue_won = fields.Monetary(
        compute="_compute_results",
        string="Revenue won back",
        help="Revenue of reactivated members within the reactivation window.",
    )
    cost = fields.Monetary(
        compute="_compute_results",
        help="Unit cost of every offer, value of the coupons redeemed and of the other "
        "gestures fulfilled, plus the contacts.",
    )
    roi = fields.Float(
        compute="_compute_results", string="ROI (%)", help="(Revenue won back - cost) / cost."
    )

    def _compute_results(self):
        groups = self.env["winback.campaign.member"]._read_group(
            [("campaign_id", "in", self.ids)],
            ["campaign_id", "state", "is_holdout", "reactivated", "relapsed"],
            ["__count", "revenue:sum", "offer_cost:sum", "contacted:count_distinct"],
        )
        results = {
            campaign.id: dict.fromkeys(
                (
                    "member_count",
                    "holdout_count",
                    "excluded_count",
                    "contacted_count",
                    "reactivated_count",
                    "holdout_reactivated_count",
                    "relapsed_count",
                    "revenue_won",
                    "offer_cost",
                ),
                0,
            )
            for campaign in self
        }
        for campaign, state, holdout, reactivated, relapsed, count, revenue, offers, _c in groups:
            row = results[campaign.id]
            if state == "excluded":
                row["excluded_count"] += count
            elif holdout:
                row["holdout_count"] += count
                row["holdout_reactivated_count"] += count if reactivated else 0
            else:
                row["member_count"] += count
                row["offer_cost"] += offers
                if state != "targeted":
                    row["contacted_count"] += count
                if reactivated:
                    row["reactivated_count"] += count
                    row["revenue_won"] += revenue
                    row["relapsed_count"] += count if relapsed else 0
        for campaign in self:
            row = results[campaign.id]
            rate = (
                100.0 * row["reactivated_count"] / row["member_count"]
                if row["member_count"]
                else 0.0
            )
            holdout_rate = (
                100.0 * row["holdout_reactivated_count"] / row["holdout_count"]
                if row["holdout_count"]
                else 0.0
            )
            cost = row["offer_cost"] + row["contacted_count"] * campaign.contact_cost
            campaign.update(
                {
                    "member_count": row["member_count"],
                    "holdout_count": row["holdout_count"],
                    "excluded_count": row["excluded_count"],
                    "contacted_count": row["contacted_count"],
                    "reactivated_count": row["reactivated_count"],
                    "holdout_reactivated_count": row["holdout_reactivated_count"],
                    "relapsed_count": row["relapsed_count"],
                    "reactivation_rate": rate,
                    "holdout_rate": holdout_rate,
                    "lift": rate - holdout_rate,
                    "relapse_rate": 100.0 * row["relapsed_count"] / row["reactivated_count"]
                    if row["reactivated_count"]
                    else 0.0,
                    "revenue_won": row["revenue_won"],
                    "cost": cost,
                    "roi": 100.0 * (row["revenue_won"] - cost) / cost if cost else 0.0,
                }
            )

    def _update_results(self):
        """Reactivations, revenue in the window, offer cost and relapses, set-based for
        ``self``."""
        if not self:
            return
        now = fields.Datetime.now()
        self.env["sale.order"].flush_model(
            ["partner_id", "company_id", "state", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["sale.order.line"].flush_model(["order_id", "coupon_id"])
        self.env["loyalty.gesture"].flush_model()
        self.flush_model()
        self.env["winback.campaign.member"].flush_model()
        cr = self.env.cr
        campaigns = tuple(self.ids)
        # first confirmed order in the window after the start (members and holdout alike)
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET first_order_id = f.order_id,
                       first_order_date = f.date_order,
                       first_order_amount = f.amount,
                       reactivated = TRUE,
                       state = CASE WHEN m.state IN ('targeted', 'contacted', 'responded')
                                    THEN 'reactivated' ELSE m.state END
                  FROM (
                    SELECT DISTINCT ON (m2.id) m2.id AS member_id, so.id AS order_id,
                           so.date_order, %(amount)s AS amount
                      %(window_orders)s
                     WHERE m2.campaign_id IN %(campaigns)s AND so.date_order <= %(now)s
                       AND m2.first_order_id IS NULL AND m2.state != 'excluded'
                  ORDER BY m2.id, so.date_order, so.id
                  ) f
                 WHERE m.id = f.member_id
                """,
                amount=ORDER_AMOUNT,
                window_orders=WINDOW_ORDERS,
                campaigns=campaigns,
                now=now,
            )
        )
        # revenue within the window
        self._set_member_figure(
            "revenue",
            SQL(
                """
                SELECT m2.id, SUM(%(amount)s) AS value
                  %(window_orders)s
                 WHERE m2.campaign_id IN %(campaigns)s AND m2.reactivated
              GROUP BY m2.id
                """,
                amount=ORDER_AMOUNT,
                window_orders=WINDOW_ORDERS,
                campaigns=campaigns,
            ),
        )
        # offer cost: the unit cost always; the value once a coupon is redeemed on a
        # confirmed order, or once any other kind of gesture is fulfilled
        self._set_member_figure(
            "offer_cost",
            SQL(
                """
                SELECT m2.id,
                       SUM(COALESCE(t.unit_cost, 0) + CASE
                           WHEN g.state IN ('refused', 'cancelled') THEN 0
                           WHEN g.fulfilment = 'coupon' AND EXISTS (
                                SELECT 1 FROM sale_order_line sol
                                  JOIN sale_order so ON so.id = sol.order_id
                                 WHERE sol.coupon_id = g.coupon_card_id
                                   AND so.state = 'sale') THEN g.value
                           WHEN g.fulfilment != 'coupon'
                            AND g.state IN ('done', 'followed_up') THEN g.value
                           ELSE 0 END) AS value
                  FROM winback_campaign_member m2
                  JOIN loyalty_gesture g
                    ON g.id IN (m2.gesture_id, m2.reminder_gesture_id)
                  JOIN loyalty_gesture_type t ON t.id = g.type_id
                 WHERE m2.campaign_id IN %(campaigns)s
              GROUP BY m2.id
                """,
                campaigns=campaigns,
            ),
        )
        # relapse: reactivated, then no other order within the relapse delay
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET relapsed = TRUE,
                       state = CASE WHEN m.is_holdout THEN m.state ELSE 'relapsed' END
                  FROM winback_campaign c
                 WHERE c.id = m.campaign_id AND m.campaign_id IN %(campaigns)s
                   AND m.reactivated AND NOT m.relapsed
                   AND m.first_order_date + make_interval(days => c.relapse_days) <= %(now)s
                   AND NOT EXISTS (
                        SELECT 1 FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                         WHERE p.commercial_partner_id = m.partner_id
                           AND so.company_id = m.company_id AND so.state = 'sale'
                           AND so.id != m.first_order_id
                           AND so.date_order >= m.first_order_date
                           AND so.date_order
                               <= m.first_order_date + make_interval(days => c.relapse_days))
                """,
                campaigns=campaigns,
                now=now,
            )
        )
        self.env["winback.campaign.member"].invalidate_model()

    def _set_member_figure(self, column, figures):
        """Set the members' ``column`` from ``figures`` (rows of id, value), where it changes."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET %(column)s = f.value
                  FROM (%(figures)s) f
                 WHERE m.id = f.id AND %(current)s IS DISTINCT FROM f.value
                """,
                column=SQL.identifier(column),
                current=SQL.identifier("m", column),
                figures=figures,
            )
        )
