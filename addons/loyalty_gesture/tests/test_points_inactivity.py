from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from . import points_common


@tagged("post_install", "-at_install")
class TestPointsInactivity(points_common.PointsLotCase):
    """Points expiring N months after the customer's last order."""

    expiry_mode = "inactivity"

    def test_expiry_moves_with_each_order_and_expires_at_the_boundary(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.assertEqual(self.lots(card).expiry_date, date(2026, 1, 14))
        self.confirm_order(self.customer, "2025-06-10")
        lots = self.lots(card)
        self.assertEqual(len(lots), 2, "the order earned a lot of its own")
        self.assertEqual(lots.mapped("expiry_date"), [date(2026, 6, 9)] * 2)
        self.assertEqual(card.points, 110)
        self.assertFalse(self.expire("2026-06-09"), "still valid on the last day")
        self.assertEqual(card.points, 110)
        self.assertIn(card, self.expire("2026-06-10"))
        self.assertEqual(card.points, 0)
        self.assertEqual(lots.mapped("state"), ["expired", "expired"])
        history = card.history_ids.filtered(lambda h: h.description == "Points expired")
        self.assertRecordValues(history, [{"used": 110, "issued": 0}])
        self.assertEqual(lots.expiry_history_id, history)
        self.assertFalse(self.expire("2026-07-01"), "a second run changes nothing")

    def test_only_the_customers_own_orders_count(self):
        company = self.env["res.partner"].create({"name": "Martin & Fils", "is_company": True})
        colleague = self.env["res.partner"].create(
            {"name": "Julie Martin", "parent_id": company.id, "email": "julie@example.com"}
        )
        card = self.card(colleague)
        self.assertEqual(card.partner_id, company)
        self.earn(card, 10, "2025-01-15")
        self.confirm_order(self.customer, "2025-06-10")
        self.assertEqual(self.lots(card).expiry_date, date(2026, 1, 14))
        self.confirm_order(colleague, "2025-07-20")
        self.assertEqual(self.lots(card).expiry_date, date(2026, 7, 19))

    def test_fixed_validity_is_not_moved_by_orders(self):
        self.points_program.care_points_expiry_mode = "earning"
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.confirm_order(self.customer, "2025-06-10")
        self.assertEqual(
            self.lots(card).mapped("expiry_date"), [date(2026, 1, 14), date(2026, 6, 9)]
        )
        # switching the program to "after the last order": the cron computes it from orders
        self.points_program.care_points_expiry_mode = "inactivity"
        self.expire("2026-01-20")
        self.assertEqual(self.lots(card).mapped("expiry_date"), [date(2026, 6, 9)] * 2)
        self.assertEqual(card.points, 110)

    def test_points_never_expire_sooner_than_after_their_earning(self):
        card = self.card()
        self.confirm_order(self.customer, "2024-01-10")
        self.earn(card, 10, "2025-03-01")  # a gesture long after the last order
        self.assertEqual(
            self.lots(card).mapped("expiry_date"), [date(2025, 1, 9), date(2026, 2, 28)]
        )
        self.expire("2025-03-02")
        self.assertEqual(card.points, 10)

    def test_reminded_again_when_an_order_pushes_the_expiry_back(self):
        card = self.card()
        self.earn(card, 10, "2025-01-15")
        self.remind("2025-12-20")
        self.assertTrue(self.lots(card).reminder_sent)
        self.confirm_order(self.customer, "2025-12-28")
        lots = self.lots(card)
        self.assertEqual(lots.mapped("expiry_date"), [date(2026, 12, 27)] * 2)
        self.assertEqual(lots.mapped("reminder_sent"), [False, False])
        self.assertFalse(self.remind("2026-01-20"), "the new expiry is far away")
        self.remind("2026-12-01")
        self.remind("2026-12-02")
        mails = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )
        self.assertEqual(len(mails), 2, "one reminder for each expiry date")

    def test_cron_query_count_does_not_grow_with_customers(self):
        def run(count):
            for index in range(count):
                partner = self.env["res.partner"].create({"name": f"Customer {count}-{index}"})
                self.earn(self.card(partner), 10, "2024-01-15")
                self.confirm_order(partner, "2024-03-01")
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time("2024-06-01"):
                before = self.env.cr.sql_log_count
                self.Lot._cron_expire_points()
                self.Lot._cron_remind_points_expiry()
                self.env.flush_all()
                return self.env.cr.sql_log_count - before

        run(1)  # warm-up
        self.assertEqual(run(2), run(5))
