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
