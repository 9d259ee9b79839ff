"""Trust in every amount, win-back half (issue #17), as the real users would try it.

A campaign's offers reach customers only as gestures with the value the charter checks;
campaigns, members, KPI targets, scores and the lost-reason wizard accept only the
fields each role may set in each state (``care.field.policy``); nothing is read through
``sudo()`` that the user could not read. The last class goes through the real JSON-RPC
route of the web client.
"""

from datetime import timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests.common import AGENT
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from . import common


class TrustCase(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = mail_new_test_user(
            cls.env, login="wb_portal", groups="base.group_portal", company_id=cls.company.id
        )
        cls.agent_b = cls.care_user("wb_agent_b", AGENT, cls.company_b)
        cls.sleepers = cls._sleepers("Trust Sleeper {}", 6)
        cls.env["winback.customer.score"]._compute_company_scores(cls.company)
        # a generous agent limit: the test campaign's offers are granted at once
        cls.company.care_agent_gesture_limit = 50
        cls.campaign = (
            cls.env["winback.campaign"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Trust campaign",
                    "company_id": cls.company.id,
                    "holdout_percent": 0,
                    "gesture_type_id": cls.gesture_type.id,
                    "offer_value": 15,
                }
            )
        )

    def _start(self, campaign=None):
        campaign = campaign or self.campaign
        self._start_campaign(campaign.with_user(self.manager))
        return campaign


@tagged("post_install", "-at_install")
class TestCampaignAllowList(TrustCase):
    def test_draft_running_done(self):
        campaign = self.campaign.with_user(self.manager)
        # draft: the manager prepares everything, but not the workflow fields
        campaign.write({"name": "Trust spring", "budget": 500, "offer_value": 20})
        for forged in (
            {"state": "running"},
            {"date_start": fields.Datetime.now()},
            {"member_ids": [(0, 0, {"partner_id": self.sleepers[0].id})]},
        ):
            with self.subTest(forged=forged), self.assertRaises(UserError):
                campaign.write(forged)
        self.assertEqual(self.campaign.state, "draft")
        self._start()
        self.assertEqual(self.campaign.state, "running")
        # running: the steps ahead and the budget cap, nothing about who or what
        campaign.write({"budget": 800, "reminder_days": 5, "call_delay_days": 3})
        for frozen in (
            {"offer_value": 99},
            {"gesture_type_id": False},
            {"holdout_percent": 50},
            {"contact_cost": 0.5},
            {"segment_at_risk": True},
            {"partner_domain": "[]"},
            {"company_id": self.company.id},
            {"name": "Renamed"},
            {"state": "draft"},
        ):
            with self.subTest(frozen=frozen), self.assertRaises(UserError) as caught:
                campaign.write(frozen)
            self.assertIn("You cannot set", str(caught.exception))
        self.assertEqual(self.campaign.offer_value, 20)
        campaign.action_stop()
        # done: nothing
        for late in ({"budget": 1000}, {"reminder_days": 9}, {"user_id": self.manager.id}):
            with self.subTest(late=late), self.assertRaises(UserError):
                campaign.write(late)
        self.assertEqual(self.campaign.budget, 800)

    def test_create_is_a_draft(self):
        Campaign = self.env["winback.campaign"].with_user(self.manager)
        for forged in (
            {"state": "running"},
            {"date_start": fields.Datetime.now()},
            {"date_stop": fields.Datetime.now()},
        ):
            with self.subTest(forged=forged), self.assertRaises(UserError):
                Campaign.create(dict(forged, name="Forged"))
        copy = self.campaign.with_user(self.manager).copy()
        self.assertEqual(copy.state, "draft", "a copy is a new draft, allowed as such")

    def test_agents_outsiders_and_other_company(self):
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.agent).write({"budget": 1})
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.portal).read(["name"])
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.agent_b).read(["name"])
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.manager_b).write({"budget": 1})
        # a manager cannot move a campaign into a company they do not work in
        with self.assertRaises(UserError):
            self.campaign.with_user(self.manager).write({"company_id": self.company_b.id})
        with self.assertRaises(UserError):
            self.env["winback.campaign"].with_user(self.manager).create(
                {"name": "Elsewhere", "company_id": self.company_b.id}
            )
        self.assertEqual(self.campaign.company_id, self.company)


