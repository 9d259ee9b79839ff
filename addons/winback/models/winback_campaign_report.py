from odoo import fields, models
from odoo.tools import SQL


class WinbackCampaignReport(models.Model):
    """Campaign results for the pivot and graph, with labelled groups.

    The members' booleans would head the pivot's columns with a bare 'No' / 'Yes';
    this read-only view says 'Contacted' / 'Holdout (not contacted)' and 'Came back' /
    'Not back yet'. Excluded members are left out (they were never compared).
    """

    _name = "winback.campaign.report"
    _description = "Win-back campaign result"
    _auto = False
    _order = "campaign_id desc, id"
    _rec_name = "partner_id"

    member_id = fields.Many2one("winback.campaign.member", readonly=True)
    campaign_id = fields.Many2one("winback.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    comparison_group = fields.Selection(
        [("contacted", "Contacted"), ("holdout", "Holdout (not contacted)")],
        string="Group",
        readonly=True,
    )
    outcome = fields.Selection([("back", "Came back"), ("not_back", "Not back yet")], readonly=True)
    status_at_start = fields.Selection(
        lambda self: (
            self.env["winback.campaign.member"]
            ._fields["status_at_start"]
            ._description_selection(self.env)
        ),
        readonly=True,
    )
    revenue = fields.Monetary(string="Revenue won back", readonly=True)
    offer_cost = fields.Monetary(readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT m.id, m.id AS member_id, m.campaign_id, m.company_id, m.partner_id,
                   CASE WHEN m.is_holdout THEN 'holdout' ELSE 'contacted' END
                       AS comparison_group,
                   CASE WHEN m.reactivated THEN 'back' ELSE 'not_back' END AS outcome,
                   m.status_at_start, m.revenue, m.offer_cost
              FROM winback_campaign_member m
             WHERE m.state != 'excluded'
            """
        )
