from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged, users

from . import common

SEED_EXAMPLES = {
    "gesture_type_discount": ("financial", "coupon"),
    "gesture_type_apology_coupon": ("financial", "coupon"),
    "gesture_type_partial_refund": ("financial", "refund"),
    "gesture_type_free_delivery": ("service", "free_delivery"),
    "gesture_type_extended_warranty": ("service", "service_task"),
    "gesture_type_personal_assistance": ("service", "service_task"),
    "gesture_type_training": ("service", "service_task"),
    "gesture_type_free_installation": ("service", "service_task"),
    "gesture_type_personal_gift": ("attentive", "gift"),
    "gesture_type_handwritten_thanks": ("attentive", "letter"),
    "gesture_type_event_invitation": ("attentive", "service_task"),
    "gesture_type_compensation": ("repair", "points"),
    "gesture_type_free_upgrade": ("repair", "gift"),
    "gesture_type_formal_apology": ("repair", "letter"),
}


@tagged("post_install", "-at_install")
class TestGestureCatalog(common.GestureCase):
    def test_demo_catalog_covers_the_seed(self):
        for xmlid, (category, fulfilment) in SEED_EXAMPLES.items():
            with self.subTest(xmlid=xmlid):
                gesture_type = self.env.ref(f"loyalty_gesture.{xmlid}")
                self.assertRecordValues(
                    gesture_type, [{"category": category, "fulfilment": fulfilment}]
                )
                self.assertTrue(gesture_type.purpose_ids, "every demo type has a purpose")
                self.assertTrue(gesture_type.channel_ids)
                self.assertTrue(gesture_type.expected_impact)
        purposes = self.env["loyalty.gesture.purpose"].search([])
        self.assertGreaterEqual(len(purposes), 5)

    def test_demo_gestures_tell_a_story(self):
        def demo(name):
            return self.env.ref(f"loyalty_gesture.gesture_demo_{name}")

        self.assertEqual(demo("lost_parcel").state, "followed_up")
        self.assertEqual(
            demo("lost_parcel").coupon_card_id.program_id.reward_ids.reward_type, "shipping"
        )
        self.assertTrue(demo("damaged").coupon_card_id.code)
        self.assertEqual(demo("quality").state, "to_approve", "above the agent's limit")
        self.assertTrue(demo("missing").task_activity_id)
        self.assertEqual(demo("gift").gift_order_id.amount_total, 0)
        self.assertEqual(demo("draft").state, "draft")

    def test_phone_script_is_rendered_for_the_customer(self):
        self.type_coupon.phone_script = "Hello {customer}, {agent} offers you {value}."
        script = self.type_coupon._render_phone_script(
            self.customer, self.agent, 20, self.company.currency_id
        )
        self.assertIn("Claire Martin", script)
        self.assertIn(self.agent.name, script)
        self.assertRegex(script, r"20[.,]00", "the value in the company currency")
        with self.assertRaises(ValidationError):
            self.type_coupon.phone_script = "Hello {unknown_placeholder}"

    def test_bad_catalog_values_are_refused(self):
        with self.assertRaises(ValidationError):
            self.env["loyalty.gesture.type"].create(
                {"name": "Gift without product", "fulfilment": "gift", "category": "attentive"}
            )
        with self.assertRaises(ValidationError):
            self.type_coupon.write({"default_value": 300, "max_value": 200})

    @users("care_agent")
    def test_agent_cannot_edit_purposes_or_channels(self):
        purpose = self.env.ref("loyalty_gesture.purpose_retention").with_env(self.env)
        self.assertTrue(purpose.name)
        with self.assertRaises(AccessError):
            purpose.name = "Hacked"
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.channel"].create({"name": "Carrier pigeon"})

    @users("care_manager")
    def test_manager_keeps_purposes_and_channels(self):
        channel = self.env["loyalty.gesture.channel"].create({"name": "Carrier pigeon"})
        gesture_type = self.env["loyalty.gesture.type"].create(
            {
                "name": "Pigeon coupon",
                "channel_ids": [(6, 0, channel.ids)],
                "purpose_ids": [(6, 0, self.env.ref("loyalty_gesture.purpose_retention").ids)],
            }
        )
        self.assertEqual(gesture_type.channel_ids, channel)

    def test_channel_must_be_allowed_by_the_type(self):
        self.type_coupon.channel_ids = self.email_channel
        with self.assertRaises(ValidationError):
            self.env["loyalty.gesture"].create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_coupon.id,
                    "channel_id": self.phone_channel.id,
                }
            )