@tagged("post_install", "-at_install")
class TestCampaignOffers(TrustCase):
    def test_hostile_numbers(self):
        campaign = self.campaign.with_user(self.manager)
        for bad in (
            {"offer_value": -1},
            {"offer_value": 1e13},
            {"offer_value": 101},  # the type's maximum is 100
            {"reminder_offer_value": 150},
            {"reminder_offer_value": -5},
            {"budget": -1},
            {"budget": float("inf")},
            {"window_days": 10**6},
            {"call_delay_days": 2**31 - 1},
            {"relapse_days": 0},
        ):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                campaign.write(bad)
        campaign.write({"offer_value": 0})
        with self.assertRaises(UserError) as caught:
            campaign.action_start()
        self.assertIn("positive value", str(caught.exception))
        self.assertEqual(self.campaign.state, "draft")
        self.assertFalse(self.campaign.member_ids, "nothing half-done")

    def test_offer_is_the_checked_gesture_value(self):
        self._keep_sent_emails(self.campaign)
        self._start()
        contacted = self.campaign.member_ids.filtered(lambda m: m.state == "contacted")
        self.assertEqual(len(contacted), 6)
        gestures = contacted.gesture_id
        self.assertEqual(set(gestures.mapped("value")), {15.0})
        self.assertEqual(set(gestures.mapped("state")), {"done"})
        self.assertEqual(set(gestures.coupon_card_id.mapped("points")), {15.0})
        self.assertEqual(set(gestures.mapped("requested_by_id")), {self.manager})
        mail = self._sent_emails(contacted[0])
        self.assertIn("15", mail.body_html)

    def test_offer_waiting_for_approval_is_not_announced(self):
        """An offer above the agent limit waits for a manager: the email promises nothing."""
        self.company.care_agent_gesture_limit = 5
        self._keep_sent_emails(self.campaign)
        self._start()
        contacted = self.campaign.member_ids.filtered(lambda m: m.state == "contacted")
        self.assertEqual(set(contacted.gesture_id.mapped("state")), {"to_approve"})
        self.assertFalse(contacted.gesture_id.coupon_card_id, "no coupon before approval")
        mails = self._sent_emails(contacted)
        self.assertEqual(len(mails), 6, "the campaign email still goes")
        for mail in mails:
            self.assertNotIn("15,00", mail.body_html)
            self.assertNotIn("15.00", mail.body_html)

    def test_reminder_offer_through_the_pipeline(self):
        self.campaign.with_user(self.manager).write(
            {"reminder_days": 2, "reminder_offer_value": 30}
        )
        self._start()
        contacted = self.campaign.member_ids.filtered(lambda m: m.state == "contacted")
        contacted._write_step({"contact_date": fields.Datetime.now() - timedelta(days=3)})
        self.env["winback.campaign"]._cron_process_campaigns()
        reminders = contacted.reminder_gesture_id
        self.assertEqual(len(reminders), 6)
        self.assertEqual(set(reminders.mapped("value")), {30.0})
        self.assertEqual(set(reminders.coupon_card_id.mapped("points")), {30.0})
        # what the member records is derived: the manager cannot rewrite it
        with self.assertRaises(UserError):
            contacted[0].with_user(self.manager).write({"offer_cost": 0})

    def test_value_of_other_kinds_comes_from_the_type(self):
        letter = self.env["loyalty.gesture.type"].create(
            {
                "name": "Trust letter",
                "category": "attentive",
                "fulfilment": "letter",
                "default_value": 3,
            }
        )
        campaign = (
            self.env["winback.campaign"]
            .with_user(self.manager)
            .create({"name": "Letters", "gesture_type_id": letter.id, "holdout_percent": 0})
        )
        self.assertEqual(campaign.offer_value, 3, "the type's value, not a campaign's figure")
        for bad in ({"offer_value": 50}, {"reminder_offer_value": 10}):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                campaign.write(bad)
        self._start(campaign)
        gestures = campaign.member_ids.gesture_id
        self.assertTrue(gestures)
        self.assertEqual(set(gestures.mapped("value")), {3.0})

    def test_templates_and_responsible(self):
        campaign = self.campaign.with_user(self.manager)
        partner_template = self.env["mail.template"].create(
            {"name": "Any partner", "model_id": self.env["ir.model"]._get_id("res.partner")}
        )
        for bad in (
            {"email_template_id": partner_template.id},
            {"reminder_template_id": partner_template.id},
            {"user_id": self.portal.id},
            {"user_id": self.agent_b.id},
        ):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                campaign.write(bad)
        campaign.write({"user_id": self.agent.id})
        self.assertEqual(self.campaign.user_id, self.agent)


