from odoo import models


class SaleOrder(models.Model):
    """An order that uses a win-back coupon is the campaign's: there is no website
    cookie here, so the coupon tells the campaign and the step that brought it."""

    _inherit = "sale.order"

    def action_confirm(self):
        res = super().action_confirm()
        # at confirmation, on the rewards actually taken: a coupon applied to a quotation
        # and removed before confirming attributes nothing
        self._winback_stamp_utm()
        return res

    def _winback_stamp_utm(self):
        """Give the orders of ``self`` that have no UTM yet the UTM of the win-back step
        whose coupon they use: the campaign's ``utm.campaign``, the step's source, the
        email medium. An order with a UTM campaign, source or medium of its own (from a
        mailing, an opportunity, a salesperson) keeps it. With coupons of several steps,
        the first reward line decides."""
        orders = self.filtered(lambda o: not (o.campaign_id or o.source_id or o.medium_id))
        lines = orders.order_line.filtered("coupon_id")
        steps = self.env["winback.campaign"]._utm_step_by_coupon(lines.coupon_id)
        if not steps:
            return
        order_step = {}
        for line in lines.sorted(lambda line: (line.sequence, line.id)):
            if line.coupon_id in steps:
                order_step.setdefault(line.order_id, steps[line.coupon_id])
        stamped = {}
        for order, step in order_step.items():
            stamped.setdefault(step, self.browse())
            stamped[step] |= order
        for (campaign, step), step_orders in stamped.items():
            # one write per step
            step_orders.write(campaign._utm_values(step))
