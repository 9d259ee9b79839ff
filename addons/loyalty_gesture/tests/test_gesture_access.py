from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users

from . import common


@tagged("post_install", "-at_install")
class TestGestureAccess(common.CareCase):
    @users("care_agent")
    def test_agent_cannot_edit_catalog(self):
        types = self.env["loyalty.gesture.type"]
        self.assertTrue(
            types.search([("id", "=", self.gesture_type.id)]), "agents read the catalog"
        )
        with self.assertRaises(AccessError):
            types.create({"name": "Free upgrade", "category": "service"})
        with self.assertRaises(AccessError):
            types.browse(self.gesture_type.id).write({"max_value": 10000})

    @users("care_manager")
    def test_manager_edits_catalog(self):
        gesture_type = self.env["loyalty.gesture.type"].create(
            {"name": "Free upgrade", "category": "service", "max_value": 80}
        )
        self.assertEqual(gesture_type.max_value, 80)

    @users("care_plain_user")
    def test_user_without_care_rights_sees_no_gesture(self):
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture"].search([])

    def test_agent_within_limit_is_granted_at_once(self):
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create({"partner_id": self.customer.id, "type_id": self.gesture_type.id})
        )
        self.assertEqual(gesture.value, 20, "value prefilled from the type")
        gesture.action_submit()
        self.assertRecordValues(gesture, [{"state": "done", "approved_by_id": self.agent.id}])
        self.assertTrue(gesture.coupon_card_id, "approval fulfils the gesture at once")
        self.assertTrue(gesture.name.startswith("GES/"))

    def test_above_limit_waits_for_a_manager_who_is_not_the_requester(self):
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create({"partner_id": self.customer.id, "type_id": self.gesture_type.id, "value": 120})
        )
        gesture.action_submit()
        self.assertEqual(gesture.state, "to_approve")
        with self.assertRaises(AccessError):
            gesture.action_approve()
        own = (
            self.env["loyalty.gesture"]
            .with_user(self.manager)
            .create({"partner_id": self.customer.id, "type_id": self.gesture_type.id, "value": 120})
        )
        own.action_submit()
        with self.assertRaises(UserError):
            own.action_approve()
        gesture.with_user(self.manager).action_approve()
        self.assertRecordValues(gesture, [{"state": "done", "approved_by_id": self.manager.id}])

    def test_value_is_capped_by_type_and_never_negative(self):
        gestures = self.env["loyalty.gesture"].with_user(self.agent)
        with self.assertRaises(ValidationError):
            gestures.create(
                {"partner_id": self.customer.id, "type_id": self.gesture_type.id, "value": 201}
            )
        with self.assertRaises(ValidationError):
            self.gesture_type.default_value = 500

    def test_other_company_gesture_stays_hidden(self):
        type_b = self.env["loyalty.gesture.type"].create(
            {"name": "B coupon", "company_id": self.company_b.id}
        )
        gesture_b = (
            self.env["loyalty.gesture"]
            .with_user(self.manager_b)
            .with_company(self.company_b)
            .create({"partner_id": self.customer.id, "type_id": type_b.id})
        )
        as_manager_a = self.env["loyalty.gesture"].with_user(self.manager)
        self.assertFalse(as_manager_a.search([("id", "=", gesture_b.id)]))
        with self.assertRaises(AccessError):
            as_manager_a.browse(gesture_b.id).read(["value"])
        self.assertFalse(
            self.env["loyalty.gesture.type"]
            .with_user(self.manager)
            .search([("id", "=", type_b.id)])
        )

    def test_contact_policy_caps_and_logs_why(self):
        self.company.write({"care_contact_max": 2, "care_contact_window_days": 30})
        logs = self.env["care.contact.log"]
        self.assertTrue(logs._log_contact(self.customer, "gesture"))
        self.assertTrue(logs._log_contact(self.customer, "gesture"))
        self.assertFalse(logs._log_contact(self.customer, "gesture"), "third message throttled")
        last = logs.search([("partner_id", "=", self.customer.id)], limit=1)
        self.assertRecordValues(last, [{"state": "skipped", "skip_reason": "throttled"}])
        self.customer.care_opt_out = True
        self.assertEqual(logs._contact_refusal(self.customer), "opt_out")
        nomail = self.env["res.partner"].create({"name": "No Mail"})
        self.assertEqual(logs._contact_refusal(nomail), "no_email")
