from dateutil.relativedelta import relativedelta

from odoo import fields, models


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
        counts = dict(
            self.env["loyalty.gesture"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.gesture_count = counts.get(partner, 0)

    def action_view_gestures(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_gesture.loyalty_gesture_action"
        )
        action["domain"] = [("partner_id", "in", self.ids)]
        action["context"] = {"default_partner_id": self.id}
        return action

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
        }

    def _care_metrics(self):
        """Figures per commercial partner of ``self``: ``{partner_id: {key: value}}``.

        Set-based: a fixed number of grouped queries whatever the number of partners.
        """
        partners = self.commercial_partner_id
        today = fields.Date.context_today(self)
        year_ago = today - relativedelta(years=1)
        metrics = {
            p.id: {
                "revenue": 0.0,
                "revenue_12m": 0.0,
                "order_count": 0,
                "seniority_months": 0,
                "days_since_last_order": None,
                "gesture_count_12m": 0,
                "gesture_value_12m": 0.0,
            }
            for p in partners
        }
        if not partners:
            return metrics
        order_domain = [
            ("partner_id.commercial_partner_id", "in", partners.ids),
            ("state", "=", "sale"),
        ]
        groups = (
            self.env["sale.order"]
            .sudo()
            ._read_group(  # sudo: figures, not records
                order_domain,
                ["partner_id"],
                ["amount_untaxed:sum", "__count", "date_order:min", "date_order:max"],
            )
        )
        recent = dict(
            self.env["sale.order"]
            .sudo()
            ._read_group(  # sudo: figures, not records
                order_domain + [("date_order", ">=", year_ago)],
                ["partner_id"],
                ["amount_untaxed:sum"],
            )
        )
        for partner, amount, count, first, last in groups:
            row = metrics[partner.commercial_partner_id.id]
            row["revenue"] += amount
            row["revenue_12m"] += recent.get(partner, 0.0)
            row["order_count"] += count
            first_months = relativedelta(today, first.date())
            row["seniority_months"] = max(
                row["seniority_months"], first_months.years * 12 + first_months.months
            )
            days = (today - last.date()).days
            if row["days_since_last_order"] is None or days < row["days_since_last_order"]:
                row["days_since_last_order"] = days
        gestures = (
            self.env["loyalty.gesture"]
            .sudo()
            ._read_group(  # sudo: caps count all
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
        return metrics
