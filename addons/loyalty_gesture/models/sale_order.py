from odoo import fields, models
from odoo.exceptions import ValidationError

from .care_helpers import window_action


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
        return window_action(
            self.env,
            "loyalty_gesture.loyalty_gesture_action",
            domain=self._gesture_domain(),
            context={
                "default_sale_order_id": self.id,
                "default_partner_id": self.partner_id.id,
            },
        )

    # --- Personal gesture coupons (extension of sale_loyalty) ---

    def _care_personal_coupons_refusal(self, coupons):
        """The first refusal of a personal coupon among ``coupons`` on this order, or False."""
        self.ensure_one()
        for coupon in coupons:
            refusal = coupon._care_personal_refusal(self)
            if refusal:
                return refusal
        return False

    def _try_apply_code(self, code):
        # a forged code PostgreSQL cannot even compare (NUL character) is just invalid
        if not isinstance(code, str) or "\x00" in code:
            return {"error": self.env._("This code is invalid."), "not_found": True}
        # the code may be a personal coupon: refuse it before sale_loyalty applies it
        coupon = self.env["loyalty.card"].search([("code", "=", code)], limit=1)
        refusal = coupon and self._care_personal_coupons_refusal(coupon)
        if refusal:
            return {"error": refusal}
        return super()._try_apply_code(code)

    def _apply_program_reward(self, reward, coupon, **kwargs):
        refusal = self._care_personal_coupons_refusal(coupon)
        if refusal:
            return {"error": refusal}
        return super()._apply_program_reward(reward, coupon, **kwargs)

    def action_confirm(self):
        # the customer may have changed, or the coupon been used meanwhile
        for order in self:
            coupons = order.applied_coupon_ids | order.order_line.coupon_id
            refusal = order._care_personal_coupons_refusal(coupons)
            if refusal:
                raise ValidationError(refusal)
        res = super().action_confirm()
        # an order pushes back the points expiring "after the last order"
        self.env["loyalty.points.lot"]._care_refresh_inactivity_expiry(self.partner_id)
        self._care_wake_attentions()
        return res

    def _care_wake_attentions(self):
        """Thank-you and referral attentions go out soon after the confirmation, not at night."""
        rules = (
            self.env["care.attention.rule"]
            .sudo()  # sudo: salespeople confirm orders without seeing the care rules
            .search_count(
                [
                    ("company_id", "in", self.company_id.ids),
                    ("event", "in", ("order_confirmed", "referral", "tier_reached")),
                    ("delay_days", "=", 0),
                ],
                limit=1,
            )
        )
        cron = self.env.ref("loyalty_gesture.ir_cron_care_attentions", raise_if_not_found=False)
        if rules and cron:
            cron.sudo()._trigger()  # sudo: salespeople may not manage scheduled actions

    def _action_cancel(self):
        # sale_loyalty gives back the points the orders spent and takes back those they
        # earned (their history lines, and so their lots, are deleted): the lots follow, so
        # that the open lots still hold the card's balance
        confirmed = self.filtered(lambda order: order.state == "sale")
        cards = (confirmed.coupon_point_ids.coupon_id | confirmed.order_line.coupon_id).filtered(
            lambda card: card.program_id._care_tracks_lots()
        )
        Lot = self.env["loyalty.points.lot"]
        if cards:
            Lot._care_lock_cards(cards)
            outside_before = cards._care_points_outside_lots()
        res = super()._action_cancel()
        for card in cards.exists():
            card._care_lots_rebalance(outside_before.get(card.id, 0.0))
        Lot._care_refresh_inactivity_expiry(confirmed.partner_id)
        return res

    # --- Points lots from standard earnings ---

    def _add_loyalty_history_lines(self):
        History = self.env["loyalty.history"].sudo()  # sudo: points move on confirmation
        domain = [
            ("order_model", "=", self._name),
            ("order_id", "=", self.id),
            ("card_id.program_id.program_type", "=", "loyalty"),
        ]
        before = History.search(domain)
        res = super()._add_loyalty_history_lines()
        for history in History.search(domain) - before:
            card = history.card_id
            card._care_lock()
            # the points earned by the order may pay part of its own reward
            card._care_lots_add(history.issued, history)
            card._care_lots_consume(history.used)
        return res
