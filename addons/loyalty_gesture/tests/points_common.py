import contextlib

from freezegun import freeze_time

from . import common


class PointsLotCase(common.GestureCase):
    """The test points program in lots valid 12 months (reminded 30 days before expiry),
    counted from each earning or, with ``expiry_mode = "inactivity"``, from the last order."""

    expiry_mode = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        settings = {"care_points_validity_months": 12, "care_expiry_reminder_days": 30}
        if cls.expiry_mode:
            settings["care_points_expiry_mode"] = cls.expiry_mode
        cls.points_program.write(settings)
        cls.Lot = cls.env["loyalty.points.lot"]

    def card(self, partner=None):
        return self.company._care_points_card(partner or self.customer)

    def earn(self, card, points, day):
        with freeze_time(day):
            return card._care_credit_points(points, "Earned")

    def lots(self, card):
        return self.Lot.search([("card_id", "=", card.id)], order="date, id")

    def expire(self, day):
        with freeze_time(day):
            return self.Lot._cron_expire_points()

    def remind(self, day):
        with freeze_time(day):
            return self.Lot._cron_remind_points_expiry()

    def confirm_order(self, partner=None, day=None, reward_card=None):
        """A confirmed order of one product on ``day`` (today by default), paid in part with
        the first reward of ``reward_card`` if given."""
        with freeze_time(day) if day else contextlib.nullcontext():
            order = self.env["sale.order"].create(
                {
                    "partner_id": (partner or self.customer).id,
                    "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
                }
            )
            if reward_card:
                order._update_programs_and_rewards()
                rewards = order._get_claimable_rewards()[reward_card]
                self.assertFalse(order._apply_program_reward(rewards[:1], reward_card))
            order.action_confirm()
        return order