@tagged("post_install", "-at_install")
class TestMembersScoresTargets(TrustCase):
    def test_members_are_written_by_the_steps_only(self):
        self._start()
        member = self.campaign.member_ids[0]
        for forged in (
            {"state": "reactivated"},
            {"offer_cost": 0},
            {"gesture_id": False},
            {"revenue": 1e6},
            {"partner_id": self.sleepers[1].id},
        ):
            with self.subTest(forged=forged), self.assertRaises(UserError):
                member.with_user(self.manager).write(forged)
        with self.assertRaises(UserError):
            self.env["winback.campaign.member"].with_user(self.manager).create(
                {
                    "campaign_id": self.campaign.id,
                    "partner_id": self.env["res.partner"].create({"name": "Intruder"}).id,
                    "company_id": self.company.id,
                }
            )
        with self.assertRaises(AccessError):
            member.with_user(self.agent).write({"state": "reactivated"})
        # the chatter stays open: a note on the member
        member.with_user(self.agent).message_post(body="Called, no answer")
        # the agent's call is recorded through its button
        member.with_user(self.agent).action_mark_responded()
        self.assertEqual(member.state, "responded")

    def test_scores_are_server_only(self):
        score = self._score(self.sleepers[0])
        self.assertTrue(score)
        for user in (self.manager, self.agent):
            with (
                self.subTest(user=user.login),
                self.assertRaises(UserError),
            ):  # AccessError is a UserError
                score.with_user(user).write({"churn_risk": 0, "status": "active"})
        with self.assertRaises(UserError):
            self.scores.with_user(self.manager).create(
                {"partner_id": self.sleepers[0].id, "company_id": self.company_b.id}
            )
        self.assertNotEqual(score.status, "active")

    def test_kpi_targets(self):
        Target = self.env["care.kpi.target"].with_user(self.manager)
        target = Target.create({"kpi": "csat", "target": 80, "company_id": self.company.id})
        target.write({"target": 85})
        with self.assertRaises(UserError):
            target.write({"company_id": self.company_b.id})
        with self.assertRaises(AccessError):  # the company rule
            Target.create({"kpi": "nps", "target": 10, "company_id": self.company_b.id})
        with self.assertRaises(AccessError):
            target.with_user(self.agent).write({"target": 1})
        self.assertRecordValues(target, [{"target": 85, "company_id": self.company.id}])

    def test_lost_wizard(self):
        reason = self.env.ref("winback.lost_reason_price")
        Wizard = self.env["winback.lost.wizard"].with_user(self.agent)
        wizard = Wizard.create({"partner_id": self.sleepers[0].id, "reason_id": reason.id})
        with self.assertRaises(UserError):
            wizard.write({"partner_id": self.sleepers[1].id})
        wizard.action_confirm()
        self.assertEqual(self._score(self.sleepers[0]).lost_reason_id, reason)
        # a customer of another company the agent cannot read: refused, nothing posted
        foreign = self.env["res.partner"].create(
            {"name": "Foreign Felix", "company_id": self.company_b.id}
        )
        self.assertFalse(foreign.with_user(self.agent).has_access("read"))
        messages = len(foreign.message_ids)
        with self.assertRaises(UserError):
            Wizard.create({"partner_id": foreign.id, "reason_id": reason.id}).action_confirm()
        foreign.invalidate_recordset(["message_ids"])
        self.assertEqual(len(foreign.message_ids), messages)
        self.assertFalse(self._score(foreign))
        # a reason of another company
        reason_b = self.env["winback.lost.reason"].create(
            {"name": "Other company reason", "company_id": self.company_b.id}
        )
        with self.assertRaises(UserError):
            Wizard.create(
                {"partner_id": self.sleepers[1].id, "reason_id": reason_b.id}
            ).action_confirm()
        self.assertFalse(self._score(self.sleepers[1]).lost_reason_id)


@tagged("post_install", "-at_install")
class TestTrustRpc(HttpCase, TrustCase):
    """The same refusals through ``/web/dataset/call_kw``, as the web client sends them."""

    def call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def test_manager_through_rpc(self):
        self.authenticate("wb_manager", "wb_manager")
        self.call("winback.campaign", "write", [self.campaign.id], {"budget": 400})
        self.call("winback.campaign", "action_start", [self.campaign.id])
        self._run_campaign_job()
        self.campaign.invalidate_recordset()
        self.assertEqual(self.campaign.state, "running")
        with self.assertRaises(JsonRpcException) as caught:
            self.call("winback.campaign", "write", [self.campaign.id], {"offer_value": 99})
        self.assertIn("UserError", str(caught.exception))
        with self.assertRaises(JsonRpcException):
            self.call("winback.campaign", "write", [self.campaign.id], {"state": "draft"})
        member = self.campaign.member_ids[0]
        with self.assertRaises(JsonRpcException):
            self.call("winback.campaign.member", "write", [member.id], {"offer_cost": 0})
        with self.assertRaises(JsonRpcException):
            self.call(
                "winback.campaign",
                "web_save",
                [],
                {"name": "Forged", "state": "running", "date_start": "2020-01-01 00:00:00"},
                specification={"state": {}},
            )
        self.campaign.invalidate_recordset()
        member.invalidate_recordset()
        self.assertRecordValues(
            self.campaign, [{"state": "running", "offer_value": 15, "budget": 400}]
        )
        self.assertTrue(member.offer_cost > 0)
        self.assertFalse(self.env["winback.campaign"].search([("name", "=", "Forged")]))

    def test_agent_through_rpc(self):
        self._start()
        member = self.campaign.member_ids.filtered(lambda m: m.state == "contacted")[0]
        self.authenticate("wb_agent", "wb_agent")
        with self.assertRaises(JsonRpcException) as caught:
            self.call("winback.campaign.member", "write", [member.id], {"state": "reactivated"})
        self.assertIn("AccessError", str(caught.exception))
        with self.assertRaises(JsonRpcException):
            self.call("winback.campaign", "write", [self.campaign.id], {"budget": 1})
        self.call("winback.campaign.member", "action_mark_responded", [member.id])
        member.invalidate_recordset()
        self.assertEqual(member.state, "responded")
        self.assertEqual(self.campaign.budget, 0)
