"""Issue #17 on survey answers: Care users see the answers of the suite's satisfaction
surveys in their companies only; Odoo's Survey groups keep their own rights."""

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import AccessError
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestSurveyAnswerRules(common.SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_survey = cls.env["survey.survey"].create(
            {
                "title": "Recruitment interview",
                "question_and_page_ids": [
                    (0, 0, {"title": "Expected salary?", "question_type": "char_box"})
                ],
            }
        )
        cls.other_input = cls.other_survey._create_answer(
            partner=cls.customer, check_attempts=False
        )
        cls.env["survey.user_input.line"].create(
            {
                "user_input_id": cls.other_input.id,
                "question_id": cls.other_survey.question_ids.id,
                "answer_type": "char_box",
                "value_char_box": "90k",
            }
        )
        cls.request_a = cls.make_request(cls, partner=cls.customer)
        cls.request_a._record_answer(8, "Fine")
        cls.request_b = cls.make_request(cls, partner=cls.customer_2, company_id=cls.company_b.id)
        cls.request_b._record_answer(2, "Late")
        cls.input_a = cls.request_a.user_input_id
        cls.input_b = cls.request_b.user_input_id
        cls.survey_user = mail_new_test_user(
            cls.env, login="ss_survey_user", groups="base.group_user,survey.group_survey_user"
        )
        cls.survey_admin_agent = mail_new_test_user(
            cls.env,
            login="ss_survey_admin_agent",
            groups="loyalty_gesture.group_care_agent,survey.group_survey_manager",
        )

    def _visible(self, user, model):
        all_inputs = self.input_a | self.input_b | self.other_input
        if model == "survey.user_input":
            records = all_inputs
        else:
            records = all_inputs.user_input_line_ids
        found = self.env[model].with_user(user).search([("id", "in", records.ids)])
        return found.sudo().mapped(
            "survey_id" if model == "survey.user_input" else "user_input_id.survey_id"
        ), found

    def test_agent_reads_only_its_companys_satisfaction_answers(self):
        # Issue #17: a Care agent read every answer of the database.
        for model in ("survey.user_input", "survey.user_input.line"):
            with self.subTest(model=model):
                __, found = self._visible(self.agent, model)
                expected = (
                    self.input_a
                    if model == "survey.user_input"
                    else self.input_a.user_input_line_ids
                )
                self.assertEqual(found, expected)
                __, found_b = self._visible(self.agent_b, model)
                expected_b = (
                    self.input_b
                    if model == "survey.user_input"
                    else self.input_b.user_input_line_ids
                )
                self.assertEqual(found_b, expected_b)
        agent_inputs = self.env["survey.user_input"].with_user(self.agent)
        with self.assertRaises(AccessError):
            agent_inputs.browse(self.other_input.id).read(["partner_id"])
        with self.assertRaises(AccessError):
            self.other_input.user_input_line_ids.with_user(self.agent).read(["value_char_box"])
        with self.assertRaises(AccessError):
            agent_inputs.browse(self.input_b.id).read(["partner_id"])
        with self.assertRaises(AccessError):
            self.env["survey.survey"].with_user(self.agent).browse(self.other_survey.id).read(
                ["title"]
            )
        # reading is all: answers are recorded by the customer only
        with self.assertRaises(AccessError):
            agent_inputs.browse(self.input_a.id).write({"state": "new"})
        self.assertEqual(
            agent_inputs.browse(self.input_a.id).user_input_line_ids.mapped("value_scale")[:1], [8]
        )

    def test_manager_is_no_survey_administrator_but_keeps_its_surveys(self):
        self.assertFalse(self.manager.has_group("survey.group_survey_manager"))
        __, found = self._visible(self.manager, "survey.user_input")
        self.assertEqual(found, self.input_a)
        with self.assertRaises(AccessError):
            self.other_input.with_user(self.manager).read(["partner_id"])
        survey = self.csat.with_user(self.manager)
        survey.write({"title": "How did we do?"})
        survey.question_ids[:1].write({"title": "Your score"})
        self.assertEqual(self.csat.title, "How did we do?")
        with self.assertRaises(AccessError):
            self.other_survey.with_user(self.manager).write({"title": "Hacked"})
        with self.assertRaises(AccessError):
            self.other_survey.with_user(self.manager).write({"satisfaction_kind": "nps"})
        # the web client's survey list and form load for the manager
        surveys = self.env["survey.survey"].with_user(self.manager)
        views = surveys.get_views([(False, "list"), (False, "form")])
        self.assertIn("list", views["views"])
        view_fields = {
            name: {}
            for name, field in views["models"]["survey.survey"]["fields"].items()
            if field["type"] not in ("one2many", "many2many")
        }
        found = surveys.web_search_read([], view_fields)["records"]
        self.assertEqual(
            {record["id"] for record in found} & {self.other_survey.id, self.csat.id},
            {self.csat.id},
        )
        surveys.browse(self.csat.id).web_read(view_fields)

    def test_survey_groups_keep_their_own_rights(self):
        __, found = self._visible(self.survey_user, "survey.user_input")
        self.assertIn(self.other_input, found)
        self.assertIn(self.input_b, found, "a Survey user reads every company's answers")
        # a Care agent who is also a Survey administrator keeps what Odoo gives them
        __, found = self._visible(self.survey_admin_agent, "survey.user_input")
        self.assertEqual(found, self.input_a | self.input_b | self.other_input)
        # and a Survey user reads answers without needing the Care field on them
        self.other_input.with_user(self.survey_user).read()
