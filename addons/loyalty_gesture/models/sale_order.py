from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    gesture_count = fields.Integer(compute="_compute_gesture_count")

    def _gesture_domain(self):
        return ["|", ("sale_order_id", "in", self.ids), ("gift_order_id", "in", self.ids)]

    def _compute_gesture_count(self):
        counts = dict.fromkeys(self.ids, 0)
        if self.env["loyalty.gesture"].has_access("read"):
            gestures = self.env["loyalty.gesture"].search_fetch(
                self._gesture_domain(), ["sale_order_id", "gift_order_id"]
            )
            for gesture in gestures:
                for order in gesture.sale_order_id | gesture.gift_order_id:
                    if order.id in counts:
                        counts[order.id] += 1
        for order in self:
            order.gesture_count = counts.get(order.id, 0)

    def action_view_gestures(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_gesture.loyalty_gesture_action"
        )
        action["domain"] = self._gesture_domain()
        action["context"] = {
            "default_sale_order_id": self.id,
            "default_partner_id": self.partner_id.id,
        }
        return action
