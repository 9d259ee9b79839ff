import math
from datetime import timedelta

import numpy as np
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import churn, churn_sql

MIN_HORIZON = 60  # days: the shortest horizon worth back-testing
MIN_CALIBRATION = 60  # days of history before the earliest cut-off
MAX_CUTOFFS = 4
SAMPLE = 30000  # customers per cut-off at most in the back-test (a hash sample)
MIN_ROWS = 10  # churned and non-churned customers needed on each side of the back-test


class WinbackChurnFit(models.Model):
    """The churn model of one company, fitted on its own past by the nightly action.

    At several cut-off dates in the past, each customer's figures before the cut-off
    (:data:`..tools.churn.FEATURES`) and whether they ordered within the horizon after it;
    a regularised logistic regression chosen on the most recent cut-off (out of time) and
    refitted on all, applied today by the scoring. When the history is too short, the
    MBG/NBD model alone (``method = "mbg"``) and :attr:`message` says why.
    """

    _name = "winback.churn.fit"
    _description = "Churn model fit"
    _order = "date desc, id desc"
    _rec_name = "date"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Date(required=True, readonly=True, help="Day the model was fitted.")
    method = fields.Selection(
        [
            ("backtest", "Back-tested on the company's history"),
            ("mbg", "MBG/NBD purchase model (history too short)"),
        ],
        required=True,
        readonly=True,
    )
    horizon_days = fields.Integer(
        string="Horizon (days)",
        readonly=True,
        help="The churn risk is the probability of no order within this many days.",
    )
    configured_horizon_days = fields.Integer(string="Configured horizon (days)", readonly=True)
    cutoff_dates = fields.Char(string="Cut-off dates", readonly=True)
    regularization = fields.Float(
        string="Regularisation C",
        readonly=True,
        digits=(16, 3),
        help="Inverse strength of the L2 penalty, chosen on the most recent cut-off.",
    )
    training_rows = fields.Integer(readonly=True)
    validation_rows = fields.Integer(readonly=True)
    churn_rate = fields.Float(
        string="Observed churn (%)",
        readonly=True,
        digits=(16, 1),
        help="Share of the customers of the validation cut-off who did not order within "
        "the horizon.",
    )
    brier = fields.Float(
        string="Brier score",
        readonly=True,
        digits=(16, 4),
        help="Mean squared gap between the predicted risk and what happened, on the most "
        "recent cut-off (0 is perfect, 0.25 a coin toss).",
    )
    brier_mbg = fields.Float(string="Brier score, MBG/NBD", readonly=True, digits=(16, 4))
    auc = fields.Float(
        string="AUC",
        readonly=True,
        digits=(16, 3),
        help="How well the risk ranks the customers who did not come back above those who "
        "did, on the most recent cut-off (0.5 is chance, 1 perfect).",
    )
    auc_recency = fields.Float(string="AUC, days since last order", readonly=True, digits=(16, 3))
    auc_expected = fields.Float(
        string="AUC, MBG/NBD expected purchases", readonly=True, digits=(16, 3)
    )
    reliability = fields.Json(string="Reliability table", readonly=True)
    model = fields.Json(readonly=True)
    spend_p = fields.Float(readonly=True, digits=(16, 4))
    spend_q = fields.Float(readonly=True, digits=(16, 4))
    spend_v = fields.Float(readonly=True, digits=(16, 4))
    message = fields.Text(readonly=True)
    reliability_html = fields.Html(
        string="Reliability", compute="_compute_reliability_html", sanitize=False
    )
    weights_html = fields.Html(
        string="What weighs", compute="_compute_weights_html", sanitize=False
    )

    @api.depends("reliability")
    @api.depends_context("lang")
    def _compute_reliability_html(self):
        head = (
            self.env._("Predicted risk"),
            self.env._("Customers"),
            self.env._("Mean predicted"),
            self.env._("Observed churn"),
        )
        for fit in self:
            rows = fit.reliability or []
            if not rows:
                fit.reliability_html = False
                continue
            body = Markup("").join(
                Markup("<tr><td>%s-%s %%</td><td>%s</td><td>%s %%</td><td>%s %%</td></tr>")
                % (round(100 * lo), round(100 * hi), n, round(100 * pred, 1), round(100 * obs, 1))
                for lo, hi, n, pred, obs in rows
            )
            fit.reliability_html = Markup(
                '<table class="table table-sm"><thead><tr>%s</tr></thead><tbody>%s'
            ) % (Markup("").join(Markup("<th>%s</th>") % h for h in head), body) + Markup(
                "</tbody></table>"
            )

    @api.depends("model")
    @api.depends_context("lang")
    def _compute_weights_html(self):
        labels = feature_labels(self.env)
        for fit in self:
            if not fit.model:
                fit.weights_html = False
                continue
            pairs = sorted(
                zip(churn.FEATURES, fit.model["coef"], strict=True), key=lambda p: -abs(p[1])
            )
            body = Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td></tr>") % (labels[name], f"{coef:+.2f}")
                for name, coef in pairs
            )
            fit.weights_html = (
                Markup('<table class="table table-sm"><thead><tr><th>%s</th><th>%s</th></tr>')
                % (self.env._("Figure"), self.env._("Weight (per standard deviation)"))
                + Markup("</thead><tbody>%s</tbody></table>") % body
            )

    # --- Business ---

    @api.model
    def _latest(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)

    @api.model
    def _fit_company(self, company, today):
        """Back-test and fit the company's churn model as of ``today``; a new record."""
        cr = self.env.cr
        configured = company.winback_horizon_days
        first_day, customers = self.env.execute_query(
            SQL(
                "SELECT MIN(day), COUNT(DISTINCT partner_id) FROM (%s) o",
                churn_sql.orders_sql(company.id, today),
            )
        )[0]
        values = {
            "company_id": company.id,
            "date": today,
            "method": "mbg",
            "configured_horizon_days": configured,
            "horizon_days": configured,
        }
        share = min(1000, math.ceil(1000 * SAMPLE / max(customers, 1)))
        values.update(self._fit_spend(company, today, share))
        plan = _plan(first_day, today, configured)
        if not plan:
            history = (today - first_day).days if first_day else 0
            values["message"] = self.env._(
                "The order history (%(days)s days) is too short to test the model on the "
                "company's past (at least %(needed)s days are needed): the churn risk comes "
                "from the MBG/NBD purchase model alone.",
                days=history,
                needed=MIN_HORIZON + MIN_CALIBRATION + 30,
            )
            return self.create(values)
        horizon, cutoffs = plan
        values["horizon_days"] = horizon
        values["cutoff_dates"] = ", ".join(str(c) for c in cutoffs)
        cut = SQL(
            "(VALUES %s) AS c(k, cutoff)",
            SQL(", ").join(SQL("(%s, %s::date)", k, c) for k, c in enumerate(cutoffs)),
        )
        cr.execute(SQL("DROP TABLE IF EXISTS winback_backtest"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE winback_backtest ON COMMIT DROP AS
                WITH days AS (
                    SELECT * FROM (%(orders)s) o
                     WHERE mod(abs(hashint4(o.partner_id)), 1000) < %(share)s
                ), gaps AS (
                    SELECT c.k, c.cutoff, d.*,
                           d.day - LAG(d.day) OVER (PARTITION BY c.k, d.partner_id
                                                    ORDER BY d.day) AS gap
                      FROM days d JOIN %(cut)s ON d.day <= c.cutoff
                ), agg AS (
                    SELECT k, partner_id, %(aggregates)s FROM gaps GROUP BY k, cutoff, partner_id
                ), future AS (
                    SELECT DISTINCT c.k, d.partner_id
                      FROM days d JOIN %(cut)s
                        ON d.day > c.cutoff AND d.day <= c.cutoff + %(horizon)s
                )
                SELECT agg.*, e.tickets, e.gestures, e.nps, f.partner_id IS NULL AS churned
                  FROM agg
             LEFT JOIN future f USING (k, partner_id)
             LEFT JOIN (%(extras)s) e USING (k, partner_id)
                """,
                orders=churn_sql.orders_sql(company.id, today),
                share=share,
                cut=cut,
                aggregates=churn_sql.aggregates_sql(SQL("cutoff")),
                horizon=horizon,
                extras=churn_sql.extras_sql(company.id, cut),
            )
        )
        histories = self.env.execute_query(
            SQL(
                "SELECT k, days - 1, span, GREATEST(age, span), COUNT(*) "
                "FROM winback_backtest GROUP BY 1, 2, 3, 4 ORDER BY 1"
            )
        )
        params = []
        for k in range(len(cutoffs)):
            rows = [row[1:] for row in histories if row[0] == k]
            if rows:
                x, tx, T, w = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
                params.append((k, churn.fit(x.astype(int), tx, T, weights=w), horizon))
        rows = (
            self.env.execute_query(
                SQL(
                    "SELECT k, churned::int, x, span, t, %s FROM (%s) f",
                    churn_sql.features_select(),
                    churn_sql.model_sql(SQL("winback_backtest i"), churn_sql.params_sql(params)),
                )
            )
            if params
            else []
        )
        cr.execute(SQL("DROP TABLE winback_backtest"))
        data = np.array(rows, dtype=float).reshape(-1, 5 + len(churn.FEATURES))
        fold, label, X = data[:, 0], data[:, 1], data[:, 5:]
        sides = [
            int(((fold == 0) == valid).sum() and (label[(fold == 0) == valid] == side).sum())
            for valid in (True, False)
            for side in (0, 1)
        ]
        if min(sides) < MIN_ROWS:
            values["message"] = self.env._(
                "Too few customers in the company's past to test the model (at least "
                "%(count)s who came back and %(count)s who did not are needed at each "
                "cut-off): the churn risk comes from the MBG/NBD purchase model alone.",
                count=MIN_ROWS,
            )
            return self.create(values)
        model, report = churn.backtest(X, label, fold)
        valid = fold == 0
        k0 = dict((k, p) for k, p, _h in params)[0]
        mbg_risk = churn.churn_risk(
            data[valid, 2], data[valid, 3], data[valid, 4], horizon=horizon, params=k0
        )[0]
        recency = X[valid, churn.FEATURES.index("recency")]
        expected = X[valid, churn.FEATURES.index("expected")]
        values.update(
            {
                "method": "backtest",
                "model": model,
                "regularization": report["C"],
                "training_rows": report["training_rows"],
                "validation_rows": report["validation_rows"],
                "churn_rate": 100 * report["churn_rate"],
                "brier": report["brier"],
                "brier_mbg": churn.brier(mbg_risk, label[valid]),
                "auc": report["auc"],
                "auc_recency": churn.roc_auc(recency, label[valid]),
                "auc_expected": churn.roc_auc(-expected, label[valid]),
                "reliability": report["reliability"],
            }
        )
        if horizon < configured:
            values["message"] = self.env._(
                "Tested on %(count)s cut-off dates (%(dates)s) with a horizon of %(horizon)s "
                "days, the longest the order history allows (the configured horizon is "
                "%(configured)s days): the churn risk is the probability of no order within "
                "%(horizon)s days.",
                count=len(cutoffs),
                dates=values["cutoff_dates"],
                horizon=horizon,
                configured=configured,
            )
        else:
            values["message"] = self.env._(
                "Tested on %(count)s cut-off dates (%(dates)s): the churn risk is the "
                "probability of no order within %(horizon)s days.",
                count=len(cutoffs),
                dates=values["cutoff_dates"],
                horizon=horizon,
            )
        return self.create(values)

    def _fit_spend(self, company, today, share):
        """Gamma-Gamma spend parameters on the customers' average purchase values."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT days, round((revenue / days)::numeric, 2)::float8, COUNT(*)
                  FROM (SELECT partner_id, COUNT(*) AS days, SUM(amount) AS revenue
                          FROM (%s) o
                         WHERE mod(abs(hashint4(o.partner_id)), 1000) < %s
                      GROUP BY partner_id) c
                 WHERE revenue > 0
              GROUP BY 1, 2
                """,
                churn_sql.orders_sql(company.id, today),
                share,
            )
        )
        if rows:
            n, m, w = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
            p, q, v = churn.gamma_gamma_fit(n, m, weights=w)
        else:
            p, q, v = churn.GG_DEFAULT
        return {"spend_p": p, "spend_q": q, "spend_v": v}


def _plan(first_day, today, configured):
    """``(horizon, cut-off dates, most recent first)`` for the back-test, or None."""
    if not first_day:
        return None
    history = (today - first_day).days
    horizon = min(configured, history - MIN_CALIBRATION - 30)
    if horizon < MIN_HORIZON:
        return None
    for step in (max(30, horizon // 4), 30):
        cutoffs = [
            today - timedelta(days=horizon + k * step)
            for k in range(MAX_CUTOFFS)
            if (today - timedelta(days=horizon + k * step) - first_day).days >= MIN_CALIBRATION
        ]
        if len(cutoffs) >= 2:
            return horizon, cutoffs
    return None


def feature_labels(env):
    return {
        "recency": env._("Days since the last order"),
        "overdue": env._("Silence against the usual interval"),
        "frequency": env._("Repeat purchases"),
        "tenure": env._("Time since the first order"),
        "monetary": env._("Average spend per purchase"),
        "irregularity": env._("Irregular intervals"),
        "trend": env._("Recent purchases against the half-year before"),
        "p_alive": env._("Still a customer (MBG/NBD)"),
        "expected": env._("Expected purchases (MBG/NBD)"),
        "complaints": env._("Tickets, last 90 days"),
        "gestures": env._("Gestures, last 12 months"),
        "detractor": env._("Detractor (last NPS 0-6)"),
        "promoter": env._("Promoter (last NPS 9-10)"),
    }
