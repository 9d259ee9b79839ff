from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    winback_at_risk_factor = fields.Float(
        string="At risk after (times the usual interval)",
        default=1.5,
        help="A customer is at risk when the days since their last order exceed this "
        "multiple of their own median interval between orders.",
    )
    winback_revenue_drop = fields.Float(
        string="At risk on revenue drop (%)",
        default=30.0,
        help="A customer is at risk when their revenue of the last 12 months fell by at "
        "least this share versus the 12 months before.",
    )
    winback_dormant_days = fields.Integer(
        string="Dormant after (days)",
        default=180,
        help="Days without an order after which a customer is dormant.",
    )
    winback_lost_days = fields.Integer(
        string="Lost after (days)",
        default=365,
        help="Days without an order after which a customer is lost.",
    )
    winback_horizon_days = fields.Integer(
        string="Churn horizon (days)",
        default=365,
        help="The churn risk is the probability of no order within this many days.",
    )
    winback_scored_on = fields.Date(
        string="Customer statuses computed on", readonly=True, copy=False
    )

    _sql_constraints = [
        (
            "winback_thresholds_positive",
            "CHECK(winback_at_risk_factor > 0 AND winback_revenue_drop >= 0 "
            "AND winback_revenue_drop <= 100 AND winback_dormant_days > 0 "
            "AND winback_lost_days > winback_dormant_days AND winback_horizon_days > 0)",
            "Win-back thresholds must be positive, the revenue drop a share between 0 and "
            "100, and the lost delay longer than the dormant delay.",
        ),
    ]
