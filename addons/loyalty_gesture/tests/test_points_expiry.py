from datetime import date

from freezegun import freeze_time

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, tagged

from . import common, points_common
from .cron_common import tiny_cron_limits


@tagged("post_install", "-at_install")
class TestPointsExpiry(points_common.PointsLotCase):
    def test_settings_refuse_bad_values(self):
        with self.assertRaises(ValidationError):
            self.points_program.care_points_validity_months = 1000
        with self.assertRaises(ValidationError):
            self.points_program.care_expiry_reminder_days = 9999

    def test_each_earning_is_a_lot_with_its_own_expiry(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.points_program.care_points_validity_months = 6
        self.earn(card, 20, "2025-03-01")
        self.points_program.care_points_validity_months = 0
        self.earn(card, 30, "2025-04-01")
        self.assertRecordValues(
            self.lots(card),
            [
                {"points": 10, "points_left": 10, "expiry_date": date(2026, 1, 14)},
                {"points": 20, "points_left": 20, "expiry_date": date(2025, 8, 31)},
                {"points": 30, "points_left": 30, "expiry_date": False},
            ],
        )
        self.assertEqual(card.points, 60)
        card.invalidate_recordset(["care_next_expiry_date", "care_next_expiry_points"])
        self.assertEqual(card.care_next_expiry_date, date(2025, 8, 31))
        self.assertEqual(card.care_next_expiry_points, 20)

    def test_spending_takes_the_oldest_lots_first(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.earn(card, 20, "2025-03-01")
        self.earn(card, 30, "2025-04-01")
        self.assertEqual(
            self.lots(card).mapped("expiry_date"),
            [date(2026, 1, 14), date(2026, 2, 28), date(2026, 3, 31)],
        )
        with freeze_time("2025-05-01"):
            card._care_debit_points(25, "Spent")
        self.assertRecordValues(
            self.lots(card),
            [
                {"points_left": 0, "state": "spent"},
                {"points_left": 5, "state": "open"},
                {"points_left": 30, "state": "open"},
            ],
        )
        self.assertEqual(card.points, 35)
        with self.assertRaises(UserError):
            card._care_debit_points(36, "Too much")
        self.assertEqual(card.points, 35)

    def test_spending_takes_the_first_to_expire_first(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")  # expires 2026-01-14
        self.points_program.care_points_validity_months = 6
        self.earn(card, 20, "2025-03-01")  # younger, but expires first: 2025-08-31
        self.points_program.care_points_validity_months = 0
        self.earn(card, 30, "2025-04-01")  # never expires: spent last
        with freeze_time("2025-05-01"):
            card._care_debit_points(25, "Spent")
        self.assertRecordValues(
            self.lots(card),
            [
                {"points_left": 5, "state": "open"},
                {"points_left": 0, "state": "spent"},
                {"points_left": 30, "state": "open"},
            ],
        )

    def test_expiry_at_the_boundary_day_with_history_line(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.earn(card, 20, "2025-06-01")
        self.assertFalse(self.expire("2026-01-14"), "still valid on its last day")
        self.assertEqual(card.points, 30)
        self.expire("2026-01-15")
        self.assertEqual(card.points, 20)
        first, second = self.lots(card)
        self.assertRecordValues(
            first, [{"state": "expired", "points_left": 0, "points_expired": 10}]
        )
        self.assertEqual(second.state, "open")
        history = card.history_ids.filtered(lambda h: h.description == "Points expired")
        self.assertRecordValues(history, [{"used": 10, "issued": 0}])
        self.assertEqual(first.expiry_history_id, history)

    def test_cron_twice_changes_nothing(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.expire("2026-02-01")
        histories = card.history_ids
        self.assertFalse(self.expire("2026-02-01"))
        self.assertFalse(self.expire("2026-03-01"))
        card.invalidate_recordset(["history_ids"])
        self.assertEqual(card.history_ids, histories)
        self.assertEqual(card.points, 0)

    def test_balance_never_negative(self):
        card = self.card()
        self.earn(card, 50, "2025-01-15")
        card.points = 20  # corrected by hand, outside the lots
        self.expire("2026-02-01")
        self.assertEqual(card.points, 0)
        history = card.history_ids.filtered(lambda h: h.description == "Points expired")
        self.assertEqual(history.used, 20)

    def test_cron_is_batched(self):
        cards = self.env["loyalty.card"]
        for index in range(3):
            partner = self.env["res.partner"].create({"name": f"Batch customer {index}"})
            cards |= self.card(partner)
            self.earn(cards[-1], 10, "2025-01-15")
        # limits lowered: one batch per call (a call stops when its time is up)
        with freeze_time("2026-02-01", tick=True), tiny_cron_limits():
            done = self.Lot._cron_expire_points(batch_size=2)
            self.assertEqual(len(done), 2)
            done |= self.Lot._cron_expire_points(batch_size=2)
            self.assertEqual(done, cards)
            self.assertFalse(self.Lot._cron_expire_points(batch_size=2))
        self.assertEqual(cards.mapped("points"), [0, 0, 0])

    def test_cron_query_count_does_not_grow_with_cards(self):
        def run(count):
            for index in range(count):
                partner = self.env["res.partner"].create({"name": f"Customer {count}-{index}"})
                self.earn(self.card(partner), 10, "2024-01-15")
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time("2025-06-01"):
                before = self.env.cr.sql_log_count
                self.Lot._cron_expire_points()
                self.env.flush_all()
                return self.env.cr.sql_log_count - before

        run(1)  # warm-up
        self.assertEqual(run(2), run(6))

    def test_reminder_sent_once_per_lot(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        Log = self.env["care.contact.log"]
        with freeze_time("2025-12-01"):  # 44 days before: too early
            self.Lot._cron_remind_points_expiry()
        self.assertFalse(Log.search([("kind", "=", "points_expiry")]))
        with freeze_time("2025-12-20"):
            self.Lot._cron_remind_points_expiry()
            self.Lot._cron_remind_points_expiry()
        logs = Log.search([("kind", "=", "points_expiry")])
        self.assertRecordValues(
            logs, [{"partner_id": self.customer.id, "state": "sent", "res_id": card.id}]
        )
        mails = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )
        self.assertEqual(len(mails), 1)
        self.assertIn("2026", mails.body_html)
        self.assertTrue(self.lots(card).reminder_sent)

    def test_reminder_respects_opt_out(self):
        self.customer.care_opt_out = True
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        with freeze_time("2025-12-20"):
            self.Lot._cron_remind_points_expiry()
        self.assertRecordValues(
            self.env["care.contact.log"].search([("kind", "=", "points_expiry")]),
            [{"state": "skipped", "skip_reason": "opt_out"}],
        )
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "loyalty.card"), ("res_id", "=", card.id)])
        )

    def test_order_earnings_and_spending_use_lots(self):
        card = self.card()
        self.earn(card, 150, "2025-01-15")
        order = self.confirm_order(reward_card=card)
        lots = self.lots(card)
        self.assertEqual(len(lots), 2)
        cost = order.order_line.filtered("is_reward_line").points_cost
        self.assertGreater(cost, 0)
        self.assertGreater(lots[1].points, 0, "the order's earning is a new lot")
        # spent first from the old lot, the rest from the points this order earns
        self.assertEqual(lots[0].points_left, max(0, 150 - cost))
        self.assertEqual(lots[1].points_left, lots[1].points - max(0, cost - 150))
        self.assertEqual(lots[1].history_id.order_id, order.id)
        self.assertAlmostEqual(card.points, sum(lots.mapped("points_left")))

    def test_cancelled_order_gives_its_points_back_in_a_lot(self):
        card = self.card()
        self.earn(card, 150, "2025-01-15")
        order = self.confirm_order(day="2025-03-01", reward_card=card)
        cost = order.order_line.filtered("is_reward_line").points_cost
        earned_lot = self.lots(card).filtered(lambda lot: lot.history_id.order_id == order.id)
        self.assertTrue(earned_lot)
        with freeze_time("2025-04-01"):
            order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertAlmostEqual(card.points, 150, msg="back to the balance before the order")
        self.assertFalse(earned_lot.exists(), "the points the order earned are taken back")
        open_lots = self.lots(card).filtered(lambda lot: lot.state == "open")
        self.assertAlmostEqual(sum(open_lots.mapped("points_left")), card.points)
        first_lot = self.lots(card)[0]
        given_back = open_lots.filtered(lambda lot: not lot.history_id)
        # what the order spent, less what it spent of its own earning
        self.assertAlmostEqual(given_back.points, min(cost, 150))
        self.assertAlmostEqual(first_lot.points_left, 150 - min(cost, 150))
        self.assertRecordValues(
            given_back, [{"date": date(2025, 4, 1), "expiry_date": date(2026, 3, 31)}]
        )
        # the next spending and the expiry see the same balance as the card
        with freeze_time("2025-05-01"):
            card._care_debit_points(150, "Spent")
        self.assertFalse(self.lots(card).filtered(lambda lot: lot.state == "open"))

    def test_cancelling_an_order_whose_points_were_spent_meanwhile(self):
        card = self.card()
        order = self.confirm_order(day="2025-03-01")
        self.earn(card, 30, "2025-03-10")
        with freeze_time("2025-03-20"):
            card._care_debit_points(60, "Spent")  # 60 of the order's 100 points
        self.assertEqual(card.points, 70)
        order.with_context(disable_cancel_warning=True).action_cancel()
        # sale_loyalty takes the 100 points back: 60 of them were already spent
        self.assertAlmostEqual(card.points, -30)
        self.assertFalse(self.lots(card).filtered(lambda lot: lot.state == "open"))

    def test_lots_follow_company_rules(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.assertTrue(self.Lot.with_user(self.agent).search([("card_id", "=", card.id)]))
        self.assertFalse(self.Lot.with_user(self.manager_b).search([("card_id", "=", card.id)]))


@tagged("post_install", "-at_install")
class TestPointsExpiryPortal(HttpCase, common.GestureCase):
    def test_portal_shows_the_next_expiry(self):
        self.points_program.write({"care_points_validity_months": 12, "portal_visible": True})
        portal = mail_new_test_user(
            self.env, login="care_portal_points", groups="base.group_portal"
        )
        card = self.company._care_points_card(portal.partner_id)
        card._care_credit_points(42, "Earned")
        expiry = self.env["loyalty.points.lot"].search([("card_id", "=", card.id)]).expiry_date
        self.authenticate("care_portal_points", "care_portal_points")
        page = self.url_open("/my/home").text
        self.assertIn("o_care_next_expiry", page)
        self.assertIn("42", page)
        self.assertIn(str(expiry.year), page)
        # another customer's page shows nothing of it
        other = mail_new_test_user(self.env, login="care_portal_other", groups="base.group_portal")
        self.assertTrue(other)
        self.authenticate("care_portal_other", "care_portal_other")
        self.assertNotIn("o_care_next_expiry", self.url_open("/my/home").text)
