from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged, users

from . import common


@tagged("post_install", "-at_install")
class TestAccess(common.SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.request_a = cls.env["satisfaction.request"].create(
            {"partner_id": cls.customer.id, "survey_id": cls.nps.id}
        )
        cls.request_b = cls.env["satisfaction.request"].create(
            {
                "partner_id": cls.customer_2.id,
                "survey_id": cls.nps.id,
                "company_id": cls.company_b.id,
            }
        )

    @users("ss_agent")
    def test_agent_reads_but_does_not_create_or_delete(self):
        requests = self.env["satisfaction.request"]
        found = requests.search([("id", "in", (self.request_a | self.request_b).ids)])
        self.assertEqual(found, self.request_a, "own company only")
        self.assertEqual(found.survey_id.title, self.nps.title)
        with self.assertRaises(AccessError):
            requests.create({"partner_id": self.customer.id, "survey_id": self.nps.id})
        with self.assertRaises(AccessError):
            found.unlink()
        self.env["satisfaction.report"].search([])
        with self.assertRaises(AccessError):
            self.env["survey.survey"].browse(self.nps.id).write({"title": "Hacked"})

    def test_nobody_forges_an_answer_or_a_sending(self):
        for user in (self.agent, self.manager):
            request = self.request_a.with_user(user)
            for vals in (
                {"score": 10},
                {"state": "answered"},
                {"access_token": "11111111-1111-4111-8111-111111111111"},
                {"loop_state": "closed"},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(UserError):
                    request.write(vals)
        with self.assertRaises(UserError):
            self.env["satisfaction.request"].with_user(self.manager).create(
                {"partner_id": self.customer.id, "survey_id": self.nps.id, "state": "answered"}
            )
        self.assertRecordValues(self.request_a, [{"state": "pending", "score": 0}])
        # Rescheduling or reassigning stays possible.
        self.request_a.with_user(self.agent).user_id = self.manager

    @users("ss_manager")
    def test_manager_manages_requests_and_edits_surveys(self):
        request = self.env["satisfaction.request"].create(
            {"partner_id": self.customer.id, "survey_id": self.csat.id}
        )
        survey = self.env["survey.survey"].browse(self.csat.id)
        survey.write({"title": "How happy are you?"})
        self.assertEqual(survey.title, "How happy are you?")
        request.unlink()

    @users("ss_manager_b")
    def test_other_company_sees_nothing_of_company_a(self):
        requests = self.env["satisfaction.request"]
        self.assertEqual(
            requests.search([("id", "in", (self.request_a | self.request_b).ids)]), self.request_b
        )
        with self.assertRaises(AccessError):
            requests.browse(self.request_a.id).read(["score"])

    @users("ss_portal")
    def test_portal_user_sees_no_request(self):
        with self.assertRaises(AccessError):
            self.env["satisfaction.request"].search([])
        with self.assertRaises(AccessError):
            self.env["satisfaction.report"].search([])

    @users("ss_plain_user")
    def test_employee_without_care_rights_sees_no_request(self):
        with self.assertRaises(AccessError):
            self.env["satisfaction.request"].browse(self.request_a.id).read(["score"])
