"""Issue #19, points 8 and 10: what the customer sees of a survey, in their language: the
company's name and logo, the tab title, a scale legend, a thanks that fits the score, and a
page (not an English 405) when the form's address is opened again."""

import re

from odoo.tests import tagged

from . import common

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S)


@tagged("post_install", "-at_install")
class TestCustomerPages(common.SatisfactionHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("en_US")
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.company.name = "Brûlerie Martin"
        cls.customer.lang = "en_US"
        cls.customer_2.lang = "fr_FR"

    def _answer(self, request, score):
        page = self.url_open(f"/satisfaction/{request.access_token}/{score}")
        self.assertEqual(page.status_code, 200)
        csrf = CSRF_RE.search(page.text).group(1)
        return page, self.url_open(
            f"/satisfaction/{request.access_token}/submit",
            data={"csrf_token": csrf, "score": str(score)},
            allow_redirects=False,
        )

    def test_pages_carry_the_company_and_a_tab_title(self):
        request = self.make_request(survey=self.csat)
        page = self.url_open(f"/satisfaction/{request.access_token}/4")
        title = TITLE_RE.search(page.text).group(1).strip()
        self.assertIn("Brûlerie Martin", title)
        self.assertNotEqual(title, "Odoo")
        self.assertIn("o_satisfaction_brand", page.text)
        self.assertIn("Brûlerie Martin", page.text)
        # the scale legend under the buttons
        self.assertIn("1 = Very dissatisfied", page.text)
        self.assertIn("5 = Very satisfied", page.text)
        nps = self.make_request(partner=self.customer, survey=self.nps)
        page = self.url_open(f"/satisfaction/{nps.access_token}/9")
        self.assertIn("0 = Not at all likely", page.text)
        self.assertIn("10 = Extremely likely", page.text)

    def test_low_and_high_scores_get_different_thanks(self):
        low = self.make_request(survey=self.nps)
        __, response = self._answer(low, 2)
        self.assertIn("o_satisfaction_sorry", response.text)
        self.assertIn("Someone from our team will contact you", response.text)
        high = self.make_request(partner=self.customer_2, survey=self.nps)
        self.customer_2.lang = "en_US"
        __, response = self._answer(high, 10)
        self.assertIn("o_satisfaction_glad", response.text)
        self.assertNotIn("contact you", response.text)

    def test_get_on_the_submit_address_shows_a_page_in_the_customer_language(self):
        request = self.make_request(partner=self.customer_2, survey=self.nps)
        response = self.url_open(f"/satisfaction/{request.access_token}/submit")
        self.assertEqual(response.status_code, 200, "no 405 Method Not Allowed")
        self.assertIn("o_satisfaction_form", response.text)
        self.assertNotIn("Method Not Allowed", response.text)
        self.assertIn("Confirmer", response.text, "in the customer's language")
        request.invalidate_recordset()
        self.assertEqual(request.state, "sent", "a GET records nothing")
        # once answered, the same address shows the thanks
        self._answer(request, 9)
        response = self.url_open(f"/satisfaction/{request.access_token}/submit")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_satisfaction_thanks", response.text)
        # a forged token still gets the invalid page
        response = self.url_open("/satisfaction/not-a-token/submit")
        self.assertEqual(response.status_code, 404)

    def test_survey_email_has_a_legend_and_no_internal_label(self):
        request = self.make_request(survey=self.csat, state="pending")
        request.action_send_now()
        mail = self.env["mail.mail"].search(
            [("model", "=", "satisfaction.request"), ("res_id", "=", request.id)]
        )
        self.assertTrue(mail)
        body = mail[-1].body_html
        self.assertIn("Very dissatisfied", body)
        self.assertIn("Very satisfied", body)
        self.assertNotIn("Your Satisfaction survey request", body)
        self.assertNotIn("Satisfaction survey request", body)
        self.assertIn("Brûlerie Martin", body)
