"""Forged, altered, replayed and expired tokens (property-based, with hypothesis).

Survey answer links go through the real HTTP controller (GET page and POST answer);
coupon codes through sale_loyalty's own ``_try_apply_code``. Examples are capped and
derandomized so the stage stays short and reproducible.
"""

import re
import string
import uuid
from collections import Counter
from datetime import timedelta
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.addons.loyalty_gesture.tests import common as gesture_common
from odoo.addons.satisfaction_survey.tests import common as survey_common
from odoo.tests import tagged

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCEPTED_MARKS = ("o_satisfaction_form", "o_satisfaction_thanks")


def capped(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def altered(token, position, char):
    """``token`` with one character changed (never to itself)."""
    position %= len(token)
    if token[position] == char:
        char = "0" if char != "0" else "1"
    return token[:position] + char + token[position + 1 :]


@tagged("post_install", "-at_install")
class TestSurveyTokens(survey_common.SatisfactionHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        now = fields.Datetime.now()
        cls.valid_a = cls._request(cls.customer)
        cls.valid_b = cls._request(cls.customer_2)
        cls.expired = cls._request(cls.customer, expiry_date=now - timedelta(minutes=1))
        cls.pending = cls._request(cls.customer_2, state="pending")
        cls.skipped = cls._request(cls.customer, state="skipped")
        cls.answered_expired = cls._request(cls.customer_2)
        cls.answered_expired._record_answer(8, "Fine")
        cls.answered_expired.sudo().expiry_date = now - timedelta(days=1)
        cls.secrets = [
            cls.customer.name,
            cls.customer.email,
            cls.customer_2.name,
            cls.customer_2.email,
            "Fine",
        ]

    @classmethod
    def _request(cls, partner, state="sent", **vals):
        return survey_common.SatisfactionMixin.make_request(cls, partner, state=state, **vals)

    def setUp(self):
        super().setUp()
        page = self.url_open(f"/satisfaction/{self.valid_a.access_token}/7")
        self.assertEqual(page.status_code, 200, "the control: a valid link shows its page")
        self.assertIn("o_satisfaction_form", page.text)
        self.csrf = CSRF_RE.search(page.text).group(1)
        self.stats = Counter()

    def _try(self, token, score, method):
        """One request with ``token``; counts it; fails on acceptance, 5xx or a leak."""
        path = quote(token, safe="")
        if method == "GET":
            response = self.url_open(f"/satisfaction/{path}/{score}", allow_redirects=False)
        else:
            response = self.url_open(
                f"/satisfaction/{path}/submit",
                data={"csrf_token": self.csrf, "score": str(score), "comment": "forged"},
                allow_redirects=False,
            )
        self.stats["attempts"] += 1
        self.stats[f"status {response.status_code}"] += 1
        accepted = response.status_code == 200 or any(
            mark in response.text for mark in ACCEPTED_MARKS
        )
        leaked = [secret for secret in self.secrets if secret in response.text]
        self.stats["accepted"] += accepted
        self.stats["server errors"] += response.status_code >= 500
        self.stats["pages with another customer's data"] += bool(leaked)
        self.assertLess(response.status_code, 500, (token, method))
        self.assertFalse(accepted, (token, method, response.status_code))
        self.assertFalse(leaked, (token, method))

    def _report(self, kind):
        print(f"\ntokens [{kind}]: " + ", ".join(f"{k}={v}" for k, v in sorted(self.stats.items())))

    def _nothing_recorded(self):
        for survey_request in self.valid_a | self.valid_b | self.expired | self.pending:
            survey_request.invalidate_recordset()
            self.assertFalse(survey_request.user_input_id, "no answer recorded")
            self.assertNotEqual(survey_request.state, "answered")
        self.assertEqual(self.answered_expired.score, 8, "the old answer is untouched")

    def test_forged_tokens(self):
        forged = st.one_of(
            st.uuids().map(str),
            st.from_regex(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"),
            st.text(min_size=1, max_size=80).filter(lambda t: t.strip("./") != ""),
            st.text(string.hexdigits + "-", min_size=30, max_size=40),
        )

        @capped(400)
        @given(token=forged, score=st.integers(0, 10), method=st.sampled_from(["GET", "POST"]))
        def check(token, score, method):
            self._try(token, score, method)

        check()
        self._nothing_recorded()
        self._report("forged")
        self.assertGreaterEqual(self.stats["attempts"], 350)

    def test_altered_tokens(self):
        """One character changed in a real token: never accepted, never the owner's page."""
        tokens = [self.valid_a.access_token, self.valid_b.access_token]

        @capped(400)
        @given(
            token=st.sampled_from(tokens),
            position=st.integers(0, 35),
            char=st.sampled_from(string.hexdigits.lower() + "-gz_%.é"),
            score=st.integers(0, 10),
            method=st.sampled_from(["GET", "POST"]),
        )
        def check(token, position, char, score, method):
            self._try(altered(token, position, char), score, method)

        check()
        self._nothing_recorded()
        self._report("altered")
        self.assertGreaterEqual(self.stats["attempts"], 350)

    def test_replayed_and_expired_tokens(self):
        """Tokens that were real: expired, never sent, skipped, answered then expired."""
        tokens = [
            self.expired.access_token,
            self.pending.access_token,
            self.skipped.access_token,
            self.answered_expired.access_token,
        ]

        @capped(88)
        @given(
            token=st.sampled_from(tokens),
            score=st.integers(0, 10),
            method=st.sampled_from(["GET", "POST"]),
        )
        def check(token, score, method):
            self._try(token, score, method)

        check()
        self._nothing_recorded()
        # a live link replayed (double click, changed mind) updates the one answer
        for score in (3, 9, 9):
            response = self.url_open(
                f"/satisfaction/{self.valid_b.access_token}/submit",
                data={"csrf_token": self.csrf, "score": str(score)},
                allow_redirects=False,
            )
            self.assertEqual(response.status_code, 200)
        self.valid_b.invalidate_recordset()
        answers = self.env["survey.user_input"].search(
            [("partner_id", "=", self.customer_2.id), ("survey_id", "=", self.nps.id)]
        )
        self.assertEqual(len(answers), 2, "one answer per request, replays update it")
        self.assertEqual(self.valid_b.score, 9)
        self._report("replayed/expired")
        self.assertGreaterEqual(self.stats["attempts"], 80)


@tagged("post_install", "-at_install")
class TestCouponCodes(gesture_common.GestureCase):
    """Forged and altered coupon codes applied to sale orders: none gives a discount."""

    def test_forged_and_altered_coupon_codes(self):
        other = self.env["res.partner"].create({"name": "Coupon Other", "email": "co@example.com"})
        gesture = self.grant(self.type_coupon, value=25)
        self.assertEqual(gesture.state, "done")
        card = gesture.sudo().coupon_card_id
        product = self.env["product.product"].create({"name": "Token mug", "list_price": 100})
        orders = {
            partner: self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
                }
            )
            for partner in (self.customer, other)
        }
        # the control: the real code on its owner's order is found
        self.assertNotIn("error", orders[self.customer]._try_apply_code(card.code))
        stats = Counter()

        def try_code(order, code):
            stats["attempts"] += 1
            status = order._try_apply_code(code)
            applied = "error" not in status
            stats["accepted"] += applied
            self.assertFalse(applied, code)

        @capped(1500)
        @given(
            code=st.one_of(
                st.text(min_size=1, max_size=40),
                st.text("0123456789abcdef-", min_size=10, max_size=20),
                st.builds(lambda: "044" + str(uuid.uuid4())[7:-18]),
                st.builds(
                    altered,
                    st.just(card.code),
                    st.integers(0, 30),
                    st.sampled_from(string.hexdigits.lower() + "-x "),
                ),
            ),
            customer=st.booleans(),
        )
        def check(code, customer):
            try_code(orders[self.customer if customer else other], code)

        check()
        # the real code on another customer's order: personal, refused
        try_code(orders[other], card.code)
        for order in orders.values():
            self.assertFalse(order.order_line.filtered("is_reward_line"), "no discount line")
        self.assertEqual(card.points, 25, "the coupon is intact")
        print(f"\ncoupon codes: attempts={stats['attempts']}, accepted={stats['accepted']}")
