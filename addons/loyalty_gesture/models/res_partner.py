from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import fields, models
from odoo.tools import SQL

from .care_helpers import count_by, window_action


class ResPartner(models.Model):
    _inherit = "res.partner"

    care_opt_out = fields.Boolean(
        string="No care messages",
        help="Never send this customer automatic care messages "
        "(gesture emails, surveys, attentions, win-back campaigns).",
    )
    gesture_ids = fields.One2many("loyalty.gesture", "partner_id", string="Gestures")
    gesture_count = fields.Integer(compute="_compute_gesture_count")

    def _compute_gesture_count(self):
        counts = count_by(
            self.env["loyalty.gesture"], "commercial_partner_id", self.commercial_partner_id
        )
        for partner in self:
            partner.gesture_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_gestures(self):
        return window_action(
            self.env,
            "loyalty_gesture.loyalty_gesture_action",
            domain=[("commercial_partner_id", "in", self.commercial_partner_id.ids)],
            context={"default_partner_id": self.id},
        )

    # --- Customer metrics registry ---

    def _care_metric_definitions(self):
        """Metrics known to the suite: ``{key: (label, type)}``.

        Charter conditions and portraits are built on these keys; modules higher in
        the chain extend this (and :meth:`_care_metrics`) with their own figures.
        """
        return {
            "revenue": (self.env._("Lifetime revenue"), "float"),
            "revenue_12m": (self.env._("Revenue, last 12 months"), "float"),
            "order_count": (self.env._("Confirmed orders"), "integer"),
            "seniority_months": (self.env._("Seniority (months)"), "integer"),
            "days_since_last_order": (self.env._("Days since last order"), "integer"),
            "gesture_count_12m": (self.env._("Gestures, last 12 months"), "integer"),
            "gesture_value_12m": (self.env._("Gesture value, last 12 months"), "float"),
            "points_balance": (self.env._("Loyalty points"), "float"),
            "coupon_use_rate": (self.env._("Gesture coupons redeemed (%)"), "float"),
        }

    def _care_summary_keys(self):
        """Metrics shown in a customer's summary beside the lifetime figures (the grant
        wizard's *Customer at a glance*); modules higher in the chain add theirs."""
        return []

    def _care_summary_html(self, row):
        """The summary metrics of one customer's registry ``row``, as a short HTML list."""
        definitions = self._care_metric_definitions()
        items = []
        for key in self._care_summary_keys():
            label, kind = definitions[key]
            value = row.get(key)
            if kind == "boolean":
                if value:
                    items.append(Markup('<span class="badge text-bg-danger">%s</span>') % label)
                continue
            shown = "-" if value is None else str(value)
            items.append(Markup("%s: <strong>%s</strong>") % (label, shown))
        return Markup("<div>%s</div>") % Markup(" · ").join(items) if items else False

    def _care_metrics(self):
        """Figures per commercial partner of ``self``: ``{partner_id: {key: value}}``.

        Set-based: a fixed number of grouped queries whatever the number of partners.
        """
        self.flush_model(["commercial_partner_id"])
        partners = self.browse(
            row[0]
            for row in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT commercial_partner_id FROM res_partner WHERE id = ANY(%s)",
                    self.ids,
                )
            )
        )
        today = fields.Date.context_today(self)
        year_ago = today - relativedelta(years=1)
        metrics = {
            partner_id: {
                "revenue": 0.0,
                "revenue_12m": 0.0,
                "order_count": 0,
                "seniority_months": 0,
                "days_since_last_order": None,
                "gesture_count_12m": 0,
                "gesture_value_12m": 0.0,
                "points_balance": 0.0,
                "coupon_use_rate": 0.0,
            }
            for partner_id in partners.ids
        }
        if not partners:
            return metrics
        # One aggregate grouped by commercial partner, in the database: the query count
        # must not grow with the number of customers (see tests/benchmarks).
        orders = self.env["sale.order"]
        orders.flush_model(["partner_id", "state", "amount_untaxed", "date_order"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id,
                       SUM(so.amount_untaxed),
                       COALESCE(SUM(so.amount_untaxed) FILTER (WHERE so.date_order >= %(since)s), 0),
                       COUNT(*),
                       MIN(so.date_order),
                       MAX(so.date_order)
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale' AND p.commercial_partner_id = ANY(%(partners)s)
              GROUP BY p.commercial_partner_id
                """,
                since=year_ago,
                partners=partners.ids,
            )
        )
        for partner_id, amount, amount_12m, count, first, last in rows:
            first_months = relativedelta(today, first.date())
            metrics[partner_id].update(
                revenue=amount,
                revenue_12m=amount_12m,
                order_count=count,
                seniority_months=first_months.years * 12 + first_months.months,
                days_since_last_order=(today - last.date()).days,
            )
        gestures = (
            self.env["loyalty.gesture"]
            .sudo()  # sudo: caps count all
            ._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("state", "in", ("to_approve", "approved", "done", "followed_up")),
                    ("create_date", ">=", year_ago),
                ],
                ["partner_id"],
                ["__count", "value:sum"],
            )
        )
        for partner, count, value in gestures:
            metrics[partner.id]["gesture_count_12m"] = count
            metrics[partner.id]["gesture_value_12m"] = value
        self._care_loyalty_metrics(partners, metrics)
        return metrics

    def _care_loyalty_metrics(self, partners, metrics):
        """Points balance and share of gesture coupons redeemed, in three queries."""
        program = self.env.company._care_points_program()
        if program:
            balances = (
                self.env["loyalty.card"]
                .sudo()  # sudo: figures, not records
                ._read_group(
                    [("program_id", "=", program.id), ("partner_id", "in", partners.ids)],
                    ["partner_id"],
                    ["points:sum"],
                )
            )
            for partner, points in balances:
                metrics[partner.id]["points_balance"] = points
        coupons = (
            self.env["loyalty.gesture"]
            .sudo()  # sudo: figures, not records
            ._read_group(
                [
                    ("commercial_partner_id", "in", partners.ids),
                    ("coupon_card_id", "!=", False),
                ],
                ["commercial_partner_id"],
                ["__count", "coupon_card_id:array_agg"],
            )
        )
        card_ids = [card_id for *__, ids in coupons for card_id in ids]
        used = {
            card.id
            for [card] in self.env["sale.order.line"]
            .sudo()  # sudo: figures, not records
            ._read_group(
                [("coupon_id", "in", card_ids), ("order_id.state", "=", "sale")], ["coupon_id"]
            )
        }
        for partner, count, ids in coupons:
            redeemed = len(used.intersection(ids))
            metrics[partner.id]["coupon_use_rate"] = round(100.0 * redeemed / count, 1)
