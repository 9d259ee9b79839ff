from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .winback_customer_score import STATUSES


class ResPartner(models.Model):
    _inherit = "res.partner"

    winback_score_ids = fields.One2many(
        "winback.customer.score", "partner_id", string="Win-back scores"
    )
    winback_member_ids = fields.One2many(
        "winback.campaign.member", "partner_id", string="Win-back campaigns"
    )
    winback_score_id = fields.Many2one(
        "winback.customer.score",
        compute="_compute_winback_score",
        string="Win-back score",
        help="Status, RFM and churn risk in the current company.",
    )
    winback_status = fields.Selection(
        STATUSES,
        compute="_compute_winback_score",
        search="_search_winback_status",
        string="Customer status",
    )
    winback_churn_risk = fields.Integer(compute="_compute_winback_score", string="Churn risk")
    winback_rfm = fields.Char(
        compute="_compute_winback_score",
        string="RFM",
        help="Recency, frequency and monetary value, each scored in quintiles from 1 to 5 "
        "(5 = best): 555 is a recent, frequent, big customer; 111 the opposite.",
    )
    winback_last_order_date = fields.Date(compute="_compute_winback_score", string="Last order")
    winback_churn_drivers = fields.Text(compute="_compute_winback_score", string="Churn drivers")
    winback_lost_reason_id = fields.Many2one(
        "winback.lost.reason", compute="_compute_winback_score", string="Lost reason"
    )
    winback_campaign_count = fields.Integer(compute="_compute_winback_campaign_count")

    @api.depends_context("company")
    def _compute_winback_score(self):
        scores = self.env["winback.customer.score"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {score.partner_id.id: score for score in scores}
        for partner in self:
            score = by_partner.get(partner.commercial_partner_id.id, scores.browse())
            partner.update(
                {
                    "winback_score_id": score,
                    "winback_status": score.status,
                    "winback_churn_risk": score.churn_risk,
                    "winback_rfm": score.rfm_segment,
                    "winback_last_order_date": score.last_order_date,
                    "winback_churn_drivers": score.churn_drivers if score else False,
                    "winback_lost_reason_id": score.lost_reason_id,
                }
            )

    def _search_winback_status(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the customer status."))
        scores = self.env["winback.customer.score"]._search(
            [("company_id", "=", self.env.company.id), ("status", operator, value)]
        )
        return [("commercial_partner_id", "in", scores.subselect("partner_id"))]

    def _compute_winback_campaign_count(self):
        counts = dict(
            self.env["winback.campaign.member"]._read_group(
                [("partner_id", "in", self.ids), ("state", "!=", "excluded")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.winback_campaign_count = counts.get(partner, 0)

    def action_winback_mark_lost(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("winback.winback_lost_wizard_action")
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_view_winback_campaigns(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "winback.winback_campaign_member_action"
        )
        action["domain"] = [("partner_id", "in", self.ids)]
        action["context"] = {}
        return action

    # --- Customer metrics registry ---

    def _care_metric_definitions(self):
        definitions = super()._care_metric_definitions()
        definitions.update(
            {
                "care_status": (self.env._("Customer status (win-back)"), "char"),
                "churn_risk": (self.env._("Churn risk (0-100)"), "integer"),
            }
        )
        return definitions

    def _care_metrics(self):
        metrics = super()._care_metrics()
        for values in metrics.values():
            values.setdefault("care_status", None)
            values.setdefault("churn_risk", None)
        if metrics:
            scores = self.env["winback.customer.score"]
            scores.flush_model(["partner_id", "company_id", "status", "churn_risk"])
            # one query however many customers (search_read would fetch in batches); past
            # record rules on purpose: figures of the current company for the charter and
            # portraits, which evaluate every customer whoever asks (never shown as records)
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT partner_id, status, churn_risk
                      FROM winback_customer_score
                     WHERE partner_id = ANY(%s) AND company_id = %s
                    """,
                    list(metrics),
                    self.env.company.id,
                )
            )
            for partner_id, status, churn_risk in rows:
                metrics[partner_id].update({"care_status": status, "churn_risk": churn_risk})
        return metrics
