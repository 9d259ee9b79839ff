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

        Set-based: one query whatever the number of partners and their history.
        """
        if not self:
            return {}
        self.flush_model(["commercial_partner_id"])
        today = fields.Date.context_today(self)
        year_ago = today - relativedelta(years=1)
        # One query for every figure, grouped per source and joined (no per-customer
        # subquery), in the database: the query count must grow neither
        # with the number of customers nor with their history (see tests/benchmarks).
        # Gesture figures are the current company's (res_partner_tier.py).
        self.env["sale.order"].flush_model(["partner_id", "state", "amount_untaxed", "date_order"])
        self.env["sale.order.line"].flush_model(["coupon_id", "order_id"])
        self.env["loyalty.card"].flush_model(["program_id", "partner_id", "points", "active"])
        self.env["loyalty.gesture"].flush_model(["commercial_partner_id", "coupon_card_id"])
        self.env["helpdesk.ticket"].flush_model(["commercial_partner_id", "create_date", "active"])
        program = self.env.company._care_points_program()
        rows = self.env.execute_query(
            SQL(
                """
                WITH c AS (
                    SELECT DISTINCT commercial_partner_id AS id FROM res_partner
                     WHERE id = ANY(%(partners)s)
                ), o AS (
                    SELECT p.commercial_partner_id AS id, SUM(so.amount_untaxed) AS amount,
                           COALESCE(SUM(so.amount_untaxed)
                                    FILTER (WHERE so.date_order >= %(since)s), 0) AS amount_12m,
                           COUNT(*) AS n, MIN(so.date_order) AS first, MAX(so.date_order) AS last,
                           ((EXTRACT(YEAR FROM %(today)s) - EXTRACT(YEAR FROM MIN(so.date_order)))
                            * 12 + EXTRACT(MONTH FROM %(today)s)
                            - EXTRACT(MONTH FROM MIN(so.date_order)))::int AS months
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.state = 'sale' AND p.commercial_partner_id IN (SELECT id FROM c)
                     GROUP BY p.commercial_partner_id
                ), k AS (
                    SELECT card.partner_id AS id, SUM(card.points) AS points
                      FROM loyalty_card card
                     WHERE card.active AND card.program_id = %(program)s
                       AND card.partner_id IN (SELECT id FROM c)
                     GROUP BY card.partner_id
                ), g AS (
                    SELECT gesture.commercial_partner_id AS id, COUNT(*) AS coupons,
                           COUNT(DISTINCT gesture.coupon_card_id) FILTER (WHERE EXISTS (
                               SELECT 1 FROM sale_order_line sol
                                 JOIN sale_order so ON so.id = sol.order_id AND so.state = 'sale'
                                WHERE sol.coupon_id = gesture.coupon_card_id
                           )) AS redeemed
                      FROM loyalty_gesture gesture
                     WHERE gesture.commercial_partner_id IN (SELECT id FROM c)
                       AND gesture.coupon_card_id IS NOT NULL
                     GROUP BY gesture.commercial_partner_id
                ), t AS (
                    SELECT ticket.commercial_partner_id AS id, COUNT(*) AS tickets
                      FROM helpdesk_ticket ticket
                     WHERE ticket.commercial_partner_id IN (SELECT id FROM c) AND ticket.active
                       AND ticket.create_date >= %(tickets_since)s
                     GROUP BY ticket.commercial_partner_id
                )
                SELECT c.id, o.amount, o.amount_12m, o.n,
                       -- whole months since the first order, as relativedelta counts them
                       -- (a month from the 31st ends on the 30th when the month is short)
                       o.months - (%(today)s < o.first::date + make_interval(months => o.months))::int,
                       %(today)s - o.last::date, k.points,
                       g.coupons, g.redeemed, COALESCE(t.tickets, 0)
                  FROM c
                  LEFT JOIN o ON o.id = c.id
                  LEFT JOIN k ON k.id = c.id
                  LEFT JOIN g ON g.id = c.id
                  LEFT JOIN t ON t.id = c.id
                """,
                since=year_ago,
                today=today,
                tickets_since=fields.Datetime.now() - relativedelta(years=1),
                partners=self.ids,
                program=program.id or None,
            )
        )
        metrics = {}
        for partner_id, amount, amount_12m, count, months, days, *others in rows:
            points, coupons, redeemed, tickets = others
            metrics[partner_id] = row = {
                "revenue": 0.0,
                "revenue_12m": 0.0,
                "order_count": 0,
                "seniority_months": 0,
                "days_since_last_order": None,
                "gesture_count_12m": 0,
                "gesture_value_12m": 0.0,
                "points_balance": 0.0,
                "coupon_use_rate": 0.0,
                "ticket_count_12m": tickets,
            }
            if program and points is not None:
                row["points_balance"] = points
            if coupons:
                row["coupon_use_rate"] = round(100.0 * redeemed / coupons, 1)
            if not count:
                continue
            row.update(
                revenue=amount,
                revenue_12m=amount_12m,
                order_count=count,
                seniority_months=months,
                days_since_last_order=days,
            )
        return metrics
