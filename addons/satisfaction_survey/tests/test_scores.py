from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from . import common

# NPS answers, CSAT answers, unanswered requests -> NPS, CSAT, response rate, worked by hand
KNOWN = [
    ([10, 9, 0], [5, 3], 1, 33.3, 50.0, 83.3),
    ([6, 6, 7], [], 0, -66.7, None, 100.0),
    ([10], [1, 2, 4, 5], 3, 100.0, 50.0, 62.5),
    ([], [], 2, None, None, 0.0),
    ([], [], 0, None, None, None),
]


@tagged("post_install", "-at_install")
class TestScores(common.SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.panel = cls.env["res.partner"].create(
            [{"name": f"Panel {i}", "email": f"panel{i}@example.com"} for i in range(14)]
        )

    def _answer(self, partner, survey, score):
        request = self.make_request(partner=partner, survey=survey)
        request._record_answer(score)
        return request

    def _scores(self):
        return self.env["satisfaction.request"]._satisfaction_scores(
            [("partner_id", "in", self.panel.ids)]
        )

    def test_nps_csat_and_response_rate_on_known_answers(self):
        # 6 promoters, 3 passives, 1 detractor -> NPS = 60 % - 10 % = +50.
        for partner, score in zip(self.panel[:10], [10, 9, 9, 10, 9, 10, 7, 8, 8, 3], strict=True):
            self._answer(partner, self.nps, score)
        # CSAT: 3 answers of 4-5 out of 4 -> 75 %.
        for partner, score in zip(self.panel[:4], [5, 4, 4, 2], strict=True):
            self._answer(partner, self.csat, score)
        # Two unanswered surveys: 14 answers out of 16 delivered.
        self.make_request(partner=self.panel[10])
        self.make_request(partner=self.panel[11], state="expired")
        # Pending and skipped requests were never delivered: not in the response rate.
        self.make_request(partner=self.panel[12], state="pending")
        self.make_request(partner=self.panel[13], state="skipped")
        scores = self._scores()
        self.assertEqual((scores["promoters"], scores["passives"], scores["detractors"]), (6, 3, 1))
        self.assertEqual(scores["nps"], 50.0)
        self.assertEqual(scores["csat"], 75.0)
        self.assertEqual(scores["response_rate"], 87.5)
        # The analysis view gives the same figures at any grouping.
        report = self.env["satisfaction.report"]
        self.env.flush_all()
        [totals] = report._read_group(
            [("partner_id", "in", self.panel.ids)],
            [],
            ["nps_value:avg", "csat_value:avg", "response_value:avg", "request_count:sum"],
        )
        self.assertEqual(totals, (50.0, 75.0, 87.5, 16))

    def _scores_of(self, nps_scores, csat_scores, unanswered):
        """The scores of these answers and unanswered requests (and the requests)."""
        partner = self.panel[0]
        vals = [
            {"partner_id": partner.id, "survey_id": self.nps.id, "state": "answered", "score": s}
            for s in nps_scores
        ]
        vals += [
            {"partner_id": partner.id, "survey_id": self.csat.id, "state": "answered", "score": s}
            for s in csat_scores
        ]
        vals += [{"partner_id": partner.id, "survey_id": self.nps.id, "state": "sent"}] * unanswered
        requests = self.env["satisfaction.request"].create(vals)
        scores = self.env["satisfaction.request"]._satisfaction_scores([("id", "in", requests.ids)])
        return scores, requests

    def test_scores_on_examples_worked_by_hand(self):
        for nps_scores, csat_scores, unanswered, nps, csat, rate in KNOWN:
            with self.subTest(nps=nps_scores, csat=csat_scores, unanswered=unanswered):
                scores, requests = self._scores_of(nps_scores, csat_scores, unanswered)
                self.assertEqual(
                    (scores["nps"], scores["csat"], scores["response_rate"]), (nps, csat, rate)
                )
                requests.unlink()

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @seed(18)
    @example(nps_scores=[], csat_scores=[], unanswered=0)
    @example(nps_scores=[0] * 12, csat_scores=[1] * 8, unanswered=4)
    @example(nps_scores=[10] * 12, csat_scores=[5] * 8, unanswered=0)
    @given(
        nps_scores=st.lists(st.integers(0, 10), max_size=12),
        csat_scores=st.lists(st.integers(1, 5), max_size=8),
        unanswered=st.integers(0, 4),
    )
    def test_scores_match_their_definition(self, nps_scores, csat_scores, unanswered):
        scores, requests = self._scores_of(nps_scores, csat_scores, unanswered)
        promoters = sum(1 for s in nps_scores if s >= 9)
        detractors = sum(1 for s in nps_scores if s <= 6)
        if nps_scores:
            expected_nps = round(100.0 * (promoters - detractors) / len(nps_scores), 1)
            self.assertEqual(scores["nps"], expected_nps)
            self.assertTrue(-100 <= scores["nps"] <= 100)
        else:
            self.assertIsNone(scores["nps"])
        if csat_scores:
            satisfied = sum(1 for s in csat_scores if s >= 4)
            self.assertEqual(scores["csat"], round(100.0 * satisfied / len(csat_scores), 1))
        else:
            self.assertIsNone(scores["csat"])
        answered = len(nps_scores) + len(csat_scores)
        delivered = answered + unanswered
        self.assertEqual(
            scores["response_rate"],
            round(100.0 * answered / delivered, 1) if delivered else None,
        )
        requests.unlink()

    def test_nps_can_be_negative_and_is_empty_without_answers(self):
        self.assertIsNone(self._scores()["nps"])
        for partner, score in zip(self.panel[:4], [0, 6, 7, 9], strict=True):
            self._answer(partner, self.nps, score)
        self.assertEqual(self._scores()["nps"], -25.0)

    def test_scores_outside_the_scale_are_refused(self):
        nps = self.make_request(partner=self.panel[0], survey=self.nps)
        csat = self.make_request(partner=self.panel[1], survey=self.csat)
        for request, score in ((nps, 11), (nps, -1), (csat, 0), (csat, 6), (nps, 10**12)):
            with self.subTest(score=score), self.assertRaises(ValidationError):
                request._record_answer(score)
        self.assertEqual((nps | csat).mapped("state"), ["sent", "sent"])

    def test_last_scores_on_the_customer_and_in_the_metrics_registry(self):
        partner = self.panel[0]
        contact = self.env["res.partner"].create(
            {"name": "Contact", "parent_id": partner.id, "email": "c@example.com"}
        )
        self._answer(partner, self.nps, 9)
        self._answer(contact, self.nps, 4)
        self._answer(partner, self.csat, 5)
        definitions = partner._care_metric_definitions()
        self.assertIn("last_nps", definitions)
        self.assertIn("is_detractor", definitions)
        self.assertIn("revenue", definitions, "the base metrics stay")
        metrics = (partner | self.panel[1])._care_metrics()
        self.assertEqual(metrics[partner.id]["last_nps"], 4, "the contact's answer is the latest")
        self.assertEqual(metrics[partner.id]["last_csat"], 5)
        self.assertTrue(metrics[partner.id]["is_detractor"])
        self.assertIn("revenue", metrics[partner.id])
        self.assertEqual(
            (metrics[self.panel[1].id]["last_nps"], metrics[self.panel[1].id]["is_detractor"]),
            (None, False),
        )
        partner.invalidate_recordset()
        self.assertRecordValues(
            partner,
            [
                {
                    "satisfaction_last_nps": 4,
                    "satisfaction_last_nps_category": "detractor",
                    "satisfaction_last_csat": 5,
                    "satisfaction_request_count": 3,
                }
            ],
        )

    def test_last_answers_take_one_query_whatever_the_number_of_customers(self):
        for partner in self.panel:
            self._answer(partner, self.nps, 8)
        self.env.flush_all()
        partners = self.env["res.partner"]
        with self.assertQueryCount(1):
            partners.browse(self.panel[:1].ids)._satisfaction_last_answers()
        with self.assertQueryCount(1):
            last = partners.browse(self.panel.ids)._satisfaction_last_answers()
        self.assertEqual(len(last), 14)

    def test_scores_by_team_and_owner_in_the_analysis(self):
        team_b = self.env["helpdesk.ticket.team"].create(
            {"name": "Returns team", "user_ids": [(6, 0, self.manager.ids)]}
        )
        ticket_a = self.make_ticket(partner=self.panel[0], user=self.agent)
        ticket_b = self.make_ticket(partner=self.panel[1], user=self.manager)
        ticket_b.team_id = team_b
        for partner, ticket, score in (
            (self.panel[0], ticket_a, 10),
            (self.panel[2], ticket_a, 9),
            (self.panel[1], ticket_b, 2),
            (self.panel[3], ticket_b, 9),
        ):
            request = self.make_request(partner=partner, ticket_id=ticket.id)
            request._record_answer(score)
        self.env.flush_all()
        by_team = dict(
            self.env["satisfaction.report"]._read_group(
                [("partner_id", "in", self.panel.ids)], ["team_id"], ["nps_value:avg"]
            )
        )
        self.assertEqual(by_team, {self.team: 100.0, team_b: 0.0})
        by_owner = dict(
            self.env["satisfaction.report"]._read_group(
                [("partner_id", "in", self.panel.ids)], ["user_id"], ["nps_value:avg"]
            )
        )
        self.assertEqual(by_owner, {self.agent: 100.0, self.manager: 0.0})

    def test_scores_take_one_query_whatever_the_number_of_answers(self):
        for partner in self.panel[:3]:
            self._answer(partner, self.nps, 9)
        self.env.flush_all()
        requests = self.env["satisfaction.request"]
        with self.assertQueryCount(1):
            few = requests._satisfaction_scores([("partner_id", "in", self.panel.ids)])
        for partner in self.panel[3:]:
            self._answer(partner, self.nps, 3)
        self.env.flush_all()
        with self.assertQueryCount(1):
            many = requests._satisfaction_scores([("partner_id", "in", self.panel.ids)])
        self.assertEqual((few["nps"], many["detractors"]), (100.0, 11))
        batch = requests.search([("partner_id", "in", self.panel.ids)])
        batch.mapped("commercial_partner_id")
        batch.mapped("company_id.satisfaction_window_days")
        with self.assertQueryCount(1):
            recent = requests._recently_surveyed(batch)
        self.assertEqual(len(recent), 14)
