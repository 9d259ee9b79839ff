import math

from odoo import fields, models

VARIANTS = [("a", "Offer A"), ("b", "Offer B")]
# two-sided 95 % quantile of the normal distribution, as the formula writes it
Z_95 = 1.96
# the normal approximation is rough below this many successes or failures in a group
MIN_OUTCOMES = 5


def uplift_interval(successes, count, ref_successes, ref_count, z=Z_95):
    """Uplift of a rate over a reference rate, with its confidence interval.

    Two-proportion normal approximation (unpooled, Wald): ``p1 - p0 ± z · sqrt(p1(1-p1)/n1
    + p0(1-p0)/n0)``, where ``p1 = successes / count`` (a variant's members) and ``p0 =
    ref_successes / ref_count`` (the holdout). Returns ``(uplift, low, high)`` as fractions,
    or None when either group is empty (nothing to compare).
    """
    if count <= 0 or ref_count <= 0:
        return None
    rate = successes / count
    ref_rate = ref_successes / ref_count
    uplift = rate - ref_rate
    margin = z * math.sqrt(rate * (1 - rate) / count + ref_rate * (1 - ref_rate) / ref_count)
    return uplift, uplift - margin, uplift + margin


def pick_winner(figures):
    """The better offer of an A/B test: ``figures`` is ``{variant: (reactivated, members,
    cost)}`` for ``"a"`` and ``"b"``.

    The winner is the variant whose test members came back more often (the higher
    reactivation rate); on a tie, the cheaper one per member; then offer A.

    Why the rate and not the higher lower bound of the uplift: the rest of the members get
    one of the two offers whatever the figures say, so this is a choice between two
    options, not a test of whether an offer works. Choosing the higher estimated rate is
    the choice with the best expected outcome. Both variants are compared with the same
    holdout, so their uplifts differ only by their rates; the lower bound then differs
    only by each variant's own sampling error, which grows with the rate while rates stay
    below 50 %: it would penalise the better offer. The rate also needs no holdout. The
    confidence intervals on the form say how sure the choice is.
    """
    (back_a, count_a, cost_a), (back_b, count_b, cost_b) = figures["a"], figures["b"]
    # rates compared as cross products: exact on integers, no tie lost to rounding
    if back_b * count_a != back_a * count_b:
        return "b" if back_b * count_a > back_a * count_b else "a"
    cost_per_a = cost_a / count_a if count_a else 0.0
    cost_per_b = cost_b / count_b if count_b else 0.0
    return "b" if cost_per_b < cost_per_a else "a"


