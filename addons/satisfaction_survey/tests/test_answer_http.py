import re
import uuid
from datetime import timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests import screens
from odoo.tests import tagged

from . import common

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestOneClickAnswer(screens.ScreensMixin, common.SatisfactionHttpCase):
    def _get(self, token, score):
        return self.url_open(f"/satisfaction/{token}/{score}", allow_redirects=False)

    def _csrf(self, token, score):
        response = self._get(token, score)
        self.assertEqual(response.status_code, 200)
        return CSRF_RE.search(response.text).group(1)

    def _post(self, token, data):
        return self.url_open(f"/satisfaction/{token}/submit", data=data, allow_redirects=False)

    def test_get_shows_then_post_records_then_updates(self):
        request = self.make_request(survey=self.nps)
        token = request.access_token

        # A bare GET (what a mail scanner does) shows the page and records nothing.
        response = self._get(token, 3)
        self.assertEqual(response.status_code, 200)
        self.assertIn('value="3" checked', response.text.replace('checked="checked"', "checked"))
        self.assertTrue("o_satisfaction_form" in response.text)
        request.invalidate_recordset()
        self.assertRecordValues(request, [{"state": "sent", "score": 0, "user_input_id": False}])
        self.assertFalse(
            self.env["survey.user_input"].search([("partner_id", "=", self.customer.id)])
        )

        # A forged token records nothing, even with a valid CSRF token.
        csrf = CSRF_RE.search(response.text).group(1)
        forged = self._post(str(uuid.uuid4()), {"csrf_token": csrf, "score": "10"})
        self.assertEqual(forged.status_code, 404)
        request.invalidate_recordset()
        self.assertEqual(request.state, "sent")

        # Confirm: the POST records the score and the comment in the survey's answer.
        response = self._post(token, {"csrf_token": csrf, "score": "3", "comment": "Too slow."})
        self.assertEqual(response.status_code, 200)
        self.assertTrue("o_satisfaction_thanks" in response.text)
        request.invalidate_recordset()
        self.assertRecordValues(
            request,
            [
                {
                    "state": "answered",
                    "score": 3,
                    "comment": "Too slow.",
                    "nps_category": "detractor",
                }
            ],
        )
        user_input = request.user_input_id
        self.assertEqual(user_input.state, "done")
        self.assertEqual(user_input.partner_id, self.customer)
        score_line = user_input.user_input_line_ids.filtered(
            lambda line: line.answer_type == "scale"
        )
        self.assertEqual(score_line.value_scale, 3)

        # A second answer (replayed link, changed mind) updates: no duplicate answer.
        response = self._post(token, {"csrf_token": csrf, "score": "9", "comment": ""})
        self.assertEqual(response.status_code, 200)
        request.invalidate_recordset()
        self.assertRecordValues(
            request, [{"score": 9, "comment": False, "nps_category": "promoter"}]
        )
        self.assertEqual(request.user_input_id, user_input, "same survey answer, updated")
        inputs = self.env["survey.user_input"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(inputs), 1)
        lines = inputs.user_input_line_ids
        self.assertEqual(len(lines.filtered(lambda line: line.answer_type == "scale")), 1)
        self.assertEqual(lines.filtered(lambda line: line.answer_type == "scale").value_scale, 9)

    def test_browser_tour_answers_with_one_confirm(self):
        self.customer.lang = "en_US"
        request = self.make_request(survey=self.csat)
        self.start_tour(f"/satisfaction/{request.access_token}/3", "satisfaction_one_click_answer")
        request.invalidate_recordset()
        self.assertRecordValues(
            request,
            [
                {
                    "state": "answered",
                    "score": 2,
                    "comment": "The parcel came late.",
                    "is_unhappy": True,
                }
            ],
        )

    def test_page_speaks_the_customer_language(self):
        self.customer.lang = "fr_FR"
        request = self.make_request(survey=self.nps)
        response = self._get(request.access_token, 8)
        self.assertIn("Confirmer", response.text)
        self.assertIn("Nous recommanderiez-vous", response.text)

    def test_page_is_all_in_the_customer_language(self):
        # the survey's own title and question too, whatever the visitor's browser says
        self.customer.lang = "en_US"
        request = self.make_request(survey=self.nps)
        response = self.url_open(
            f"/satisfaction/{request.access_token}/8",
            allow_redirects=False,
            headers={"Accept-Language": "fr-FR", "Cookie": "frontend_lang=fr_FR"},
        )
        self.assertIn("Confirm", response.text)
        self.assertIn(request.survey_id.with_context(lang="en_US").title, response.text)
        self.assertNotIn(request.survey_id.with_context(lang="fr_FR").title, response.text)

    def test_zero_button_sends_zero(self):
        # a detractor's 0 is a value like the others on the page, not an empty radio
        request = self.make_request(survey=self.nps)
        response = self._get(request.access_token, 0)
        self.assertRegex(response.text, r'<input[^>]*id="score_0"[^>]*value="0"[^>]*checked')

    def test_post_without_csrf_records_nothing(self):
        request = self.make_request(survey=self.csat)
        response = self._post(request.access_token, {"score": "5"})
        self.assertNotEqual(response.status_code, 200)
        request.invalidate_recordset()
        self.assertEqual(request.state, "sent")

    def test_zero_is_a_real_nps_answer(self):
        request = self.make_request(survey=self.nps)
        csrf = self._csrf(request.access_token, 0)
        self._post(request.access_token, {"csrf_token": csrf, "score": "0"})
        request.invalidate_recordset()
        self.assertRecordValues(request, [{"state": "answered", "score": 0}])
        line = request.user_input_id.user_input_line_ids.filtered(
            lambda line: line.answer_type == "scale"
        )
        self.assertEqual((line.value_scale, line.skipped), (0, False))

    def test_forged_replayed_and_expired_tokens_get_a_polite_404(self):
        other = self.make_request(partner=self.customer_2, survey=self.csat)
        expired = self.make_request(
            survey=self.csat, expiry_date=fields.Datetime.now() - timedelta(minutes=1)
        )
        pending = self.make_request(partner=self.customer_2, survey=self.nps, state="pending")
        skipped = self.make_request(survey=self.nps, state="skipped")
        token = other.access_token
        forged_tokens = [str(uuid.uuid4()) for _i in range(15)] + [
            token.upper(),
            token[:-1] + ("0" if token[-1] != "0" else "1"),
            token + "0",
            token[:8],
            "x" * 36,
            "' OR 1=1 --",
            "%00",
            expired.access_token,
            pending.access_token,
            skipped.access_token,
        ]
        csrf = self._csrf(token, 3)
        for forged in forged_tokens:
            for score in (1, 5):
                with self.subTest(token=forged, score=score):
                    response = self._get(forged, score)
                    self.assertEqual(response.status_code, 404)
                    self.assertTrue("o_satisfaction_invalid" in response.text)
                    self.assertFalse(self.customer_2.name in response.text)
                    self.assertFalse(self.customer.name in response.text)
            response = self._post(forged, {"csrf_token": csrf, "score": "1"})
            self.assertIn(response.status_code, (404, 400))
        # Scores outside the survey's scale are refused the same way.
        for score in (0, 6, 11, 99999999):
            self.assertEqual(self._get(token, score).status_code, 404)
        for score in ("6", "-1", "abc", "", "1e3", "99999999999999999999"):
            response = self._post(token, {"csrf_token": csrf, "score": score})
            self.assertEqual(response.status_code, 404, score)
        (other | expired | pending | skipped).invalidate_recordset()
        self.assertEqual(
            (other | expired | pending | skipped).mapped("state"),
            ["sent", "sent", "pending", "skipped"],
        )
        self.assertFalse((other | expired).user_input_id)
