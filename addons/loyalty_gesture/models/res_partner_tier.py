from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .care_constants import COUNTED_STATES, TIERS


class ResPartner(models.Model):
    """Tiers, portraits and the abuse guard, added to the metrics registry.

    Kept apart from res_partner.py (the registry itself) so the charter's figures can
    evolve without touching the gestures' partner extension.
    """

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    care_tier = fields.Selection(
        TIERS,
        string="Customer tier",
        compute="_compute_care_profile",
        search="_search_care_tier",
        help="From the customer's revenue over the last 12 months and the company's "
        "tier thresholds (Helpdesk settings).",
    )
    care_abuse_flag = fields.Boolean(
        string="Gesture abuse suspected",
        compute="_compute_care_profile",
        search="_search_care_abuse_flag",
        help="This customer collected far more gestures over 12 months than their peers: "
        "their gestures need a manager's approval.",
    )
    care_coupon_use_rate = fields.Float(
        string="Gesture coupons redeemed (%)",
        compute="_compute_care_profile",
        help="Share of the coupons given as gestures that the customer used on an order.",
    )

    care_portrait_ids = fields.Many2many(
        "loyalty.gesture.portrait",
        string="Portraits",
        compute="_compute_care_profile",
        help="Customer portraits whose criteria this customer matches.",
    )

    @api.depends_context("company")
    def _compute_care_profile(self):
        metrics = self.sudo()._care_metrics()  # sudo: figures, not records
        portraits = self.env["loyalty.gesture.portrait"]._match_partners(metrics=metrics)
        for partner in self:
            key = partner.commercial_partner_id.id
            row = metrics.get(key, {})
            partner.care_tier = row.get("tier", "standard")
            partner.care_abuse_flag = row.get("gesture_abuse", False)
            partner.care_coupon_use_rate = row.get("coupon_use_rate") or 0.0
            partner.care_portrait_ids = portraits.get(key, self.env["loyalty.gesture.portrait"])

    def _search_care_tier(self, operator, value):
        """Customers of the given tiers, from one grouped query on the last 12 months.

        Only customers above the Silver threshold are listed; Standard is their complement.
        """
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Customer tiers can only be searched by value."))
        tiers = {value} if isinstance(value, str) else set(value or ())
        company = self.env.company
        orders = self.env["sale.order"]
        orders.flush_model(["partner_id", "state", "amount_untaxed", "date_order"])
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT partner.commercial_partner_id, SUM(so.amount_untaxed)
                  FROM sale_order so
                  JOIN res_partner partner ON partner.id = so.partner_id
                 WHERE so.state = 'sale' AND so.date_order >= %(since)s
              GROUP BY partner.commercial_partner_id
                HAVING SUM(so.amount_untaxed) >= %(silver)s
                """,
                since=fields.Datetime.now() - relativedelta(years=1),
                silver=company.care_tier_silver_revenue,
            )
        )
        tier_of = {pid: self._care_tier_for(revenue, company) for pid, revenue in rows}
        if "standard" in tiers:
            others = [pid for pid, tier in tier_of.items() if tier not in tiers]
            domain = [("commercial_partner_id", "not in", others)]
        else:
            chosen = [pid for pid, tier in tier_of.items() if tier in tiers]
            domain = [("commercial_partner_id", "in", chosen)]
        return ["!", *domain] if operator in ("!=", "not in") else domain

    # --- Customer metrics registry ---

    def _care_metric_definitions(self):
        definitions = super()._care_metric_definitions()
        definitions.update(
            {
                "tier": (self.env._("Customer tier"), "selection"),
                "days_since_last_gesture": (self.env._("Days since last gesture"), "integer"),
                "gesture_abuse": (self.env._("Collects far more gestures than peers"), "boolean"),
                "ticket_count_12m": (self.env._("Tickets, last 12 months"), "integer"),
            }
        )
        return definitions

    def _care_metrics(self):
        """Add tier, last gesture and the abuse guard (tickets: res_partner.py).

        Gesture figures count the current company's gestures only (each company has its
        own charter); the context key ``care_exclude_gesture_ids`` leaves out the gestures
        being evaluated. A fixed number of queries whatever the number of partners.
        """
        metrics = super()._care_metrics()
        if not metrics:
            return metrics
        company = self.env.company
        partner_ids = list(metrics)
        self._care_metrics_gestures(metrics, partner_ids, company)
        tier_for = self._care_tier_picker(company)
        for row in metrics.values():
            row["tier"] = tier_for(row["revenue_12m"])
        return metrics

    @api.model
    def _care_tier_for(self, revenue, company):
        return self._care_tier_picker(company)(revenue)

    @api.model
    def _care_tier_picker(self, company):
        """``revenue → tier`` for ``company`` (its floors read once, not per customer)."""
        floors = [
            (tier, company[f"care_tier_{tier}_revenue"]) for tier in ("vip", "gold", "silver")
        ]
        return lambda revenue: next(
            (tier for tier, floor in floors if floor and revenue >= floor), "standard"
        )

    def _care_metrics_gestures(self, metrics, partner_ids, company):
        """Gesture count/value/last date over 12 months, and the abuse guard, in one query."""
        now = fields.Datetime.now()
        for row in metrics.values():
            row.update(
                gesture_count_12m=0,
                gesture_value_12m=0.0,
                days_since_last_gesture=None,
                gesture_abuse=False,
                gesture_median_count_12m=0.0,
            )
        for partner_id, count, value, last_date, median_n, median_v in self._care_gesture_rows(
            company, partner_ids
        ):
            metrics[partner_id].update(
                gesture_count_12m=count,
                gesture_value_12m=float(value),
                days_since_last_gesture=(now - last_date).days,
                gesture_median_count_12m=float(median_n or 0.0),
                gesture_abuse=self._care_is_abuse(company, count, value, median_n, median_v),
            )

    @api.model
    def _care_is_abuse(self, company, count, value, median_count, median_value):
        """Far above peers: more than the company's factor times the median customer."""
        factor = company.care_abuse_factor or 3.0
        return bool(
            count >= company.care_abuse_min_count
            and (
                count > factor * float(median_count or 0.0)
                or (median_value and float(value) > factor * float(median_value))
            )
        )

    @api.model
    def _care_gesture_rows(self, company, partner_ids=None):
        """Per commercial partner with gestures over 12 months in ``company`` (all of them
        when ``partner_ids`` is None): id, count, value, last date, peers' medians.
        """
        self.env["loyalty.gesture"].flush_model(
            ["commercial_partner_id", "state", "value", "company_id"]
        )
        excluded = list(self.env.context.get("care_exclude_gesture_ids") or [0])
        return self.env.execute_query(
            SQL(
                """
                WITH per_partner AS (
                    SELECT commercial_partner_id AS partner_id, COUNT(*) AS n,
                           COALESCE(SUM(value), 0) AS v, MAX(create_date) AS last_date
                      FROM loyalty_gesture
                     WHERE company_id = %(company)s
                       AND state IN %(states)s
                       AND create_date >= %(since)s
                       AND id NOT IN %(excluded)s
                  GROUP BY commercial_partner_id
                ), peers AS (
                    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS median_n,
                           percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median_v
                      FROM per_partner
                )
                SELECT p.partner_id, p.n, p.v, p.last_date, peers.median_n, peers.median_v
                  FROM per_partner p CROSS JOIN peers
                 WHERE %(all)s OR p.partner_id IN %(partners)s
                """,
                company=company.id,
                states=COUNTED_STATES,
                since=fields.Datetime.now() - relativedelta(years=1),
                excluded=tuple(excluded),
                all=partner_ids is None,
                partners=tuple(partner_ids or [0]),
            )
        )

    def _search_care_abuse_flag(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(self.env._("The abuse guard flag can only be searched as yes or no."))
        company = self.env.company
        flagged = [
            row[0]
            for row in self._care_gesture_rows(company)
            if self._care_is_abuse(company, *row[1:3], *row[4:6])
        ]
        positive = (operator == "=") == bool(value)
        return [("commercial_partner_id", "in" if positive else "not in", flagged)]
