from datetime import timedelta

from odoo import fields
from odoo.tests import Form, tagged

from . import common


@tagged("post_install", "-at_install")
class TestClosedLoop(common.SatisfactionCase):
    def _followups(self, request):
        return request.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("satisfaction_survey.mail_activity_type_satisfaction_followup")
            )
        )

    def test_detractor_opens_an_activity_for_the_ticket_owner(self):
        ticket = self.make_ticket(user=self.agent)
        request = self.make_request(ticket_id=ticket.id)
        request._record_answer(4, "Nobody called me back.")
        activity = self._followups(request)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.agent)
        self.assertEqual(
            activity.date_deadline, fields.Date.context_today(request) + timedelta(days=2)
        )
        self.assertIn(self.repair_type.name, str(activity.note))
        self.assertRecordValues(
            request,
            [
                {
                    "is_unhappy": True,
                    "loop_state": "open",
                    "suggested_gesture_type_id": self.repair_type.id,
                }
            ],
        )
        # Answering again does not pile up activities.
        request._record_answer(2)
        self.assertEqual(len(self._followups(request)), 1)

    def test_happy_and_passive_answers_open_nothing(self):
        for survey, score in ((self.nps, 7), (self.nps, 10), (self.csat, 3), (self.csat, 5)):
            with self.subTest(survey=survey.satisfaction_kind, score=score):
                request = self.make_request(partner=self.customer_2, survey=survey)
                request._record_answer(score)
                self.assertFalse(self._followups(request))
                self.assertEqual(request.loop_state, "none")
                request.state = "expired"

    def test_low_csat_falls_back_to_the_salesperson(self):
        self.customer.user_id = self.manager
        request = self.make_request(survey=self.csat)
        request._record_answer(2)
        self.assertEqual(self._followups(request).user_id, self.manager)

    def test_marking_the_follow_up_done_closes_the_loop(self):
        unhappy = self.make_request()
        unhappy._record_answer(1)
        other = self.make_request(partner=self.customer_2, survey=self.csat)
        other._record_answer(1)
        scores = self.env["satisfaction.request"]._satisfaction_scores(
            [("id", "in", (unhappy | other).ids)]
        )
        self.assertEqual(scores["loop_closed_rate"], 0.0)
        unhappy.loop_opened_date = fields.Datetime.now() - timedelta(hours=5)
        self._followups(unhappy).with_user(self.agent).action_feedback(feedback="Called, sorry.")
        self.assertEqual(unhappy.loop_state, "closed")
        self.assertTrue(unhappy.loop_closed_date)
        self.assertEqual(other.loop_state, "open")
        scores = self.env["satisfaction.request"]._satisfaction_scores(
            [("id", "in", (unhappy | other).ids)]
        )
        self.assertEqual(scores["loop_closed_rate"], 50.0)
        self.env.flush_all()
        [(rate,)] = self.env["satisfaction.report"]._read_group(
            [("id", "in", (unhappy | other).ids)], [], ["loop_value:avg"]
        )
        self.assertEqual(rate, 50.0)
        [(delay, count)] = self.env["satisfaction.report"]._read_group(
            [("id", "in", (unhappy | other).ids), ("loop_delay_hours", "!=", False)],
            [],
            ["loop_delay_hours:avg", "__count"],
        )
        self.assertEqual(count, 1, "only the closed loop has a delay")
        self.assertAlmostEqual(delay, 5.0, delta=0.1)

    def test_grant_the_suggested_repair_gesture(self):
        request = self.make_request()
        request._record_answer(0, "Broken twice.")
        # the grant wizard, not a bare draft (issue #19): nothing is created before Grant
        action = request.with_user(self.agent).action_grant_repair_gesture()
        self.assertEqual(action["res_model"], "loyalty.gesture.grant.wizard")
        self.assertFalse(request.gesture_id)
        wizard = Form(
            self.env["loyalty.gesture.grant.wizard"]
            .with_user(self.agent)
            .with_context(**action["context"])
        )
        self.assertEqual(wizard.type_id, self.repair_type)
        gesture = self.env["loyalty.gesture"].browse(wizard.save().action_grant()["res_id"])
        self.assertRecordValues(
            gesture, [{"partner_id": self.customer.id, "type_id": self.repair_type.id}]
        )
        self.assertEqual(request.gesture_id, gesture)
        self.assertEqual(
            request.with_user(self.agent).action_grant_repair_gesture()["res_id"], gesture.id
        )

    def test_unassigned_ticket_falls_back_to_the_salesperson(self):
        self.customer.user_id = self.manager
        ticket = self.make_ticket()
        ticket.user_id = False
        ticket.stage_id = self.stage_closed
        request = self.env["satisfaction.request"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(request.user_id, self.manager)
