import math
from collections import defaultdict

from odoo import api, fields, models

from .care_constants import TIERS
from .care_helpers import background_notice

# Past cases looked at: gestures and gesture-less tickets of the last two years whose
# return window is over (a case still inside its window has no known outcome yet).
LOOKBACK_DAYS = 730
# Fewer gestures with a known outcome than this: too little history, the charter's order.
MIN_CASES = 30
# Prior strength (in cases) when groups differ no more than chance says they would,
# and when it cannot be estimated (fewer than two groups).
MAX_STRENGTH = 1000.0
DEFAULT_STRENGTH = 10.0
Z95 = 1.96
SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
# Two tickets or more over the last 12 months (the case's own included): repeat complaints.
REPEAT_COMPLAINTS = 2
CASE_TABLE = "care_effect_case"


def cell_key(severity, team_id, tier, detractor, repeat):
    """The kind of case, as stored in ``loyalty.gesture.effect.cell_key``."""
    return "%s|%s|%s|%d|%d" % (
        severity or "medium",
        team_id or 0,
        tier or "standard",
        bool(detractor),
        bool(repeat),
    )


def chance_spread(groups, mean):
    """Case-weighted sum of squares of the groups' rates around ``mean``, in units of the
    binomial variance: about the number of groups when only chance sets them apart."""
    return sum(n * (k / n - mean) ** 2 for n, k in groups) / (mean * (1.0 - mean))


def moments_strength(spread, count, total):
    """Prior strength M from :func:`chance_spread` over ``count`` groups of ``total`` cases.

    With rho = 1 / (M + 1) the intra-class correlation, the spread's expectation is
    C + rho (N - C): rho = (spread - C) / (N - C). No spread beyond chance (rho <= 0)
    pools completely (``MAX_STRENGTH``); None when it cannot be estimated.
    """
    if count < 2 or total <= count:
        return None
    rho = (spread - count) / (total - count)
    if rho <= 1.0 / (MAX_STRENGTH + 1.0):
        return MAX_STRENGTH
    return min(max(1.0 / rho - 1.0, 1.0), MAX_STRENGTH)


def prior_strength(groups, mean):
    """Beta-binomial prior strength M by the method of moments (:func:`moments_strength`).

    ``groups``: ``[(cases, successes)]`` sharing the expected rate ``mean``.
    """
    groups = [(n, k) for n, k in groups if n]
    if not 0.0 < mean < 1.0:
        return None
    total = sum(n for n, _k in groups)
    return moments_strength(chance_spread(groups, mean), len(groups), total)


def shrink(cases, successes, mean, strength):
    """Posterior mean and 95 % interval of a rate shrunk toward ``mean``."""
    alpha = successes + strength * mean
    beta = cases - successes + strength * (1.0 - mean)
    if alpha + beta <= 0:
        return mean, mean, mean
    rate = alpha / (alpha + beta)
    half = Z95 * math.sqrt(rate * (1.0 - rate) / (alpha + beta + 1.0))
    return rate, max(rate - half, 0.0), min(rate + half, 1.0)


