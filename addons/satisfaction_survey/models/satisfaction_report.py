from odoo import fields, models
from odoo.tools import SQL

from .satisfaction_request import TRIGGERS


class SatisfactionReport(models.Model):
    """Satisfaction analysis: one row per delivered survey request.

    The rates are averages of per-row values so that graph and pivot views aggregate
    them correctly at any grouping: a promoter counts +100, a detractor -100 and a
    passive 0, so the average of ``nps_value`` over NPS answers *is* the NPS.
    """

    _name = "satisfaction.report"
    _description = "Satisfaction analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "partner_id"

    date = fields.Datetime(string="Sent on", readonly=True)
    answered_date = fields.Datetime(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    country_id = fields.Many2one("res.country", string="Customer country", readonly=True)
    industry_id = fields.Many2one("res.partner.industry", string="Customer industry", readonly=True)
    team_id = fields.Many2one("helpdesk.ticket.team", string="Helpdesk team", readonly=True)
    user_id = fields.Many2one("res.users", string="Owner", readonly=True)
    survey_id = fields.Many2one("survey.survey", readonly=True)
    kind = fields.Selection([("csat", "CSAT"), ("nps", "NPS")], readonly=True)
    trigger = fields.Selection(
        TRIGGERS,
        readonly=True,
    )
    state = fields.Selection(
        [("sent", "Sent"), ("answered", "Answered"), ("expired", "Expired")], readonly=True
    )
    nps_category = fields.Selection(
        [("promoter", "Promoter"), ("passive", "Passive"), ("detractor", "Detractor")],
        string="NPS category",
        readonly=True,
    )
    request_count = fields.Integer(string="Surveys sent", readonly=True)
    answer_count = fields.Integer(string="Answers", readonly=True)
    score = fields.Float(string="Average score", readonly=True, aggregator="avg")
    nps_value = fields.Float(string="NPS", readonly=True, aggregator="avg")
    csat_value = fields.Float(string="CSAT (%)", readonly=True, aggregator="avg")
    response_value = fields.Float(string="Response rate (%)", readonly=True, aggregator="avg")
    loop_value = fields.Float(string="Close-the-loop rate (%)", readonly=True, aggregator="avg")
    loop_delay_hours = fields.Float(
        string="Close-the-loop delay (hours)", readonly=True, aggregator="avg"
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT r.id AS id,
                   r.sent_date AS date,
                   r.answered_date AS answered_date,
                   r.company_id AS company_id,
                   r.commercial_partner_id AS partner_id,
                   p.country_id AS country_id,
                   p.industry_id AS industry_id,
                   r.team_id AS team_id,
                   r.user_id AS user_id,
                   r.survey_id AS survey_id,
                   r.kind AS kind,
                   r.trigger AS trigger,
                   r.state AS state,
                   r.nps_category AS nps_category,
                   1 AS request_count,
                   CASE WHEN r.state = 'answered' THEN 1 ELSE 0 END AS answer_count,
                   CASE WHEN r.state = 'answered' THEN r.score END AS score,
                   CASE WHEN r.state = 'answered' AND r.kind = 'nps' THEN
                       CASE r.nps_category WHEN 'promoter' THEN 100.0
                                           WHEN 'detractor' THEN -100.0 ELSE 0.0 END
                   END AS nps_value,
                   CASE WHEN r.state = 'answered' AND r.kind = 'csat' THEN
                       CASE WHEN r.score >= 4 THEN 100.0 ELSE 0.0 END
                   END AS csat_value,
                   CASE WHEN r.state = 'answered' THEN 100.0 ELSE 0.0 END AS response_value,
                   CASE r.loop_state WHEN 'closed' THEN 100.0 WHEN 'open' THEN 0.0 END
                       AS loop_value,
                   CASE WHEN r.loop_state = 'closed' THEN
                       EXTRACT(EPOCH FROM (r.loop_closed_date - r.loop_opened_date)) / 3600.0
                   END AS loop_delay_hours
              FROM satisfaction_request r
              -- LEFT JOIN: PostgreSQL leaves the partners out of the queries that read
              -- none of their columns (the default graph and pivot; 2.3 s at 1M customers).
              -- The foreign key makes "IS NOT NULL" keep exactly the inner join's rows.
              LEFT JOIN res_partner p ON p.id = r.commercial_partner_id
             WHERE r.state IN ('sent', 'answered', 'expired')
               AND r.commercial_partner_id IS NOT NULL
            """
        )
