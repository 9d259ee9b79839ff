import numpy as np

from odoo import api, fields, models
from odoo.tools import format_amount

from ..tools import churn


class WinbackCustomerScore(models.Model):
    """Why a customer has their status and churn risk, in words."""

    _inherit = "winback.customer.score"  # pylint: disable=consider-merging-classes-inherited

    churn_drivers = fields.Text(compute="_compute_churn_drivers")
    status_reason = fields.Text(
        compute="_compute_status_reason",
        help="Why the customer has this status: their churn risk and silence against the "
        "company's thresholds, or a recorded lost reason.",
    )

    @api.depends(
        "overdue_ratio",
        "revenue_trend",
        "detractor",
        "purchase_days",
        "status",
        "churn_risk",
        "complaints_90d",
        "gestures_12m",
    )
    @api.depends_context("lang")
    def _compute_churn_drivers(self):
        for company, scores in self.grouped("company_id").items():
            fit = self.env["winback.churn.fit"].sudo()._latest(company)  # sudo: agents see drivers
            model = fit.model if fit.method == "backtest" else None
            for score in scores:
                drivers = score._driver_sentences(model, fit.horizon_days)
                if not drivers:
                    drivers.append(self.env._("Ordering at their usual rhythm"))
                score.churn_drivers = "\n".join(drivers)

    def _driver_sentences(self, model, horizon, top=3):
        """The customer's top reasons for their churn risk, in words (most weighty first)."""
        self.ensure_one()
        drivers = []
        if self.lost_reason_id and self.status == "lost":
            drivers.append(
                self.env._("Lost reason recorded: %(reason)s", reason=self.lost_reason_id.name)
            )
        if not model:
            return drivers + self._rule_sentences()
        weights = churn.contributions(model, self._feature_row())[0]
        sentences = self._feature_sentences(horizon)
        chosen = []
        for index in np.argsort(-weights):
            name = churn.FEATURES[index]
            sentence = sentences.get(name)
            if weights[index] < 0.1 or len(chosen) >= top:
                break
            if sentence and sentence not in chosen:
                chosen.append(sentence)
        return drivers + chosen

    def _rule_sentences(self):
        """Drivers of the MBG/NBD fallback: the rhythm, revenue and NPS facts."""
        sentences = []
        if self.purchase_days <= 1:
            sentences.append(self.env._("Single purchase so far"))
        elif self.overdue_ratio >= 1:
            sentences.append(self._silence_sentence())
        if self.revenue_trend <= -1:
            sentences.append(
                self.env._(
                    "Revenue down %(share)s%% year on year", share=round(-self.revenue_trend)
                )
            )
        if self.detractor:
            sentences.append(self.env._("Detractor (last NPS %(nps)s)", nps=self.last_nps))
        return sentences

    def _silence_sentence(self):
        return self.env._(
            "%(days)s days since the last order, %(ratio).1f times the usual "
            "interval of %(interval)s days",
            days=self.days_since_last_order,
            ratio=self.overdue_ratio,
            interval=round(self.usual_interval),
        )

    def _feature_sentences(self, horizon):
        """One sentence per model feature, with this customer's figure."""
        repeat = self.purchase_days - 1
        silence = self._silence_sentence()
        return {
            "recency": silence,
            "overdue": silence,
            "frequency": (
                self.env._("Single purchase so far")
                if repeat <= 0
                else self.env._("%(count)s purchase days so far", count=self.purchase_days)
            ),
            "tenure": self.env._(
                "First order %(days)s days ago",
                days=(self.computed_on - self.first_order_date).days
                if self.computed_on and self.first_order_date
                else 0,
            ),
            "monetary": self.env._(
                "Average purchase of %(amount)s",
                amount=format_amount(
                    self.env,
                    self.revenue / max(self.purchase_days, 1),
                    self.currency_id,
                ),
            ),
            "irregularity": self.env._("Irregular intervals between purchases"),
            "trend": self.env._(
                "Fewer purchases in the last six months than in the six months before"
            ),
            "p_alive": self.env._(
                "Their purchase pattern says they may have left (%(share)s%% likely still "
                "a customer)",
                share=round(self.p_alive),
            ),
            "expected": self.env._(
                "%(count).1f purchases expected within %(days)s days",
                count=self.expected_purchases,
                days=horizon,
            ),
            "complaints": self.env._(
                "%(count)s complaints (tickets) in the last 90 days", count=self.complaints_90d
            ),
            "gestures": self.env._(
                "%(count)s gestures granted in the last 12 months", count=self.gestures_12m
            ),
            "detractor": self.env._("Detractor (last NPS %(nps)s)", nps=self.last_nps),
            "promoter": self.env._("Promoter (last NPS %(nps)s)", nps=self.last_nps),
        }

    def _feature_row(self):
        """The model's features from the stored figures (the scoring SQL's formulas)."""
        self.ensure_one()
        x = max(self.purchase_days - 1, 0)
        span = (self.last_order_date - self.first_order_date).days if self.first_order_date else 0
        age = (
            (self.computed_on - self.first_order_date).days
            if self.computed_on and self.first_order_date
            else span
        )
        answered = self.detractor or self.last_nps >= 7
        return churn.feature_matrix(
            [self.days_since_last_order],
            [max(self.usual_interval, 1e-6)],
            [x],
            [max(age, span)],
            [self.revenue / max(self.purchase_days, 1)],
            [self.interval_cv],
            [self.recent_trend],
            [self.p_alive / 100.0],
            [self.expected_purchases],
            [self.complaints_90d],
            [self.gestures_12m],
            [self.last_nps if answered else np.nan],
        )

    @api.depends("status", "churn_risk", "overdue_ratio", "lost_reason_id", "revenue_trend")
    @api.depends_context("lang")
    def _compute_status_reason(self):
        for score in self:
            company = score.company_id
            figures = {
                "risk": score.churn_risk,
                "ratio": score.overdue_ratio,
                "at_risk_risk": company.winback_at_risk_risk,
                "lost_risk": company.winback_lost_risk,
                "at_risk_factor": company.winback_at_risk_factor,
                "dormant_factor": company.winback_dormant_factor,
                "lost_factor": company.winback_lost_factor,
            }
            if score.status == "lost" and score.lost_reason_id:
                reason = self.env._(
                    "Lost because a reason was recorded (%(reason)s), whatever the churn "
                    "risk of %(risk)s%%.",
                    reason=score.lost_reason_id.name,
                    risk=score.churn_risk,
                )
            elif score.status == "lost":
                reason = self.env._(
                    "Lost: silent for %(ratio).1f times their usual interval (from "
                    "%(lost_factor)s) and a churn risk of %(risk)s%% (from %(lost_risk)s%%).",
                    **figures,
                )
            elif score.status == "dormant":
                reason = self.env._(
                    "Dormant: silent for %(ratio).1f times their usual interval (from "
                    "%(dormant_factor)s) and a churn risk of %(risk)s%% (from "
                    "%(at_risk_risk)s%%).",
                    **figures,
                )
            elif score.status == "at_risk" and score.churn_risk >= company.winback_at_risk_risk:
                reason = self.env._(
                    "At risk: churn risk of %(risk)s%% (from %(at_risk_risk)s%%).", **figures
                )
            elif score.status == "at_risk" and score.overdue_ratio > company.winback_at_risk_factor:
                reason = self.env._(
                    "At risk: silent for %(ratio).1f times their usual interval (more than "
                    "%(at_risk_factor)s).",
                    **figures,
                )
            elif score.status == "at_risk":
                reason = self.env._(
                    "At risk: revenue down %(share)s%% year on year.",
                    share=round(-score.revenue_trend),
                )
            else:
                reason = self.env._(
                    "Active: churn risk of %(risk)s%%, below %(at_risk_risk)s%%.", **figures
                )
            score.status_reason = reason
