"""Issue #19, points 3, 4, 5 and 12: who follows an unhappy answer up, in which language,
and the repair gesture granted through the grant wizard."""

from odoo.addons.loyalty_gesture.tests.common import load_migration
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import Form, tagged

from . import common


@tagged("post_install", "-at_install")
class TestFollowUpOwner(common.SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = mail_new_test_user(
            cls.env,
            login="ss_team_leader",
            groups="loyalty_gesture.group_care_agent",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.team.user_id = cls.leader
        cls.followup_type = cls.env.ref(
            "satisfaction_survey.mail_activity_type_satisfaction_followup"
        )

    def _followup(self, request):
        return request.activity_ids.filtered(lambda a: a.activity_type_id == self.followup_type)

    def test_the_ticket_agent_owns_the_follow_up(self):
        request = self.make_request(ticket_id=self.make_ticket(user=self.agent).id)
        request._record_answer(2)
        self.assertEqual(request.user_id, self.agent)
        self.assertEqual(self._followup(request).user_id, self.agent)

    def test_unassigned_ticket_goes_to_the_team_leader(self):
        ticket = self.make_ticket()
        ticket.user_id = False
        request = self.make_request(ticket_id=ticket.id)
        self.assertEqual(request.user_id, self.leader)
        request._record_answer(0)
        self.assertEqual(self._followup(request).user_id, self.leader)

    def test_no_agent_no_leader_no_salesperson_goes_to_a_care_manager(self):
        self.assertFalse(self.customer.user_id)
        request = self.make_request()
        owner = request.user_id
        self.assertTrue(owner.has_group("loyalty_gesture.group_care_manager"))
        self.assertIn(self.company, owner.company_ids)
        self.assertNotEqual(owner, self.env.ref("base.user_admin"), "not the administrator")
        request._record_answer(1)
        self.assertEqual(self._followup(request).user_id, owner)

    def test_migration_gives_every_request_an_owner(self):
        request = self.make_request()
        request._record_answer(1)
        admin = self.env.ref("base.user_admin")
        # as before the fix: no owner, the activity with the administrator
        self.env.cr.execute(
            "UPDATE satisfaction_request SET user_id = NULL WHERE id = %s", [request.id]
        )
        self._followup(request).user_id = admin
        request.invalidate_recordset(["user_id"])
        post_owner = load_migration("satisfaction_survey", "18.0.1.1.0", "post-owner")
        post_owner.migrate(self.env.cr, "18.0.1.0.0")
        request.invalidate_recordset(["user_id"])
        owner = request.user_id
        self.assertTrue(owner.has_group("loyalty_gesture.group_care_manager"))
        self.assertNotEqual(owner, admin)
        self.assertEqual(self._followup(request).user_id, owner)
        post_owner.migrate(self.env.cr, "18.0.1.0.0")  # idempotent
        self.assertEqual(self._followup(request).user_id, owner)

    def test_the_follow_up_speaks_the_owner_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.agent.lang = "fr_FR"
        request = self.make_request(ticket_id=self.make_ticket(user=self.agent).id)
        request.with_context(lang="en_US")._record_answer(1)
        activity = self._followup(request)
        self.assertEqual(activity.summary, "Client insatisfait : boucler la boucle")
        self.assertIn("Rappelez", str(activity.note))

    def test_creation_message_is_one_sentence_of_one_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        request = self.make_request(state="pending")
        self.assertEqual(
            request.with_context(lang="fr_FR")._creation_message(), "Demande d'enquête créée"
        )
        self.assertEqual(
            request.with_context(lang="en_US")._creation_message(), "Survey request created"
        )


@tagged("post_install", "-at_install")
class TestRepairGestureWizard(common.SatisfactionCase):
    def test_repair_gesture_opens_the_grant_wizard(self):
        ticket = self.make_ticket(user=self.agent)
        request = self.make_request(ticket_id=ticket.id)
        request._record_answer(0, "Broken twice.")
        action = request.with_user(self.agent).action_grant_repair_gesture()
        self.assertEqual(action["res_model"], "loyalty.gesture.grant.wizard")
        self.assertEqual(action["target"], "new")
        self.assertFalse(self.env["loyalty.gesture"].search([("ticket_id", "=", ticket.id)]))
        wizard = Form(
            self.env["loyalty.gesture.grant.wizard"]
            .with_user(self.agent)
            .with_context(**action["context"])
        )
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.type_id, self.repair_type)
        self.assertIn("Broken twice.", wizard.reason)
        # the customer at a glance, from the metrics registry: last NPS and detractor
        self.assertIn("0", wizard.customer_summary_html)
        self.assertIn("Detractor", wizard.customer_summary_html)
        # said before granting: within the agent's limit
        self.assertIn("Within your limit", wizard.approval_html)
        gesture = self.env["loyalty.gesture"].browse(wizard.save().action_grant()["res_id"])
        self.assertRecordValues(
            gesture,
            [{"partner_id": self.customer.id, "type_id": self.repair_type.id}],
        )
        self.assertEqual(request.gesture_id, gesture)
        # the second click opens that gesture
        again = request.with_user(self.agent).action_grant_repair_gesture()
        self.assertEqual((again["res_model"], again["res_id"]), ("loyalty.gesture", gesture.id))

    def test_wizard_warns_before_granting_above_the_limit(self):
        self.company.care_agent_gesture_limit = 10
        request = self.make_request()
        request._record_answer(1)
        action = request.with_user(self.agent).action_grant_repair_gesture()
        wizard = Form(
            self.env["loyalty.gesture.grant.wizard"]
            .with_user(self.agent)
            .with_context(**action["context"])
        )
        wizard.value = 15
        self.assertIn("Customer Care manager approves", wizard.approval_html)
        wizard.value = 5
        self.assertIn("Within your limit", wizard.approval_html)
