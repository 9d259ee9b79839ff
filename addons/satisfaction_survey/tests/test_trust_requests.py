"""Issue #17 on satisfaction requests: an allow-list per role and state, references
frozen, the source checked against a fixed list, its name shown only to who may read it."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users

from . import common


@tagged("post_install", "-at_install")
class TestRequestAllowList(common.SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_b = cls.env["helpdesk.ticket.team"].create(
            {"name": "Team B", "company_id": cls.company_b.id}
        )
        cls.ticket_b = cls.env["helpdesk.ticket"].create(
            {
                "name": "Confidential claim of company B",
                "description": "<p>Secret.</p>",
                "partner_id": cls.customer_2.id,
                "team_id": cls.team_b.id,
                "company_id": cls.company_b.id,
            }
        )

    def _request(self, state="pending"):
        return self.make_request(state=state)

    def test_agent_and_manager_set_only_the_owner_and_pending_date(self):
        pending = self._request("pending")
        sent = self.make_request(partner=self.customer_2, state="sent")
        for user in (self.agent, self.manager):
            with self.subTest(user=user.login):
                pending.with_user(user).write({"user_id": user.id})
                pending.with_user(user).write({"scheduled_date": "2030-01-01 08:00:00"})
                sent.with_user(user).write({"user_id": user.id})
                self.assertEqual(sent.user_id, user)
                with self.assertRaisesRegex(UserError, "only while pending"):
                    sent.with_user(user).write({"scheduled_date": "2030-01-01 08:00:00"})
                for vals in (
                    {"partner_id": self.customer_2.id},
                    {"survey_id": self.csat.id},
                    {"company_id": self.company_b.id},
                    {"res_model": "helpdesk.ticket"},
                    {"res_id": self.ticket_b.id},
                    {"ticket_id": self.ticket_b.id},
                    {"access_token": "11111111-1111-4111-8111-111111111111"},
                ):
                    with (
                        self.subTest(vals=vals),
                        self.assertRaisesRegex(UserError, "cannot change"),
                    ):
                        pending.with_user(user).write(vals)
                for vals in (
                    {"score": 0},
                    {"state": "answered"},
                    {"comment": "Forged"},
                    {"answer_change_count": -5},
                    {"kind": "csat"},
                    {"trigger": "ticket"},
                    {"loop_state": "closed"},
                    {"gesture_id": False},
                    {"sent_date": "2030-01-01 08:00:00"},
                    {"expiry_date": "2099-01-01 08:00:00"},
                    {"user_input_id": False},
                ):
                    with self.subTest(vals=vals), self.assertRaisesRegex(UserError, "set by the"):
                        sent.with_user(user).write(vals)
        self.assertRecordValues(
            sent | pending,
            [
                {"state": "sent", "score": 0, "partner_id": self.customer_2.id},
                {"state": "pending", "score": 0, "partner_id": self.customer.id},
            ],
        )

    def test_chatter_and_followers_stay_open_to_agents(self):
        request = self._request("sent")
        request.with_user(self.agent).message_post(body="Called back, left a message.")
        request.with_user(self.agent).message_subscribe(partner_ids=self.agent.partner_id.ids)
        self.assertIn(self.agent.partner_id, request.message_partner_ids)

    def test_manager_creates_with_allowed_fields_only(self):
        requests = self.env["satisfaction.request"].with_user(self.manager)
        request = requests.create(
            {
                "partner_id": self.customer.id,
                "survey_id": self.nps.id,
                "scheduled_date": "2030-01-01 08:00:00",
                "user_id": self.agent.id,
            }
        )
        self.assertRecordValues(request, [{"kind": "nps", "state": "pending"}])
        # the kind follows the survey: an NPS survey cannot be asked as a CSAT
        with self.assertRaisesRegex(UserError, "set by the survey"):
            requests.create(
                {"partner_id": self.customer.id, "survey_id": self.nps.id, "kind": "csat"}
            )
        with self.assertRaisesRegex(UserError, "set by the survey"):
            requests.create(
                {"partner_id": self.customer.id, "survey_id": self.nps.id, "state": "answered"}
            )
        # the form still works: kind is computed, not sent
        form = Form(requests)
        form.partner_id = self.customer_2
        form.survey_id = self.csat
        self.assertEqual(form.save().kind, "csat")

    def test_source_model_is_checked_against_a_fixed_list(self):
        requests = self.env["satisfaction.request"]
        for model in ("res.users", "ir.config_parameter", "crm.lead", "account.move", "x"):
            vals = {
                "partner_id": self.customer.id,
                "survey_id": self.nps.id,
                "res_model": model,
                "res_id": 1,
            }
            with self.subTest(model=model):
                with self.assertRaisesRegex(ValidationError, "cannot be about a record"):
                    requests.with_user(self.manager).create(vals)
                # even the server code may not point a request anywhere else
                with self.assertRaisesRegex(ValidationError, "cannot be about a record"):
                    requests.create(vals)
        request = self._request()
        with self.assertRaisesRegex(ValidationError, "cannot be about a record"):
            request.write({"res_model": "res.users", "res_id": 1})

    def test_manager_source_must_be_readable_and_of_the_company(self):
        requests = self.env["satisfaction.request"].with_user(self.manager)
        base = {"partner_id": self.customer.id, "survey_id": self.csat.id}
        with self.assertRaisesRegex(UserError, "record you can open"):
            requests.create(dict(base, res_model="helpdesk.ticket", res_id=self.ticket_b.id))
        with self.assertRaisesRegex(UserError, "record you can open"):
            requests.create(dict(base, res_model="helpdesk.ticket", res_id=99999999))
        ticket = self.make_ticket()
        request = requests.create(dict(base, res_model="helpdesk.ticket", res_id=ticket.id))
        self.assertRecordValues(
            request, [{"ticket_id": ticket.id, "source_name": ticket.display_name}]
        )

    def test_source_name_of_another_company_is_restricted(self):
        # Issue #17: a request pointing at another company's ticket (forged before the
        # allow-list, or any source the user may not read) no longer leaks its name.
        request = self._request("sent")
        request.sudo().write({"res_model": "helpdesk.ticket", "res_id": self.ticket_b.id})
        self.env.invalidate_all()
        as_agent = request.with_user(self.agent)
        with self.assertRaises(AccessError):
            self.ticket_b.with_user(self.agent).read(["name"])
        self.assertNotEqual(as_agent.source_name, self.ticket_b.name)
        self.assertEqual(as_agent.with_context(lang="en_US").source_name, "Restricted")
        self.assertNotIn(self.ticket_b.name, str(as_agent.read(["source_name"])))
        with self.assertRaisesRegex(UserError, "not allowed to open"):
            as_agent.action_open_source()
        # who may read the ticket sees its name
        self.assertEqual(request.source_name, self.ticket_b.display_name)
        own = self._request("sent")
        ticket = self.make_ticket()
        own.sudo().write({"res_model": "helpdesk.ticket", "res_id": ticket.id})
        self.assertEqual(own.with_user(self.agent).source_name, ticket.display_name)
        self.assertEqual(own.with_user(self.agent).action_open_source()["res_id"], ticket.id)

    @users("ss_agent_b")
    def test_agent_of_another_company_writes_nothing_here(self):
        request = (
            self.env["satisfaction.request"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "survey_id": self.nps.id,
                    "company_id": self.company.id,
                }
            )
        )
        with self.assertRaises(AccessError):
            request.with_env(self.env).write({"user_id": self.env.uid})
        with self.assertRaises(AccessError):
            request.with_env(self.env).read(["source_name"])

    def test_partner_figures_follow_the_users_companies(self):
        request = self.make_request(partner=self.customer)
        request._record_answer(3)
        self.env.invalidate_all()
        as_agent = self.customer.with_user(self.agent)
        self.assertEqual(
            (as_agent.satisfaction_last_nps, as_agent.satisfaction_request_count), (3, 1)
        )
        as_agent_b = self.customer.with_user(self.agent_b)
        self.assertEqual(
            (as_agent_b.satisfaction_last_nps, as_agent_b.satisfaction_request_count), (0, 0)
        )
        self.assertFalse(as_agent_b.satisfaction_last_nps_category)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.plain_user).read(["satisfaction_last_nps"])
