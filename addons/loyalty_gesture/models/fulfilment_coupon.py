from odoo import fields, models


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    # the default kind: removing it removes the types
    fulfilment = fields.Selection(
        selection_add=[("coupon", "Coupon")], ondelete={"coupon": "cascade"}
    )

    def _fulfilment_traits(self):
        return {**super()._fulfilment_traits(), "coupon": {"valued"}}


class LoyaltyGesture(models.Model):
    """Coupon: a coupon card worth the gesture's value."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _fulfil_coupon(self):
        self._create_coupons("coupons")

    def _undo_coupon(self):
        self._undo_coupons()
