from datetime import datetime, time, timedelta

import numpy as np

from odoo.addons.loyalty_gesture.tests.common import load_migration
from odoo.addons.winback.tools import churn
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from . import common


@tagged("post_install", "-at_install")
class TestChurnBacktest(common.WinbackCase):
    """The churn model learnt from a known synthetic history of the company's own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.history_co = cls.env["res.company"].create({"name": "Back-test Co"})
        rng = np.random.default_rng(5)
        plans = []
        for i in range(360):
            interval = (30, 60, 90)[i % 3]
            start = int(rng.uniform(400, 1000))
            # half of them stop buying for good at some point of their history
            stop = int(rng.uniform(0, start)) if rng.random() < 0.5 else 0
            days, day = [], start
            while day > stop:
                days.append(day)
                day -= max(1, int(interval * rng.uniform(0.8, 1.2)))
            plans.append((f"Synthetic {i}", days))
        # a monthly buyer for two years who stopped four months ago, and a regular
        # quarterly buyer whose last order was a month ago
        plans.append(("Monthly Mia", list(range(840, 119, -30))))
        plans.append(("Quarterly Quinn", list(range(930, 29, -90))))
        partners = cls.env["res.partner"].create([{"name": name} for name, _days in plans])
        cls._bulk_orders(
            cls.history_co,
            [(p.id, day) for p, (_n, days) in zip(partners, plans, strict=True) for day in days],
        )
        cls.mia, cls.quinn = partners[-2], partners[-1]
        cls.fits = cls.env["winback.churn.fit"]

    @classmethod
    def _bulk_orders(cls, company, rows, amount=100.0):
        """Confirmed orders ``[(partner_id, days_ago)]`` in one INSERT (as datagen.py)."""
        cls.env.flush_all()
        moments = [datetime.combine(cls.today - timedelta(days=d), time(10)) for _p, d in rows]
        cls.env.cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                        partner_shipping_id, company_id, currency_id,
                                        date_order, state, amount_untaxed, amount_tax,
                                        amount_total, create_date, write_date)
                SELECT 'SYN/' || o.n, o.partner, o.partner, o.partner, %(company)s,
                       %(currency)s, o.moment, 'sale', %(amount)s, 0, %(amount)s,
                       o.moment, o.moment
                  FROM unnest(%(partners)s::int[], %(moments)s::timestamp[])
                       WITH ORDINALITY AS o(partner, moment, n)
                """,
                company=company.id,
                currency=company.currency_id.id,
                amount=amount,
                partners=[p for p, _d in rows],
                moments=moments,
            )
        )
        cls.env.invalidate_all()

    def test_backtest_flags_the_monthly_buyer_who_stopped(self):
        self._compute(self.history_co)
        fit = self.fits._latest(self.history_co)
        self.assertEqual(fit.method, "backtest", fit.message)
        self.assertEqual(fit.horizon_days, 365)
        self.assertEqual(len(fit.cutoff_dates.split(", ")), 4)
        self.assertIn(fit.regularization, churn.C_GRID)
        # out-of-time quality on the most recent cut-off, better than recency alone
        self.assertGreater(fit.auc, 0.8)
        self.assertGreaterEqual(fit.auc, fit.auc_recency)
        self.assertLess(fit.brier, 0.2)
        self.assertTrue(fit.reliability)
        self.assertEqual(sum(row[2] for row in fit.reliability), fit.validation_rows)
        self.assertIn("<table", fit.reliability_html)
        mia, quinn = (
            self._score(self.mia, self.history_co),
            self._score(self.quinn, self.history_co),
        )
        self.assertNotEqual(mia.status, "active")
        self.assertGreaterEqual(mia.churn_risk, self.history_co.winback_at_risk_risk)
        self.assertEqual(quinn.status, "active")
        self.assertLess(quinn.churn_risk, 35)
        # the silence comes first, in the customer's own rhythm (about 30 days)
        self.assertRegex(
            mia.churn_drivers.split("\n")[0],
            r"^120 days since the last order, 3\.\d times the usual interval of 3\d days$",
        )
        # predictions: the next order about one usual interval after the last one, and a
        # year's value of about four orders of 100
        expected_gap = (quinn.expected_order_date - quinn.last_order_date).days
        self.assertAlmostEqual(expected_gap, 90, delta=10)
        self.assertAlmostEqual(quinn.predicted_value_12m, 400, delta=150)
        self.assertLess(mia.predicted_value_12m, quinn.predicted_value_12m)

    def test_stored_figures_reproduce_the_risk(self):
        """The SQL features and the Python ones (drivers) are the same formulas."""
        self._compute(self.history_co)
        fit = self.fits._latest(self.history_co)
        scores = self.scores.search([("company_id", "=", self.history_co.id)])
        X = np.vstack([score._feature_row() for score in scores])
        risk = churn.logistic_predict(fit.model, X)
        gaps = np.abs(100 * risk - np.array(scores.mapped("churn_risk")))
        self.assertLess(gaps.max(), 2.5)

    def test_consistency_of_statuses_and_risk(self):
        self._compute(self.history_co)
        scores = self.scores.search([("company_id", "=", self.history_co.id)])
        by_status = {
            status: scores.filtered(lambda s, st=status: s.status == st).mapped("churn_risk")
            for status in ("active", "at_risk", "dormant", "lost")
        }
        self.assertTrue(by_status["active"] and by_status["lost"], by_status)
        self.assertGreater(min(by_status["lost"]), max(by_status["active"]))
        self.assertGreater(min(by_status["dormant"]), max(by_status["active"]))
        lost = scores.filtered(lambda s: s.status == "lost")[0]
        self.assertIn("Lost: silent for", lost.status_reason)
        # a reason recorded by hand makes a low-risk customer lost: the reason is on screen
        quinn = self._score(self.quinn, self.history_co)
        quinn._record_lost_reason(self.env.ref("winback.lost_reason_competitor"))
        self.assertEqual(quinn.status, "lost")
        self.assertLess(quinn.churn_risk, max(by_status["active"]) + 1)
        self.assertIn("a reason was recorded", quinn.status_reason)
        self.assertIn("Lost reason recorded", quinn.churn_drivers)

    def test_thresholds_move_the_statuses(self):
        self._compute(self.history_co)
        lost_before = self.scores.search_count(
            [("company_id", "=", self.history_co.id), ("status", "=", "lost")]
        )
        self.history_co.write({"winback_lost_factor": 50.0, "winback_dormant_factor": 40.0})
        self._compute(self.history_co)
        self.assertGreater(lost_before, 0)
        self.assertFalse(
            self.scores.search_count(
                [("company_id", "=", self.history_co.id), ("status", "=", "lost")]
            )
        )

    def test_short_history_shortens_the_horizon(self):
        company = self.env["res.company"].create({"name": "Young Co"})
        rng = np.random.default_rng(9)
        partners = self.env["res.partner"].create([{"name": f"Young {i}"} for i in range(200)])
        rows = []
        for partner in partners:
            first = int(rng.uniform(150, 260))
            stop = int(rng.uniform(0, first)) if rng.random() < 0.5 else 0
            rows += [(partner.id, day) for day in range(first, stop, -int(rng.uniform(20, 50)))]
        self._bulk_orders(company, rows)
        self._compute(company)
        fit = self.fits._latest(company)
        self.assertEqual(fit.method, "backtest", fit.message)
        history = max(d for _p, d in rows)
        self.assertEqual(fit.horizon_days, history - 90)
        self.assertGreaterEqual(fit.horizon_days, 60)
        self.assertIn("the longest the order history allows", fit.message)
        self.assertEqual(self._score(partners[0], company).churn_horizon_days, fit.horizon_days)

    def test_fallback_when_history_too_short(self):
        young = self.env["res.company"].create({"name": "Too young Co"})
        self._history(self.make_partner("Early Eve"), [100, 70, 40], company=young)
        self._compute(young)
        fit = self.fits._latest(young)
        self.assertEqual(fit.method, "mbg")
        self.assertIn("too short", fit.message)
        self.assertIn("MBG/NBD", fit.message)
        # too few customers, long enough history: also the fallback, saying why
        few = self.env["res.company"].create({"name": "Few Co"})
        self._history(self.make_partner("Old Olive"), [700, 500, 300, 100], company=few)
        self._compute(few)
        fit = self.fits._latest(few)
        self.assertEqual(fit.method, "mbg")
        self.assertIn("Too few customers", fit.message)
        score = self._score(self.env["res.partner"].search([("name", "=", "Old Olive")]), few)
        risk = churn.churn_risk([3], [600], [700], horizon=365)[0][0]
        self.assertTrue(0 <= score.churn_risk <= 100)
        self.assertTrue(abs(score.churn_risk - 100 * risk) < 40)

    def test_drivers_in_words(self):
        self._compute(self.history_co)
        mia = self._score(self.mia, self.history_co)
        self.env["helpdesk.ticket"].create(
            [
                {
                    "name": f"Broken grinder {i}",
                    "description": "It broke",
                    "partner_id": self.mia.id,
                    "company_id": self.history_co.id,
                }
                for i in range(2)
            ]
        )
        self._compute(self.history_co)
        self.assertEqual(mia.complaints_90d, 2)
        # a model in which complaints weigh most: two complaints this quarter come first
        model = dict(self.fits._latest(self.history_co).model)
        model["coef"] = [0.0] * len(churn.FEATURES)
        model["coef"][churn.FEATURES.index("complaints")] = 3.0
        model["mean"] = [0.0] * len(churn.FEATURES)
        model["scale"] = [1.0] * len(churn.FEATURES)
        sentences = mia._driver_sentences(model, 365)
        self.assertEqual(sentences, ["2 complaints (tickets) in the last 90 days"])
        fr = mia.with_context(lang="fr_FR")
        if self.env["res.lang"]._lang_get("fr_FR"):
            self.assertIn("réclamations", fr._driver_sentences(model, 365)[0])

    def test_fit_access(self):
        self._compute(self.history_co)
        self._compute(self.company_b)
        fit = self.fits._latest(self.history_co)
        manager = self.manager
        manager.company_ids |= self.history_co
        self.assertEqual(fit.with_user(manager).read(["auc"])[0]["auc"], fit.auc)
        with self.assertRaises(AccessError):
            fit.with_user(self.agent).read(["auc"])
        # another company's manager sees nothing of it
        self.assertFalse(
            self.fits.with_user(self.manager_b).search([("company_id", "=", self.history_co.id)])
        )
        with self.assertRaises(AccessError):
            fit.with_user(self.manager_b).read(["auc"])
        with self.assertRaises(AccessError):
            fit.with_user(manager).write({"auc": 1.0})
        # the customers' drivers stay readable by agents
        score = self._score(self.mia, self.history_co)
        self.agent.company_ids |= self.history_co
        self.assertTrue(score.with_user(self.agent).churn_drivers)

    def test_campaign_segment_expected_by_now(self):
        self._compute(self.history_co)
        campaign = (
            self.env["winback.campaign"]
            .with_company(self.history_co)
            .create(
                {
                    "name": "Nudge the late ones",
                    "company_id": self.history_co.id,
                    "segment_at_risk": False,
                    "segment_dormant": False,
                    "segment_lost": False,
                    "segment_expected": True,
                    "min_orders": 1,
                    "holdout_percent": 0,
                }
            )
        )
        campaign._target()
        expected = self.scores.search(
            [("company_id", "=", self.history_co.id), ("expected_order_date", "<", self.today)]
        )
        self.assertTrue(expected)
        self.assertEqual(set(campaign.member_ids.partner_id.ids), set(expected.partner_id.ids))
        self.assertIn(self.mia, campaign.member_ids.partner_id)
        self.assertNotIn(self.quinn, campaign.member_ids.partner_id)

    def test_upgrade_recomputes_the_statuses(self):
        """migrations/18.0.1.1.0/post-churn.py rescores every company already scored."""
        migration = load_migration("winback", "18.0.1.1.0", "post-churn")
        self._compute(self.history_co)
        mia = self._score(self.mia, self.history_co)
        # statuses as the fixed-day thresholds left them, before the upgrade
        self.env.cr.execute(
            SQL(
                "UPDATE winback_customer_score SET status = 'active', churn_risk = 0 "
                "WHERE company_id = %s",
                self.history_co.id,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE res_company SET winback_scored_on = %s WHERE id = %s",
                self.today - timedelta(days=1),
                self.history_co.id,
            )
        )
        self.env.invalidate_all()
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertNotEqual(mia.status, "active")
        self.assertGreaterEqual(mia.churn_risk, self.history_co.winback_at_risk_risk)
        migration.migrate(self.env.cr, "18.0.1.0.0")  # idempotent
        self.env.invalidate_all()
        self.assertNotEqual(mia.status, "active")