class WinbackCampaign(models.Model):
    """What an A/B test of offers shows: each variant's test members against the holdout,
    with the uplift and its confidence interval, and the offer that leads."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    # the test's figures, per variant, against the holdout
    ab_awaiting_count = fields.Integer(compute="_compute_ab_results", string="Awaiting the winner")
    ab_leader = fields.Selection(
        VARIANTS,
        compute="_compute_ab_results",
        string="Leading offer",
        help="The offer that would win now: the higher reactivation rate among the test's "
        "members (on a tie, the cheaper per member).",
    )
    ab_has_holdout = fields.Boolean(compute="_compute_ab_results")
    ab_small_sample = fields.Boolean(
        compute="_compute_ab_results",
        help="Fewer than 5 customers came back, or stayed away, in a variant or the holdout: "
        "the normal approximation behind the intervals is rough.",
    )
    ab_a_count = fields.Integer(compute="_compute_ab_results", string="Members (A)")
    ab_a_reactivated_count = fields.Integer(compute="_compute_ab_results", string="Came back (A)")
    ab_a_rate = fields.Float(compute="_compute_ab_results", string="Reactivation (A, %)")
    ab_a_uplift = fields.Float(compute="_compute_ab_results", string="Uplift (A, points)")
    ab_a_uplift_low = fields.Float(compute="_compute_ab_results", string="Uplift low (A)")
    ab_a_uplift_high = fields.Float(compute="_compute_ab_results", string="Uplift high (A)")
    ab_a_revenue = fields.Monetary(compute="_compute_ab_results", string="Revenue (A)")
    ab_a_cost = fields.Monetary(compute="_compute_ab_results", string="Cost (A)")
    ab_a_roi = fields.Float(compute="_compute_ab_results", string="ROI (A, %)")
    ab_b_count = fields.Integer(compute="_compute_ab_results", string="Members (B)")
    ab_b_reactivated_count = fields.Integer(compute="_compute_ab_results", string="Came back (B)")
    ab_b_rate = fields.Float(compute="_compute_ab_results", string="Reactivation (B, %)")
    ab_b_uplift = fields.Float(compute="_compute_ab_results", string="Uplift (B, points)")
    ab_b_uplift_low = fields.Float(compute="_compute_ab_results", string="Uplift low (B)")
    ab_b_uplift_high = fields.Float(compute="_compute_ab_results", string="Uplift high (B)")
    ab_b_revenue = fields.Monetary(compute="_compute_ab_results", string="Revenue (B)")
    ab_b_cost = fields.Monetary(compute="_compute_ab_results", string="Cost (B)")
    ab_b_roi = fields.Float(compute="_compute_ab_results", string="ROI (B, %)")

    def _compute_ab_results(self):
        """The test's members per variant (the winner's later wave aside) and the holdout:
        reactivations, revenue, cost (offers and contacts) and ROI, the uplift over the
        holdout and its 95 % interval; one ``_read_group`` for all campaigns."""
        members = self.env["winback.campaign.member"]
        groups = members._read_group(
            [
                ("campaign_id", "in", self.ids),
                ("state", "!=", "excluded"),
                "|",
                ("is_holdout", "=", True),
                "&",
                ("offer_variant", "!=", False),
                ("winner_wave", "=", False),
            ],
            ["campaign_id", "is_holdout", "offer_variant", "reactivated", "contacted"],
            ["__count", "revenue:sum", "offer_cost:sum"],
        )
        awaiting = dict(
            members._read_group(
                [("campaign_id", "in", self.ids), ("awaiting_winner", "=", True)],
                ["campaign_id"],
                ["__count"],
            )
        )
        empty = {"count": 0, "back": 0, "revenue": 0.0, "offer_cost": 0.0, "contacted": 0}
        totals = {c.id: {k: dict(empty) for k in ("a", "b", "holdout")} for c in self}
        for campaign, holdout, variant, back, contacted, count, revenue, cost in groups:
            row = totals[campaign.id]["holdout" if holdout else variant]
            row["count"] += count
            row["back"] += count if back else 0
            row["revenue"] += revenue
            row["offer_cost"] += cost
            row["contacted"] += count if contacted else 0
        for campaign in self:
            rows = totals[campaign.id]
            holdout = rows["holdout"]
            values = {
                "ab_awaiting_count": awaiting.get(campaign, 0),
                "ab_has_holdout": bool(holdout["count"]),
                # the intervals are shown with a holdout only
                "ab_small_sample": bool(holdout["count"])
                and any(
                    min(row["back"], row["count"] - row["back"]) < MIN_OUTCOMES
                    for row in rows.values()
                    if row["count"]
                ),
            }
            figures = {}
            for variant in ("a", "b"):
                row = rows[variant]
                cost = row["offer_cost"] + row["contacted"] * campaign.contact_cost
                figures[variant] = (row["back"], row["count"], cost)
                interval = uplift_interval(
                    row["back"], row["count"], holdout["back"], holdout["count"]
                )
                uplift, low, high = interval or (0.0, 0.0, 0.0)
                prefix = f"ab_{variant}_"
                values |= {
                    prefix + "count": row["count"],
                    prefix + "reactivated_count": row["back"],
                    prefix + "rate": 100.0 * row["back"] / row["count"] if row["count"] else 0.0,
                    prefix + "uplift": 100.0 * uplift,
                    prefix + "uplift_low": 100.0 * low,
                    prefix + "uplift_high": 100.0 * high,
                    prefix + "revenue": row["revenue"],
                    prefix + "cost": cost,
                    prefix + "roi": 100.0 * (row["revenue"] - cost) / cost if cost else 0.0,
                }
            values["ab_leader"] = (
                pick_winner(figures)
                if campaign.ab_test and figures["a"][1] and figures["b"][1]
                else False
            )
            campaign.update(values)
