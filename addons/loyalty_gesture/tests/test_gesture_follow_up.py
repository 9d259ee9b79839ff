from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestGestureFollowUp(common.GestureCase):
    def follow_up_activity(self, gesture):
        return gesture.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("loyalty_gesture.mail_activity_type_gesture_follow_up")
            )
        )

    def test_follow_up_activity_at_d_plus_n(self):
        self.company.care_follow_up_days = 10
        gesture = self.grant(self.type_coupon)
        activity = self.follow_up_activity(gesture)
        expected = fields.Date.context_today(gesture) + timedelta(days=10)
        self.assertRecordValues(activity, [{"date_deadline": expected, "user_id": self.agent.id}])
        self.assertEqual(gesture.follow_up_date, expected)

    def test_follow_up_delay_and_points_program_are_company_settings(self):
        settings = self.env["res.config.settings"].create(
            {"care_follow_up_days": 3, "care_points_program_id": self.points_program.id}
        )
        settings.execute()
        self.assertEqual(self.company.care_follow_up_days, 3)
        gesture = self.grant(self.type_letter)
        self.assertEqual(
            gesture.follow_up_date, fields.Date.context_today(gesture) + timedelta(days=3)
        )
        with self.assertRaises(ValidationError):
            self.company.care_follow_up_days = -1

    def test_marking_the_activity_done_sets_followed_up(self):
        gesture = self.grant(self.type_coupon)
        self.follow_up_activity(gesture).with_user(self.agent).action_feedback("Happy customer")
        self.assertEqual(gesture.state, "followed_up")
        with self.assertRaises(UserError):
            gesture.action_cancel()

    def test_follow_up_button(self):
        gesture = self.grant(self.type_letter)
        gesture.with_user(self.agent).action_follow_up()
        self.assertEqual(gesture.state, "followed_up")
        self.assertFalse(self.follow_up_activity(gesture))
        with self.assertRaises(UserError):
            gesture.action_follow_up()

    def test_results_revenue_after_and_coupon_use_in_fixed_queries(self):
        with freeze_time("2026-01-10"):
            gestures = self.grant(self.type_coupon) | self.grant(self.type_task)
        gestures.flush_recordset()
        for date, amount in (("2026-01-20", 100), ("2026-03-01", 50), ("2026-06-01", 999)):
            order = self.env["sale.order"].create(
                {
                    "partner_id": self.customer.id,
                    "date_order": date,
                    "order_line": [(0, 0, {"product_id": self.product.id, "price_unit": amount})],
                }
            )
            order.action_confirm()
            order.date_order = date
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=5):
            revenues = gestures.mapped("revenue_after")
            used = gestures.mapped("coupon_used")
        self.assertEqual(revenues, [150, 150], "orders in the 90 days after only")
        self.assertEqual(used, [False, False])

    def test_results_and_metrics_queries_do_not_grow_with_records(self):
        def count_queries(gestures, partners):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            gestures.mapped("revenue_after")
            gestures.mapped("coupon_used")
            partners._care_metrics()
            return self.cr.sql_log_count - before

        customers = self.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"c{i}@example.com"} for i in range(6)]
        )
        gestures = self.env["loyalty.gesture"]
        for customer in customers:
            gestures |= self.grant(self.type_coupon, partner_id=customer.id)
        gestures.flush_recordset()
        small = count_queries(gestures[:2], customers[:2])
        large = count_queries(gestures, customers)
        self.assertEqual(small, large, "set-based: same number of queries for 2 or 6")
