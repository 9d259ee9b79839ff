from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users

from . import common


@tagged("post_install", "-at_install")
class TestGrantWizard(common.GestureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.type_coupon.phone_script = "Hello {customer}, I am {agent}: here is {value}."
        cls.points_card(120)
        cls.old_gesture = cls.env["loyalty.gesture"].create(
            {"partner_id": cls.customer.id, "type_id": cls.type_letter.id}
        )
        cls.old_gesture.with_user(cls.agent).action_submit()

    def open_wizard(self, ticket=None):
        action = (ticket or self.ticket).with_user(self.env.user).action_grant_gesture()
        self.assertEqual(action["res_model"], "loyalty.gesture.grant.wizard")
        return Form(self.env[action["res_model"]].with_context(**action["context"]))

    @users("care_agent")
    def test_agent_grants_a_coupon_from_a_ticket(self):
        wizard = self.open_wizard()
        # prefilled from the ticket
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.severity, "critical", "very high priority")
        self.assertEqual(wizard.channel_id, self.phone_channel, "phone ticket, phone gesture")
        self.assertEqual(wizard.reason, "Broken espresso machine")
        # the customer at a glance
        self.assertEqual(wizard.points_balance, 120)
        self.assertEqual(wizard.gesture_count_12m, 1)
        self.assertIn(self.old_gesture.id, wizard.past_gesture_ids.ids)
        # the gesture, its email and phone script for this customer
        wizard.type_id = self.type_coupon.with_env(self.env)
        self.assertEqual(wizard.value, 20)
        self.assertIn("Hello Claire Martin, I am", wizard.phone_script)
        self.assertIn("Claire Martin", wizard.email_preview)
        # what the customer gets, in the customer's language (the chain's customers speak French)
        self.assertRegex(
            wizard.email_preview,
            r"coupon on your next order|bon de .* sur votre prochaine commande",
        )
        wizard.value = 25
        action = wizard.save().action_grant()
        gesture = self.env["loyalty.gesture"].browse(action["res_id"])
        self.assertRecordValues(
            gesture,
            [
                {
                    "ticket_id": self.ticket.id,
                    "partner_id": self.customer.id,
                    "value": 25,
                    "severity": "critical",
                    "channel_id": self.phone_channel.id,
                    "state": "done",
                    "requested_by_id": self.agent.id,
                }
            ],
        )
        self.assertTrue(gesture.coupon_card_id)
        self.assertEqual(self.ticket.with_env(self.env).gesture_count, 1)

    @users("care_agent")
    def test_ranked_types_default_to_the_company_catalog(self):
        wizard = self.open_wizard()
        ranked = wizard.save()._get_ranked_gesture_types()
        self.assertIn(self.type_coupon, ranked)
        self.assertEqual(ranked, ranked.sorted(lambda t: (t.sequence, t.id)))
        type_b = (
            self.env["loyalty.gesture.type"]
            .sudo()
            .create({"name": "B only", "company_id": self.company_b.id})
        )
        self.assertNotIn(type_b, ranked)

    @users("care_agent")
    def test_severity_speaks_the_agent_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        wizard = self.env["loyalty.gesture.grant.wizard"].with_context(lang="fr_FR")
        labels = dict(wizard.fields_get(["severity"])["severity"]["selection"])
        gesture = self.env["loyalty.gesture"].with_context(lang="fr_FR")
        self.assertEqual(labels, dict(gesture.fields_get(["severity"])["severity"]["selection"]))
        self.assertEqual(labels["critical"], "Critique")

    def test_value_above_maximum_is_refused(self):
        wizard = self.open_wizard()
        wizard.type_id = self.type_coupon.with_env(self.env)
        wizard.value = 5000
        with self.assertRaises(ValidationError):  # nothing is created
            wizard.save().action_grant()
        self.assertFalse(self.env["loyalty.gesture"].search([("ticket_id", "=", self.ticket.id)]))

    def test_ticket_without_customer(self):
        ticket = self.env["helpdesk.ticket"].create({"name": "Anonymous", "description": "?"})
        with self.assertRaises(UserError):
            ticket.with_user(self.agent).action_grant_gesture()

    def test_foreign_company_ticket_is_out_of_reach(self):
        ticket_b = self.env["helpdesk.ticket"].create(
            {
                "name": "B ticket",
                "description": "B",
                "company_id": self.company_b.id,
                "partner_id": self.customer.id,
            }
        )
        with self.assertRaises(AccessError):
            ticket_b.with_user(self.agent).action_grant_gesture()

    def test_plain_user_cannot_use_the_wizard(self):
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.grant.wizard"].with_user(self.internal_user).create(
                {"partner_id": self.customer.id, "type_id": self.type_coupon.id}
            )
