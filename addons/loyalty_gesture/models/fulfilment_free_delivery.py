from odoo import fields, models


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("free_delivery", "Free delivery")],
        ondelete={"free_delivery": "set default"},
    )

    def _fulfilment_traits(self):
        return {**super()._fulfilment_traits(), "free_delivery": {"valued", "derived"}}


class LoyaltyGesture(models.Model):
    """Free delivery: a coupon of the company's free-delivery program."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _fulfil_free_delivery(self):
        self._create_coupons("free_delivery")

    def _undo_free_delivery(self):
        self._undo_coupons()
