"""Issue #17 through HTTP: the answer page records each real change once, up to a cap;
an agent's JSON-RPC rewrite of a request's source is refused."""

import re

from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from ..models.satisfaction_request import MAX_ANSWER_CHANGES
from . import common

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestAnswerPageOnce(common.SatisfactionHttpCase):
    def _csrf(self, token):
        response = self.url_open(f"/satisfaction/{token}/1", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        return CSRF_RE.search(response.text).group(1)

    def _post(self, token, csrf, score, comment=""):
        return self.url_open(
            f"/satisfaction/{token}/submit",
            data={"csrf_token": csrf, "score": str(score), "comment": comment},
            allow_redirects=False,
        )

    def _customer_notes(self, request):
        return self.env["mail.message"].search(
            [
                ("model", "=", request._name),
                ("res_id", "=", request.id),
                ("author_id", "=", request.partner_id.id),
            ]
        )

    def test_repeated_posts_change_nothing_and_changes_are_capped(self):
        request = self.make_request(survey=self.nps, user_id=self.agent.id)
        token = request.access_token
        csrf = self._csrf(token)
        messages = self.env["mail.message"]
        on_request = [("model", "=", request._name), ("res_id", "=", request.id)]
        response = self._post(token, csrf, 3, "Too slow.")
        self.assertIn("o_satisfaction_thanks", response.text)
        after_first = messages.search_count(on_request)
        for _attempt in range(2):
            response = self._post(token, csrf, 3, "Too slow.")
            self.assertEqual(response.status_code, 200)
            self.assertIn("o_satisfaction_thanks", response.text)
        request.invalidate_recordset()
        self.assertRecordValues(
            request, [{"score": 3, "answer_change_count": 0, "loop_state": "open"}]
        )
        self.assertEqual(len(self._customer_notes(request)), 1, "one note for one answer")
        self.assertEqual(messages.search_count(on_request), after_first, "replays post nothing")
        self.assertEqual(len(request.activity_ids), 1)
        self.assertEqual(
            len(self.env["survey.user_input"].search([("partner_id", "=", self.customer.id)])), 1
        )
        # real changes: one note each, up to the cap
        for change in range(1, MAX_ANSWER_CHANGES + 1):
            response = self._post(token, csrf, 3 + change, "Too slow.")
            self.assertIn("o_satisfaction_thanks", response.text)
            self._post(token, csrf, 3 + change, "Too slow.")  # the same again: nothing
        request.invalidate_recordset()
        last = 3 + MAX_ANSWER_CHANGES
        self.assertRecordValues(
            request, [{"score": last, "answer_change_count": MAX_ANSWER_CHANGES}]
        )
        self.assertEqual(len(self._customer_notes(request)), 1 + MAX_ANSWER_CHANGES)
        # one change too many: a clear page, the last answer kept
        response = self._post(token, csrf, 10, "Changed my mind again")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_satisfaction_locked", response.text)
        self.assertNotIn("o_satisfaction_thanks", response.text)
        request.invalidate_recordset()
        self.assertRecordValues(request, [{"score": last, "comment": "Too slow."}])
        self.assertEqual(len(self._customer_notes(request)), 1 + MAX_ANSWER_CHANGES)
        line = request.user_input_id.user_input_line_ids.filtered(
            lambda line: line.answer_type == "scale"
        )
        self.assertEqual(line.value_scale, last, "the survey's answer kept the last score too")
        # the kept answer itself still shows the thanks page
        self.assertIn("o_satisfaction_thanks", self._post(token, csrf, last, "Too slow.").text)

    def test_comment_change_alone_is_a_change(self):
        request = self.make_request(survey=self.csat)
        csrf = self._csrf(request.access_token)
        self._post(request.access_token, csrf, 4, "Good")
        self._post(request.access_token, csrf, 4, "  Good  ")  # same once trimmed
        self._post(request.access_token, csrf, 4, "Very good")
        request.invalidate_recordset()
        self.assertRecordValues(request, [{"comment": "Very good", "answer_change_count": 1}])
        self.assertEqual(len(self._customer_notes(request)), 2)


@tagged("post_install", "-at_install")
class TestRequestRpc(common.SatisfactionHttpCase):
    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def test_agent_cannot_point_a_request_at_another_record(self):
        # Issue #17: an agent rewrote res_model/res_id through RPC and read the name of
        # another company's ticket through source_name.
        team_b = self.env["helpdesk.ticket.team"].create(
            {"name": "Team B", "company_id": self.company_b.id}
        )
        ticket_b = self.env["helpdesk.ticket"].create(
            {
                "name": "Company B confidential claim",
                "description": "<p>Secret.</p>",
                "partner_id": self.customer_2.id,
                "team_id": team_b.id,
                "company_id": self.company_b.id,
            }
        )
        request = self.make_request(state="sent")
        for login in ("ss_agent", "ss_manager"):
            self.authenticate(login, login)
            for vals in (
                {"res_model": "helpdesk.ticket", "res_id": ticket_b.id},
                {"res_id": ticket_b.id},
                {"res_model": "res.users", "res_id": 2},
                {"partner_id": self.customer_2.id},
                {"score": 10, "state": "answered"},
            ):
                with self.subTest(login=login, vals=vals):
                    with self.assertRaises(JsonRpcException) as caught:
                        self._call(request._name, "write", [[request.id], vals])
                    self.assertIn("UserError", str(caught.exception))
            # what the agent may do goes through
            self._call(request._name, "write", [[request.id], {"user_id": self.agent.id}])
            records = self._call(
                request._name, "web_read", [[request.id]], {"specification": {"source_name": {}}}
            )
            self.assertNotIn(ticket_b.name, str(records))
        request.invalidate_recordset()
        self.assertRecordValues(
            request,
            [
                {
                    "res_model": False,
                    "res_id": 0,
                    "partner_id": self.customer.id,
                    "state": "sent",
                    "user_id": self.agent.id,
                }
            ],
        )
        # an agent of the other company gets nothing of this request
        self.authenticate("ss_agent_b", "ss_agent_b")
        with self.assertRaises(JsonRpcException) as caught:
            self._call(request._name, "write", [[request.id], {"user_id": self.agent_b.id}])
        self.assertIn("AccessError", str(caught.exception))
        # and the public visitor has no RPC way in
        self.authenticate(None, None)
        with self.assertRaises(JsonRpcException):
            self._call(request._name, "read", [[request.id], ["source_name"]])