class LoyaltyGestureEffect(models.Model):
    """What each gesture type achieved, per kind of case, in the company's own history.

    Computed each night (``_cron_compute``) from past gestures and from the tickets of the
    same kind and period that got none (the baseline): the share of customers who ordered
    again within the return window, coupon redemption, the next NPS/CSAT answer, the cost.
    Rates are shrunk (empirical Bayes, beta-binomial) toward the type's overall rate, and
    the type's toward the company's, so a type tried twice does not lead by chance. These
    are associations observed in past cases, not proven causes.
    """

    _name = "loyalty.gesture.effect"
    _description = "Measured effect of a gesture"
    _order = "company_id, scope desc, net_value desc, id"
    _rec_name = "type_id"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    type_id = fields.Many2one(
        "loyalty.gesture.type",
        string="Gesture type",
        ondelete="cascade",
        readonly=True,
        help="Empty: tickets of this kind that got no gesture (the baseline).",
    )
    is_baseline = fields.Boolean(string="No gesture (baseline)", readonly=True)
    scope = fields.Selection(
        [("case", "Kind of case"), ("type", "All cases")],
        string="Figures of",
        required=True,
        readonly=True,
        help="Figures of one kind of case, or of all the type's cases.",
    )
    cell_key = fields.Char(string="Kind of case (key)", index=True, readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    team_id = fields.Many2one("helpdesk.ticket.team", string="Helpdesk team", readonly=True)
    tier = fields.Selection(TIERS, string="Customer tier", readonly=True)
    detractor = fields.Boolean(readonly=True, help="The customer's last NPS answer was 0 to 6.")
    repeat_complaints = fields.Boolean(
        string="Repeat complaints",
        readonly=True,
        help="Two tickets or more over the 12 months before the case.",
    )
    case_count = fields.Integer(string="Past cases", readonly=True)
    return_count = fields.Integer(string="Came back", readonly=True)
    raw_return_rate = fields.Float(
        string="Observed return (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    return_rate = fields.Float(
        string="Return rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of customers who ordered again within the return window, shrunk toward "
        "the type's overall rate when there are few cases.",
    )
    return_rate_low = fields.Float(
        string="Return, 95 % low", readonly=True, aggregator="avg", digits=(16, 1)
    )
    return_rate_high = fields.Float(
        string="Return, 95 % high", readonly=True, aggregator="avg", digits=(16, 1)
    )
    baseline_rate = fields.Float(
        string="Without a gesture (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Return rate of tickets of the same kind and period that got no gesture.",
    )
    lift = fields.Float(
        string="Lift (points)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Return rate minus the baseline: an association, not a proven cause.",
    )
    return_value = fields.Monetary(
        string="Revenue of a return",
        readonly=True,
        aggregator="avg",
        help="Average revenue within the return window of the customers who came back.",
    )
    cost = fields.Monetary(string="Average cost", readonly=True, aggregator="avg")
    total_cost = fields.Monetary(string="Total cost", readonly=True)
    net_value = fields.Monetary(
        string="Net value per case",
        readonly=True,
        aggregator="avg",
        help="Lift times the revenue of a return, minus the average cost.",
    )
    coupon_count = fields.Integer(string="Coupons", readonly=True)
    redeemed_count = fields.Integer(string="Coupons redeemed", readonly=True)
    redemption_rate = fields.Float(
        string="Redeemed (%)", readonly=True, aggregator="avg", digits=(16, 1)
    )
    nps_count = fields.Integer(string="NPS answers", readonly=True)
    next_nps = fields.Float(
        string="Next NPS score", readonly=True, aggregator="avg", digits=(16, 1)
    )
    csat_count = fields.Integer(string="CSAT answers", readonly=True)
    next_csat = fields.Float(
        string="Next CSAT score", readonly=True, aggregator="avg", digits=(16, 1)
    )
    prior_strength = fields.Float(
        string="Prior strength",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="How many cases' worth the overall rate weighs against this group's own cases "
        "(method of moments across groups).",
    )
    computed_on = fields.Datetime(string="Computed on", readonly=True)

    # --- Actions ---

    @api.model
    def action_recompute(self):
        """Managers' button: the nightly job runs now, in the background (the list shows
        when each row was computed)."""
        self.check_access("read")
        # sudo: managers cannot read scheduled actions; queuing this one is what the button does
        self.env.ref("loyalty_gesture.ir_cron_gesture_effects").sudo()._trigger()
        return background_notice(
            self.env._("The figures are being recomputed; reload in a minute."), reload=False
        )

    # --- Reading, for the grant wizard ---

    @api.model
    def _effects_for_case(self, company, key):
        """The company's figures for one kind of case: one query whatever the history.

        :return: ``{type id (0: baseline): {"type": effect, "case": effect or None}}``
        """
        # sudo: agents read these aggregates through the grant wizard only (figures of the
        # company's past cases, no customer in them); they have no access to the model itself
        effects = self.sudo().search_fetch(
            [
                ("company_id", "=", company.id),
                "|",
                ("scope", "=", "type"),
                ("cell_key", "=", key),
            ],
            [
                "type_id",
                "scope",
                "case_count",
                "return_count",
                "return_rate",
                "return_rate_low",
                "return_rate_high",
                "baseline_rate",
                "return_value",
                "cost",
            ],
        )
        result = defaultdict(lambda: {"type": None, "case": None})
        for effect in effects:
            result[effect.type_id.id or 0][effect.scope] = effect
        return dict(result)
