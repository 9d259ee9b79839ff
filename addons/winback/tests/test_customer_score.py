from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.addons.winback.models.winback_customer_score_batch import LOCK_CLASS
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from . import common


@tagged("post_install", "-at_install")
class TestCustomerScore(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        monthly = [300, 270, 240, 210, 180, 150, 120, 90, 60, 30]
        cls.regular = cls.make_partner("Regular Rita")
        cls._history(cls.regular, [d - 20 for d in monthly] + [10])
        cls.overdue = cls.make_partner("Overdue Oscar")  # monthly, silent for 70 days
        cls._history(cls.overdue, [d + 40 for d in monthly] + [70])
        cls.shrinking = cls.make_partner("Shrinking Sam")  # big last year, small this year
        cls._history(cls.shrinking, [600, 540, 480, 420], amount=500)
        cls._history(cls.shrinking, [300, 200, 100, 20], amount=50)
        cls.dormant = cls.make_partner("Dormant Dora")  # monthly, silent for 150 days
        cls._history(cls.dormant, [d + 120 for d in monthly])
        cls.lost = cls.make_partner("Lost Louis")  # monthly, silent for a year
        cls._history(cls.lost, [d + 370 for d in monthly])
        cls.once = cls.make_partner("Once Olga")
        cls._history(cls.once, [20])
        cls.contact = cls.env["res.partner"].create(
            {"name": "Rita's assistant", "parent_id": cls.regular.id}
        )
        cls._order_at(cls.contact, 5)
        # another company's orders never count here
        cls._history(cls.dormant, [3], company=cls.company_b)

    def test_statuses(self):
        self._compute()
        self._compute(self.company_b)
        expected = {
            self.regular: "active",
            self.overdue: "at_risk",
            self.shrinking: "at_risk",
            self.dormant: "dormant",
            self.lost: "lost",
            self.once: "active",
        }
        for partner, status in expected.items():
            score = self._score(partner)
            self.assertEqual(
                score.status,
                status,
                f"{partner.name}: risk {score.churn_risk}, ratio {score.overdue_ratio}",
            )
        rita = self._score(self.regular)
        # the contact's order counts for the commercial partner, on the same day or not
        self.assertEqual(rita.order_count, 12)
        self.assertEqual(rita.days_since_last_order, 5)
        self.assertEqual(rita.median_interval, 30)
        self.assertFalse(self._score(self.contact))
        self.assertEqual(self._score(self.shrinking).revenue_trend, -90)
        self.assertEqual(self._score(self.dormant).order_count, 10, "company B not counted")
        # in company B, Dora is a customer of three days: one order, neither dormant nor lost
        dora_b = self._score(self.dormant, self.company_b)
        self.assertEqual(dora_b.order_count, 1)
        self.assertIn(dora_b.status, ("active", "at_risk"))

    def test_thresholds_per_company(self):
        self.company.write({"winback_at_risk_factor": 5.0, "winback_revenue_drop": 95})
        self.company.write(
            {
                "winback_dormant_factor": 20.0,
                "winback_lost_factor": 30.0,
                "winback_at_risk_risk": 99,
                "winback_lost_risk": 100,
            }
        )
        self._compute()
        self.assertEqual(self._score(self.overdue).status, "active")
        self.assertEqual(self._score(self.shrinking).status, "active")
        # silent for about 5 usual intervals: not 20 yet, and no risk reaches 99
        self.assertEqual(self._score(self.dormant).status, "active")
        self.assertEqual(self._score(self.lost).status, "at_risk")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.company.write({"winback_lost_risk": 90})
            self.company.flush_recordset()

    def test_churn_risk_direction(self):
        self._compute()
        risk = {p: self._score(p).churn_risk for p in (self.regular, self.overdue, self.lost)}
        self.assertLess(risk[self.regular], risk[self.overdue])
        self.assertLess(risk[self.overdue], risk[self.lost])
        for partner in risk:
            self.assertTrue(0 <= risk[partner] <= 100)
        drivers = self._score(self.overdue).churn_drivers
        self.assertRegex(
            drivers, r"70 days since the last order, 2\.\d times the usual interval of 3\d days"
        )
        self.assertIn("Single purchase", self._score(self.once).churn_drivers)

    def test_rfm_quintiles(self):
        company = self.env["res.company"].create({"name": "RFM Co"})
        customers = self.env["res.partner"]
        for i in range(10):
            customer = self.make_partner(f"RFM customer {i}")
            # customer i: i+1 orders, bought last (10 - i) * 20 days ago, worth (i+1) * 100
            self._history(
                customer,
                [(10 - i) * 20 + 7 * k for k in range(i + 1)],
                amount=100,
                company=company,
            )
            customers |= customer
        self._compute(company)
        scores = [self._score(c, company) for c in customers]
        self.assertEqual([s.monetary_score for s in scores], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        self.assertEqual([s.frequency_score for s in scores], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        self.assertEqual([s.recency_score for s in scores], [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        self.assertEqual(scores[-1].rfm_segment, "555")
        self.assertEqual(scores[0].rfm_segment, "111")

    def test_rerun_is_idempotent(self):
        self._compute()
        fields_ = ["status", "churn_risk", "rfm_segment", "revenue", "p_alive"]
        before = self.scores.search_read([("company_id", "=", self.company.id)], fields_)
        count = self.scores.search_count([])
        self._compute()
        after = self.scores.search_read([("company_id", "=", self.company.id)], fields_)
        self.assertEqual(before, after)
        self.assertEqual(self.scores.search_count([]), count)

    def test_cancelled_orders_leave(self):
        self._compute()
        self.assertTrue(self._score(self.once))
        self.env["sale.order"].search([("partner_id", "=", self.once.id)]).write(
            {"state": "cancel"}
        )
        self._compute()
        self.assertFalse(self._score(self.once))

    def test_lost_reason(self):
        self._compute()
        reason = self.env.ref("winback.lost_reason_competitor")
        customers_before = reason.customer_count
        wizard = (
            self.env["winback.lost.wizard"]
            .with_user(self.agent)
            .with_company(self.company)
            .create({"partner_id": self.regular.id, "reason_id": reason.id, "note": "Cheaper"})
        )
        wizard.action_confirm()
        score = self._score(self.regular)
        self.assertEqual(score.status, "lost")
        self.assertEqual(score.lost_reason_id, reason)
        self._compute()
        self.assertEqual(score.status, "lost", "a recorded reason survives the recompute")
        reason.invalidate_recordset(["customer_count"])
        self.assertEqual(reason.customer_count, customers_before + 1)
        # the customer comes back after the reason was recorded: no longer lost, the
        # reason stays for the record
        score.lost_date = self.today - timedelta(days=3)
        self._order_at(self.regular, 0)
        self._compute()
        self.assertEqual(score.status, "active")
        self.assertEqual(score.lost_reason_id, reason)

    def test_lost_reason_without_orders(self):
        stranger = self.make_partner("Never Bought")
        self.env["winback.lost.wizard"].with_company(self.company).create(
            {"partner_id": stranger.id, "reason_id": self.env.ref("winback.lost_reason_price").id}
        ).action_confirm()
        self._compute()
        self.assertEqual(self._score(stranger).status, "lost")

    def test_query_count_constant(self):
        """Scoring 5 or 50 customers costs the same number of queries."""

        def queries_for(customers):
            company = self.env["res.company"].create({"name": f"Perf {customers}"})
            for i in range(customers):
                self._history(self.make_partner(f"Perf {customers} {i}"), [40, 20], company=company)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.scores._compute_company_scores(company)
            count = self.env.cr.sql_log_count - before
            self.assertEqual(self.scores.search_count([("company_id", "=", company.id)]), customers)
            return count

        small, large = queries_for(5), queries_for(50)
        self.assertEqual(small, large)
        self.assertLess(large, 15)

    def test_concurrent_worker_skips_company(self):
        """While another transaction scores a company, a second worker skips it."""
        with self.env.registry.cursor() as other_cr:
            other_cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, self.company.id))
            self.assertFalse(self.scores._compute_company_scores(self.company))
            self.assertFalse(self._score(self.regular))
            other_cr.rollback()
        self._compute()
        self.assertTrue(self._score(self.regular))

    def test_cron_batches_and_reruns(self):
        self.env["res.company"].search([]).write({"winback_scored_on": False})
        companies = self.env["res.company"].search_count([])
        self.scores._cron_compute_scores(batch=2)
        self.assertEqual(
            self.env["res.company"].search_count([("winback_scored_on", "=", self.today)]), 2
        )
        for _i in range(companies):
            self.scores._cron_compute_scores(batch=2)
        self.assertEqual(
            self.env["res.company"].search_count([("winback_scored_on", "=", self.today)]),
            companies,
        )
        self.assertEqual(self._score(self.regular).status, "active")
        # everything scored today: a rerun does nothing (a deleted row stays deleted)
        self._score(self.regular).unlink()
        self.scores._cron_compute_scores(batch=2)
        self.assertFalse(self._score(self.regular))

    def test_detractor_from_last_nps(self):
        """The detractor flag follows the customer's last NPS answer (satisfaction_survey)."""
        survey = self.env.ref("satisfaction_survey.survey_nps")
        now = fields.Datetime.now()

        def answer(partner, score):
            request = self.env["satisfaction.request"].create(
                {"partner_id": partner.id, "survey_id": survey.id, "company_id": self.company.id}
            )
            request.write(
                {"state": "sent", "sent_date": now, "expiry_date": now + timedelta(days=30)}
            )
            request._record_answer(score)

        answer(self.regular, 3)
        answer(self.overdue, 10)
        self._compute()
        self.assertRecordValues(
            self._score(self.regular) | self._score(self.overdue) | self._score(self.lost),
            [
                {"detractor": True, "last_nps": 3},
                {"detractor": False, "last_nps": 10},
                {"detractor": False, "last_nps": 0},
            ],
        )
        self.assertIn("Detractor (last NPS 3)", self._score(self.regular).churn_drivers)

    def test_metrics_registry(self):
        self._compute()
        partners = self.env["res.partner"].with_company(self.company)
        self.assertIn("care_status", partners._care_metric_definitions())
        self.assertIn("churn_risk", partners._care_metric_definitions())
        metrics = (self.regular | self.lost).with_company(self.company)._care_metrics()
        self.assertEqual(metrics[self.lost.id]["care_status"], "lost")
        self.assertEqual(
            metrics[self.regular.id]["churn_risk"], self._score(self.regular).churn_risk
        )
        found = partners.search([("winback_status", "=", "dormant")])
        self.assertIn(self.dormant, found)
        self.assertNotIn(self.regular, found)
        self.assertEqual(self.regular.with_company(self.company).winback_status, "active")

    def test_access(self):
        self._compute()
        self._compute(self.company_b)
        self.assertTrue(self._score(self.regular).with_user(self.agent).churn_risk >= 0)
        visible_b = self.scores.with_user(self.manager_b).search([])
        self.assertTrue(visible_b)
        self.assertFalse(visible_b.filtered(lambda s: s.company_id == self.company))
        with self.assertRaises(AccessError):
            self._score(self.regular).with_user(self.agent).write({"churn_risk": 0})
        with self.assertRaises(AccessError):
            self.scores.with_user(self.agent).action_recompute()
        # a manager's button recomputes their own companies only (issue #21: by the
        # scheduled action it triggers)
        self.scores.search([("company_id", "in", (self.company | self.company_b).ids)]).unlink()
        self.scores.with_user(self.manager).with_company(self.company).action_recompute()
        self.assertFalse(self._score(self.regular))
        for _call in range(50):
            if not self.scores._cron_compute_scores():
                break
        self.assertTrue(self._score(self.regular))
        self.assertFalse(self._score(self.dormant, self.company_b))
        # an agent cannot record a lost reason in a company they do not belong to
        wizard = (
            self.env["winback.lost.wizard"]
            .with_user(self.agent)
            .create(
                {
                    "partner_id": self.once.id,
                    "company_id": self.company_b.id,
                    "reason_id": self.env.ref("winback.lost_reason_price").id,
                }
            )
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertFalse(self._score(self.once, self.company_b))
