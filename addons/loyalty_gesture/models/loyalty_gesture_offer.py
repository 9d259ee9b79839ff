from odoo import api, fields, models
from odoo.tools.misc import format_amount, formatLang


class LoyaltyGesture(models.Model):
    """What the customer gets, in their words: said by the email, the wizard's preview
    and the phone script. Read from the reward the customer actually receives (the
    program of their coupon, the points program's worth), not from the type's name."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    customer_offer = fields.Char(
        string="What the customer gets",
        compute="_compute_customer_offer",
        help="In the customer's words: '10 % off your next order, up to €15', "
        "'120 points (worth €12)', 'a €20 coupon on your next order'...",
    )

    @api.depends("type_id", "value", "points", "coupon_card_id", "currency_id", "partner_id")
    def _compute_customer_offer(self):
        for gesture in self:
            gesture.customer_offer = gesture._get_customer_offer()

    def _get_customer_offer(self):
        self.ensure_one()
        kind = self.type_id.fulfilment
        if not kind:
            return False
        amount = format_amount(self.env, self.value, self.currency_id) if self.value else ""
        if kind in ("coupon", "order_discount"):
            # sudo: this gesture's own coupon (the gesture is readable), read by Care users
            # who are not Sales users to word the offer
            card = self.coupon_card_id.sudo()
            program = (
                card.program_id
                or self.company_id.sudo().care_coupon_program_id  # sudo: a name and a rate
            )
            reward = program.sudo().reward_ids[:1]  # sudo: agents do not manage programs
            text = self._get_reward_offer(reward, card.points or self.value)
            if text:
                return text
            return self.env._("a %(amount)s coupon on your next order", amount=amount)
        if kind == "free_delivery":
            return self.env._("free delivery on your next order")
        if kind == "points":
            return self.points_text  # the worth the points program really gives
        if kind == "refund":
            return self.env._("a refund of %(amount)s (credit note)", amount=amount)
        if kind == "gift":
            return self.type_id.product_id.name or self.type_id.name
        return self.type_id.name

    def _get_reward_offer(self, reward, points):
        """A discount reward in words, for a coupon holding ``points``, or False."""
        if not reward or reward.reward_type != "discount":
            return False
        currency = self.currency_id
        if reward.discount_mode == "percent":
            percent = formatLang(self.env, reward.discount, digits=0)
            if reward.discount_max_amount:
                return self.env._(
                    "%(percent)s %% off your next order, up to %(max)s",
                    percent=percent,
                    max=format_amount(self.env, reward.discount_max_amount, currency),
                )
            return self.env._("%(percent)s %% off your next order", percent=percent)
        if reward.discount_mode == "per_point":
            worth = points * reward.discount
        else:
            worth = reward.discount
        return self.env._(
            "a %(amount)s coupon on your next order",
            amount=format_amount(self.env, worth, currency),
        )
