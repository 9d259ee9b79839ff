from odoo import api, fields, models
from odoo.tools import SQL


def _last_scores(answers):
    """``(nps, nps category, csat)`` of one customer's last answers (None: no answer)."""
    nps = answers.get("nps") or (None, None, None)
    csat = answers.get("csat") or (None, None, None)
    return nps[0], nps[2], csat[0]


class ResPartner(models.Model):
    _inherit = "res.partner"

    satisfaction_last_nps = fields.Integer(
        string="Last NPS score",
        compute="_compute_satisfaction_last",
        groups="loyalty_gesture.group_care_agent",
    )
    satisfaction_last_nps_category = fields.Selection(
        [("promoter", "Promoter"), ("passive", "Passive"), ("detractor", "Detractor")],
        string="Last NPS category",
        compute="_compute_satisfaction_last",
        groups="loyalty_gesture.group_care_agent",
    )
    satisfaction_last_csat = fields.Integer(
        string="Last CSAT score",
        compute="_compute_satisfaction_last",
        groups="loyalty_gesture.group_care_agent",
    )
    satisfaction_last_date = fields.Datetime(
        string="Last survey answer",
        compute="_compute_satisfaction_last",
        groups="loyalty_gesture.group_care_agent",
    )
    satisfaction_request_count = fields.Integer(
        string="Surveys",
        compute="_compute_satisfaction_last",
        groups="loyalty_gesture.group_care_agent",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_satisfaction_last(self):
        # What the user may see: the answers of their companies' requests, the count of
        # the requests the smart button opens (read with their own rights).
        last = self._satisfaction_last_answers(company_ids=self.env.companies.ids)
        requests = self.env["satisfaction.request"]
        counts = {}
        if requests.has_access("read"):
            counts = dict(
                requests._read_group(
                    [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                    ["commercial_partner_id"],
                    ["__count"],
                )
            )
        for partner in self:
            commercial = partner.commercial_partner_id
            answers = last.get(commercial.id, {})
            nps, category, csat = _last_scores(answers)
            partner.satisfaction_last_nps = nps or 0
            partner.satisfaction_last_nps_category = category
            partner.satisfaction_last_csat = csat or 0
            partner.satisfaction_last_date = max(
                (answer[1] for answer in answers.values()), default=False
            )
            partner.satisfaction_request_count = counts.get(commercial, 0)

    def action_view_satisfaction_requests(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "satisfaction_survey.satisfaction_request_action"
        )
        action["domain"] = [("commercial_partner_id", "in", self.commercial_partner_id.ids)]
        action["context"] = {}
        return action

    def _satisfaction_last_answers(self, partner_ids=None, company_ids=None):
        """``{commercial partner id: {kind: (score, date, nps category)}}``, one query.

        ``partner_ids``: commercial partners already known (reading them from ``self``
        costs a query per thousand partners). ``company_ids``: only the answers given to
        these companies (``None``: every company, for the customer metrics registry,
        an aggregate the suite's scorings read on purpose).
        """
        if partner_ids is None:
            partner_ids = self.commercial_partner_id.ids
        if not partner_ids:
            return {}
        requests = self.env["satisfaction.request"]
        requests.flush_model(
            ["commercial_partner_id", "kind", "score", "answered_date", "state", "nps_category"]
        )
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT ON (commercial_partner_id, kind) "
                "commercial_partner_id, kind, score, answered_date, nps_category "
                "FROM satisfaction_request "
                "WHERE state = 'answered' AND commercial_partner_id = ANY(%s) %s"
                "ORDER BY commercial_partner_id, kind, answered_date DESC, id DESC",
                partner_ids,
                SQL("AND company_id = ANY(%s) ", company_ids) if company_ids is not None else SQL(),
            )
        )
        result = {}
        for partner_id, kind, score, date, category in rows:
            result.setdefault(partner_id, {})[kind] = (score, date, category)
        return result

    # --- Customer metrics registry ---

    def _care_metric_definitions(self):
        definitions = super()._care_metric_definitions()
        definitions.update(
            {
                "last_nps": (self.env._("Last NPS score"), "integer"),
                "last_csat": (self.env._("Last CSAT score"), "integer"),
                "is_detractor": (self.env._("Detractor (last NPS 0-6)"), "boolean"),
            }
        )
        return definitions

    def _care_summary_keys(self):
        return super()._care_summary_keys() + ["last_nps", "last_csat", "is_detractor"]

    def _care_metrics(self):
        metrics = super()._care_metrics()
        last = self._satisfaction_last_answers(list(metrics))
        for partner_id, row in metrics.items():
            row["last_nps"], category, row["last_csat"] = _last_scores(last.get(partner_id, {}))
            row["is_detractor"] = category == "detractor"
        return metrics
