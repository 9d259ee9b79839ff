from odoo import api, models
from odoo.tools import SQL


class ResPartner(models.Model):
    """The metrics registry, dated: each past case's figures as they were on its date.

    ``_care_metrics`` describes customers today (the grant wizard's kind of case: tier,
    ``is_detractor``, ``ticket_count_12m``); the nightly effects need the same features as
    of each past case, and what followed it. Modules higher in the chain extend
    :meth:`_care_metrics_as_of` the way they extend ``_care_metrics`` (satisfaction_survey
    fills the detractor flag and the next NPS/CSAT answer).
    """

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _care_metrics_as_of(self, table, company, window):
        """Fill the cases of ``table`` (a temporary table built by
        ``loyalty.gesture.effect._build_cases``), set-based, one UPDATE per figure group.

        Here: the tier from the 12 months of orders before the case, whether the customer
        ordered again within ``window`` days after it (and for how much), the tickets of
        the 12 months before it, and whether a gesture coupon was redeemed.
        """
        self.env["sale.order"].flush_model()
        self.env["sale.order.line"].flush_model(["coupon_id", "order_id"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE %(table)s c
                   SET tier = CASE
                           WHEN %(vip)s > 0 AND o.revenue_12m >= %(vip)s THEN 'vip'
                           WHEN %(gold)s > 0 AND o.revenue_12m >= %(gold)s THEN 'gold'
                           WHEN %(silver)s > 0 AND o.revenue_12m >= %(silver)s THEN 'silver'
                           ELSE 'standard' END,
                       returned = o.returned,
                       return_revenue = o.return_revenue
                  FROM (
                    SELECT c.id,
                           COALESCE(SUM(so.amount_untaxed)
                               FILTER (WHERE so.date_order < c.case_date), 0) AS revenue_12m,
                           COALESCE(bool_or(so.date_order > c.case_date
                                            AND so.amount_untaxed > 0), false) AS returned,
                           COALESCE(SUM(so.amount_untaxed)
                               FILTER (WHERE so.date_order > c.case_date), 0) AS return_revenue
                      FROM %(table)s c
                      JOIN res_partner p ON p.commercial_partner_id = c.partner_id
                      JOIN sale_order so ON so.partner_id = p.id
                       AND so.state = 'sale'
                       AND so.company_id = c.company_id
                       AND so.date_order >= c.case_date - INTERVAL '1 year'
                       AND so.date_order <= c.case_date + make_interval(days => %(window)s)
                  GROUP BY c.id
                  ) o
                 WHERE o.id = c.id;

                UPDATE %(table)s c
                   SET complaints = k.tickets
                  FROM (
                    SELECT c.id, COUNT(t.id) AS tickets
                      FROM %(table)s c
                      JOIN helpdesk_ticket t ON t.commercial_partner_id = c.partner_id
                       AND t.company_id = c.company_id
                       AND t.create_date > c.case_date - INTERVAL '1 year'
                       AND t.create_date <= c.case_date
                  GROUP BY c.id
                  ) k
                 WHERE k.id = c.id;

                UPDATE %(table)s c
                   SET redeemed = true
                  FROM loyalty_gesture g
                  JOIN sale_order_line sol ON sol.coupon_id = g.coupon_card_id
                  JOIN sale_order so ON so.id = sol.order_id AND so.state = 'sale'
                 WHERE g.id = c.gesture_id AND c.has_coupon;
                """,
                table=table,
                vip=company.care_tier_vip_revenue or 0.0,
                gold=company.care_tier_gold_revenue or 0.0,
                silver=company.care_tier_silver_revenue or 0.0,
                window=window,
            )
        )
