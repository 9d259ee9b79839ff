"""Issue #19, points 5, 6 and 8: what the customer gets, said in their words, in an email
without internal labels; the wizard says beforehand when a manager must approve."""

from odoo.tests import Form, tagged

from . import common


@tagged("post_install", "-at_install")
class TestCustomerTexts(common.GestureCase):
    def _mail_body(self, gesture):
        mails = self.env["mail.mail"].search(
            [("model", "=", "loyalty.gesture"), ("res_id", "=", gesture.id)]
        )
        self.assertTrue(mails, "the gesture email was queued")
        return mails[-1].body_html

    def test_points_say_their_worth_without_decimals(self):
        # 100 points = 10 in the test program (0.1 per point)
        gesture = (
            self.env["loyalty.gesture"]
            .with_context(lang="en_US")
            .new({"partner_id": self.customer.id, "type_id": self.type_points.id, "value": 12})
        )
        self.assertEqual(gesture.points, 120)
        self.assertIn("120 points, worth", gesture.customer_offer)
        self.assertRegex(gesture.customer_offer, r"12[.,]00")
        self.assertNotIn("120.0 ", gesture.customer_offer)

    def test_percentage_coupon_says_percent_and_cap(self):
        program = self.company._care_program("coupons")
        reward = program.reward_ids[:1]
        reward.write({"discount_mode": "percent", "discount": 10, "discount_max_amount": 15})
        gesture = (
            self.env["loyalty.gesture"]
            .with_context(lang="en_US")
            .new({"partner_id": self.customer.id, "type_id": self.type_coupon.id, "value": 15})
        )
        self.assertIn("10 % off your next order, up to", gesture.customer_offer)
        self.assertRegex(gesture.customer_offer, r"15[.,]00")

    def test_fixed_coupon_email_says_what_the_customer_gets(self):
        self.customer.lang = "en_US"
        gesture = self.grant(self.type_coupon, value=20)
        self.assertEqual(gesture.state, "done")
        body = self._mail_body(gesture)
        self.assertIn("coupon on your next order", body)
        self.assertIn(gesture.coupon_code, body)
        # no internal label from the mail layout ("Your Commercial gesture", its reference)
        self.assertNotIn("Your Commercial gesture", body)
        self.assertNotIn(gesture.name, body)
        self.assertIn(self.company.name, body)

    def test_wizard_says_beforehand_when_a_manager_approves(self):
        self.company.care_agent_gesture_limit = 50
        action = self.ticket.with_user(self.agent).action_grant_gesture()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.agent).with_context(**action["context"])
        )
        wizard.type_id = self.type_coupon
        wizard.value = 20
        self.assertIn("Within your limit", wizard.approval_html)
        wizard.value = 80
        self.assertIn("approves this gesture before the customer gets it", wizard.approval_html)
        gesture = self.env["loyalty.gesture"].browse(wizard.save().action_grant()["res_id"])
        self.assertEqual(gesture.state, "to_approve", "what the wizard said happens")
