import numpy as np

from odoo.addons.winback.tools import churn
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestChurnModel(TransactionCase):
    """The churn score ranks future non-buyers on simulated, independent histories."""

    def _aucs(self, seed, customers=1500):
        # generative process: Gamma-distributed Poisson rates, Beta-distributed dropout
        # after each purchase, customers acquired all along two years; label = no
        # purchase during the following year
        x, tx, T, churned = churn.simulate(customers=customers, seed=seed)
        self.assertTrue(0.2 < churned.mean() < 0.9, "both classes are represented")
        risk, alive, params = churn.churn_risk(x, tx, T, horizon=365)
        recency = T - tx
        classic = churn.p_alive(churn.fit(x, tx, T, variant="bg"), x, tx, T, variant="bg")
        return {
            "score": churn.roc_auc(risk, churned),
            "threshold_180": churn.roc_auc(recency > 180, churned),
            "recency": churn.roc_auc(recency, churned),
            "bgnbd": churn.roc_auc(-classic, churned),
            "params": params,
            "risk": risk,
            "alive": alive,
        }

    def test_auc_beats_baselines(self):
        for seed in (11, 12, 13):
            aucs = self._aucs(seed)
            self.assertGreater(aucs["score"], 0.7)
            self.assertGreater(aucs["score"], aucs["threshold_180"] + 0.03)
            self.assertGreater(aucs["score"], aucs["recency"])
            self.assertGreater(aucs["score"], aucs["bgnbd"])
            self.assertTrue(np.all((aucs["risk"] >= 0) & (aucs["risk"] <= 1)))
            self.assertTrue(np.all((aucs["alive"] >= 0) & (aucs["alive"] <= 1)))

    def test_fit_recovers_population(self):
        # the simulation uses r=1.5, alpha=40 days, a=1, b=4
        r, alpha, a, b = self._aucs(21, customers=3000)["params"]
        self.assertAlmostEqual(r, 1.5, delta=0.5)
        self.assertAlmostEqual(alpha, 40, delta=15)
        self.assertAlmostEqual(a / (a + b), 0.2, delta=0.08)

    def test_own_rhythm(self):
        """The same silence is riskier for a frequent buyer than for a rare one."""
        params = (1.0, 60.0, 1.0, 4.0)
        # 12 purchases in a year then 150 days of silence (5 usual intervals), vs 2
        # purchases a year apart and the same silence (less than one interval)
        risk, alive, _params = churn.churn_risk(
            [11, 1], [365, 365], [515, 515], horizon=365, params=params
        )
        self.assertGreater(risk[0], risk[1])
        self.assertLess(alive[0], alive[1])
        # a longer silence always raises the risk
        risk, _alive, _params = churn.churn_risk(
            [5, 5], [200, 200], [230, 400], horizon=365, params=params
        )
        self.assertGreater(risk[1], risk[0])

    def test_auc_helper(self):
        self.assertEqual(churn.roc_auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1.0)
        self.assertEqual(churn.roc_auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0.0)
        self.assertEqual(churn.roc_auc([0.5, 0.5], [0, 1]), 0.5)

    def test_tiny_and_empty_populations(self):
        risk, _alive, params = churn.churn_risk([], [], [])
        self.assertEqual(len(risk), 0)
        risk, _alive, params = churn.churn_risk([0], [0], [10])
        self.assertTrue(0 <= risk[0] <= 1)
        self.assertTrue(all(np.isfinite(params)))


@tagged("post_install", "-at_install")
class TestChurnTools(TransactionCase):
    """The numpy pieces of the back-tested model, against known answers."""

    def test_logistic_regression_recovers_a_known_model(self):
        rng = np.random.default_rng(3)
        X = rng.normal(size=(20000, 3)) * [1.0, 5.0, 1.0] + [0.0, 10.0, 0.0]
        y = rng.random(20000) < 1 / (1 + np.exp(-(0.5 + 1.5 * X[:, 0] - 0.2 * (X[:, 1] - 10))))
        model = churn.logistic_fit(X, y, C=100.0)
        # coefficients per standard deviation: 1.5 * 1, -0.2 * 5, and nothing for noise
        self.assertAlmostEqual(model["coef"][0], 1.5, delta=0.1)
        self.assertAlmostEqual(model["coef"][1], -1.0, delta=0.1)
        self.assertAlmostEqual(model["coef"][2], 0.0, delta=0.06)
        # a strong penalty shrinks every coefficient towards 0
        shrunk = churn.logistic_fit(X, y, C=0.0001)
        self.assertLess(max(abs(c) for c in shrunk["coef"]), 0.5)
        p = churn.logistic_predict(model, X)
        self.assertAlmostEqual(p.mean(), y.mean(), delta=0.01)
        self.assertLess(churn.brier(p, y), churn.brier(np.full(len(y), y.mean()), y))
        table = churn.reliability(p, y)
        self.assertEqual(sum(row[2] for row in table), len(y))
        for _low, _high, count, predicted, observed in table:
            if count > 500:
                self.assertAlmostEqual(predicted, observed, delta=0.05)

    def test_backtest_chooses_c_out_of_time(self):
        rng = np.random.default_rng(4)
        X = rng.normal(size=(3000, 5))
        y = rng.random(3000) < 1 / (1 + np.exp(-2 * X[:, 0]))
        fold = np.repeat([0, 1, 2], 1000)
        model, report = churn.backtest(X, y, fold)
        self.assertIn(report["C"], churn.C_GRID)
        self.assertEqual(report["validation_rows"], 1000)
        self.assertEqual(report["training_rows"], 2000)
        self.assertGreater(report["auc"], 0.8)
        self.assertEqual(len(model["coef"]), 5)

    def test_expected_purchases(self):
        params = (0.8, 50.0, 1.4, 3.0)
        x = np.array([0, 2, 10, 10])
        tx = np.array([0, 100, 300, 300])
        T = np.array([60, 200, 310, 600])
        exact = churn.expected_purchases_exact(params, x, tx, T, 180)
        plug_in = churn.expected_purchases(params, x, tx, T, 180)
        # known values of the closed form (scipy's hyp2f1 gives the same)
        self.assertTrue(np.all(exact > 0))
        self.assertGreater(exact[2], exact[3], "a long silence lowers what is expected")
        self.assertGreater(exact[2], exact[1])
        np.testing.assert_allclose(plug_in, exact, rtol=0.35)
        self.assertGreater(churn.roc_auc(exact, plug_in > np.median(plug_in)), 0.9)

    def test_gamma_gamma_spend(self):
        rng = np.random.default_rng(8)
        n = rng.integers(1, 12, 4000)
        nu = rng.gamma(3.0, 1 / 30.0, 4000)  # mean purchase value p / nu: about 6 * 30 / 2
        mean_spend = np.array([rng.gamma(6.0, 1 / v, k).mean() for v, k in zip(nu, n, strict=True)])
        p, q, v = churn.gamma_gamma_fit(n, mean_spend)
        self.assertAlmostEqual(p * v / (q - 1), 90, delta=10)
        spend = churn.gamma_gamma_spend((p, q, v), np.array([1, 50]), np.array([500.0, 500.0]))
        # one big purchase says less than fifty: drawn towards the population's mean
        self.assertLess(spend[0], spend[1])
        self.assertAlmostEqual(spend[1], 500, delta=40)
