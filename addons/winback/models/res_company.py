from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    winback_at_risk_factor = fields.Float(
        string="At risk after (times the usual interval)",
        default=1.5,
        help="A customer is at risk when the days since their last order exceed this "
        "multiple of their own usual interval between orders.",
    )
    winback_at_risk_risk = fields.Integer(
        string="At risk from churn risk (%)",
        default=50,
        help="A customer is at risk when their churn risk reaches this level; no active "
        "customer has a churn risk this high.",
    )
    winback_revenue_drop = fields.Float(
        string="At risk on revenue drop (%)",
        default=30.0,
        help="A customer is at risk when their revenue of the last 12 months fell by at "
        "least this share versus the 12 months before.",
    )
    winback_dormant_factor = fields.Float(
        string="Dormant after (times the usual interval)",
        default=3.0,
        help="A customer is dormant when silent for this multiple of their usual interval "
        "with a churn risk of at least the at-risk level.",
    )
    winback_lost_factor = fields.Float(
        string="Lost after (times the usual interval)",
        default=5.0,
        help="A customer is lost when silent for this multiple of their usual interval "
        "with a churn risk of at least the lost level.",
    )
    winback_lost_risk = fields.Integer(
        string="Lost from churn risk (%)",
        default=80,
        help="Churn risk a customer must reach to be lost; a lost customer always has a "
        "higher churn risk than an active one, unless a lost reason was recorded.",
    )
    winback_horizon_days = fields.Integer(
        string="Churn horizon (days)",
        default=365,
        help="The churn risk is the probability of no order within this many days (or "
        "the longest horizon the order history allows, at least 60 days).",
    )
    winback_scored_on = fields.Date(
        string="Customer statuses computed on", readonly=True, copy=False
    )
    # background jobs' bookkeeping, written in SQL by the jobs and the buttons only
    winback_score_requested = fields.Boolean(
        string="Customer statuses requested",
        readonly=True,
        copy=False,
        help="A manager pressed Recompute: the scheduled action rescores the company (and "
        "refits its churn model) at its next run.",
    )
    winback_score_staged_on = fields.Date(
        string="Customer statuses being written",
        readonly=True,
        copy=False,
        help="Day of the scores being written in chunks by the scheduled action (empty "
        "when no scoring is under way).",
    )
    winback_score_cursor = fields.Integer(
        string="Customer statuses written up to",
        readonly=True,
        copy=False,
        help="Last customer (id) whose score the chunked writing stored.",
    )
    care_kpi_computed_on = fields.Datetime(
        string="Care figures computed on",
        readonly=True,
        copy=False,
        help="Start of the dashboard's last complete refresh: the next one recomputes only "
        "the months with orders, answers, gestures or campaign members written since (empty: "
        "every month of the last twelve).",
    )
    care_kpi_started_on = fields.Datetime(
        string="Care figures refresh started on",
        readonly=True,
        copy=False,
        help="Start of the dashboard's refresh under way (empty when none is running).",
    )
    care_kpi_pending_months = fields.Char(
        string="Care figures months left",
        readonly=True,
        copy=False,
        help="Months (first days) the refresh under way still has to recompute.",
    )

    _sql_constraints = [
        (
            "winback_thresholds_positive",
            "CHECK(winback_at_risk_factor > 0 AND winback_revenue_drop >= 0 "
            "AND winback_revenue_drop <= 100 AND winback_horizon_days > 0)",
            "Win-back thresholds must be positive and the revenue drop a share between 0 and 100.",
        ),
        (
            "winback_rhythm_thresholds",
            "CHECK(winback_dormant_factor >= winback_at_risk_factor "
            "AND winback_lost_factor >= winback_dormant_factor "
            "AND winback_at_risk_risk BETWEEN 1 AND 100 "
            "AND winback_lost_risk BETWEEN winback_at_risk_risk AND 100)",
            "Win-back thresholds must grow from at risk to dormant to lost, and the churn "
            "risks be percentages, the lost one at least the at-risk one.",
        ),
    ]
