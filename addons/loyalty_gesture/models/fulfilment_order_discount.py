from odoo import fields, models
from odoo.exceptions import UserError


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("order_discount", "Discount on an order")],
        ondelete={"order_discount": "set default"},
    )

    def _fulfilment_traits(self):
        return {**super()._fulfilment_traits(), "order_discount": {"valued"}}


class LoyaltyGesture(models.Model):
    """Discount on an order: a coupon applied at once to the gesture's quotation."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _check_grantable_order_discount(self):
        if self.sale_order_id.state not in ("draft", "sent"):
            raise UserError(self.env._("A discount gesture needs a quotation to apply to."))

    def _fulfil_order_discount(self):
        self._create_coupons("coupons")
        for gesture in self:
            # sudo: agents may lack loyalty rights, the gesture was approved
            card = gesture.coupon_card_id.sudo().with_company(gesture.company_id)
            order = gesture.sale_order_id.sudo()  # sudo: agents may lack sales rights
            if card in order.order_line.coupon_id:
                continue
            status = order._try_apply_code(card.code)
            if "error" in status:
                raise UserError(status["error"])
            status = order._apply_program_reward(card.program_id.reward_ids[:1], card)
            if "error" in status:
                raise UserError(status["error"])

    def _undo_order_discount(self):
        self._undo_coupons()
