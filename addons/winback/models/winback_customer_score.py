from odoo import api, fields, models
from odoo.tools import create_index

STATUSES = [
    ("active", "Active"),
    ("at_risk", "At risk"),
    ("dormant", "Dormant"),
    ("lost", "Lost"),
]


class WinbackCustomerScore(models.Model):
    """Status, RFM and churn risk of one customer in one company.

    Rows are written in bulk by :meth:`_compute_company_scores`
    (``winback_customer_score_batch``) with the SQL of ``winback_customer_score_sql``: the
    figures are computed in PostgreSQL into a temporary table, only the distinct purchase
    histories come to Python to fit the churn model's four parameters, and one INSERT …
    SELECT … ON CONFLICT applies the model, statuses and RFM; never one customer at a
    time. Why a customer has their status and risk: ``winback_customer_score_drivers``.
    """

    _name = "winback.customer.score"
    _description = "Customer win-back score"
    # server-only: no field in the allow-list, whatever the user's access lines say
    _inherit = ["care.field.policy", "care.number.guard"]
    _order = "churn_risk desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    status = fields.Selection(STATUSES, required=True, default="active", readonly=True)
    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    days_since_last_order = fields.Integer(readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)
    purchase_days = fields.Integer(
        readonly=True, help="Distinct days with a confirmed order (the purchases the model counts)."
    )
    median_interval = fields.Float(
        string="Usual interval (days)",
        readonly=True,
        help="Median number of days between two purchases of this customer.",
    )
    overdue_ratio = fields.Float(
        readonly=True, help="Days since the last order divided by the usual interval."
    )
    revenue = fields.Monetary(string="Lifetime revenue", readonly=True)
    revenue_12m = fields.Monetary(string="Revenue, last 12 months", readonly=True)
    revenue_prev_12m = fields.Monetary(string="Revenue, 12 months before", readonly=True)
    revenue_trend = fields.Float(
        string="Revenue trend (%)",
        readonly=True,
        help="Change of the last 12 months' revenue versus the 12 months before.",
    )
    recency_score = fields.Integer(string="R", readonly=True, aggregator="avg")
    frequency_score = fields.Integer(string="F", readonly=True, aggregator="avg")
    monetary_score = fields.Integer(string="M", readonly=True, aggregator="avg")
    rfm_segment = fields.Char(
        string="RFM",
        readonly=True,
        help="Recency, frequency and monetary value, each scored in quintiles from 1 to 5 "
        "(5 = best): 555 is a recent, frequent, big customer; 111 the opposite.",
    )
    p_alive = fields.Float(string="Still a customer (%)", readonly=True, aggregator="avg")
    churn_risk = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Probability (0-100) that the customer orders nothing within the churn horizon.",
    )
    usual_interval = fields.Float(
        string="Usual interval, model (days)",
        readonly=True,
        digits=(16, 1),
        help="The customer's mean interval between purchases, drawn towards the company's "
        "when they bought only a few times.",
    )
    interval_cv = fields.Float(
        string="Irregularity",
        readonly=True,
        digits=(16, 2),
        help="Standard deviation of the intervals divided by their mean (0 is a clockwork "
        "customer).",
    )
    recent_trend = fields.Float(
        readonly=True,
        digits=(16, 2),
        help="Purchases of the last 180 days against the 180 before, from -1 to 1.",
    )
    complaints_90d = fields.Integer(string="Tickets, last 90 days", readonly=True)
    gestures_12m = fields.Integer(string="Gestures, last 12 months", readonly=True)
    expected_purchases = fields.Float(
        readonly=True,
        digits=(16, 2),
        help="Purchases the MBG/NBD model expects within the churn horizon.",
    )
    expected_order_date = fields.Date(
        string="Next order expected",
        readonly=True,
        help="The last order plus the customer's usual interval.",
    )
    predicted_value_12m = fields.Monetary(
        string="Predicted value, next 12 months",
        readonly=True,
        help="Expected purchases over the next 12 months times the expected value of a "
        "purchase (Gamma-Gamma spend model).",
    )
    churn_horizon_days = fields.Integer(
        string="Churn horizon (days)",
        readonly=True,
        help="The churn risk is the probability of no order within this many days.",
    )
    last_nps = fields.Integer(string="Last NPS", readonly=True)
    detractor = fields.Boolean(readonly=True, help="The customer's last NPS answer was 0 to 6.")
    lost_reason_id = fields.Many2one(
        "winback.lost.reason", index=True, readonly=True, ondelete="restrict"
    )
    lost_reason_category = fields.Selection(related="lost_reason_id.category", store=True)
    lost_date = fields.Date(readonly=True)
    lost_note = fields.Text(readonly=True)
    computed_on = fields.Date(readonly=True)
    scoring_pending = fields.Boolean(
        string="Recomputing",
        compute="_compute_scoring_pending",
        help="The company's statuses are being recomputed in the background (asked by a "
        "manager or under way): the figures shown are those of the computation date.",
    )

    _sql_constraints = [
        (
            "company_partner_uniq",
            "UNIQUE(company_id, partner_id)",
            "A customer has one win-back score per company.",
        ),
    ]

    def _auto_init(self):
        res = super()._auto_init()
        # the list's order within a company read from an index: Customer statuses at 1M
        create_index(
            self.env.cr,
            "winback_customer_score__company_risk_index",
            self._table,
            ["company_id", "churn_risk DESC", "id"],
        )
        return res

    # --- CRUD ---

    def _care_writable_fields(self, operation):
        """Server-only: no user sets a score (users without an access line are told so)."""
        self.check_access(operation)
        return set()

    @api.depends("company_id.winback_score_requested", "company_id.winback_score_staged_on")
    def _compute_scoring_pending(self):
        for score in self:
            company = score.company_id
            score.scoring_pending = company.winback_score_requested or bool(
                company.winback_score_staged_on
            )

    # --- Actions ---

    def _record_lost_reason(self, reason, note=False, date=None):
        """Mark the customers as lost for ``reason`` (agents, exit surveys)."""
        self.sudo().write(  # sudo: agents may record a reason, not edit scores
            {
                "lost_reason_id": reason.id,
                "lost_note": note,
                "lost_date": date or fields.Date.context_today(self),
                "status": "lost",
            }
        )
