from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from .loyalty_gesture import FROZEN_STATES, SEVERITY_FROM_PRIORITY


class LoyaltyGesture(models.Model):
    """What a gesture is worth, costs and credits: the values the server derives."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    @api.depends("type_id")
    def _compute_value(self):
        for gesture in self:
            derived = gesture._derived_value()
            gesture.value = gesture.type_id.default_value if derived is None else derived

    @api.depends("value", "type_id")
    def _compute_cost(self):
        for gesture in self:
            if gesture.state in FROZEN_STATES and gesture._origin:
                continue  # what it cost is history
            gesture.cost = gesture._real_cost()

    @api.depends("ticket_id")
    def _compute_severity(self):
        for gesture in self:
            gesture.severity = SEVERITY_FROM_PRIORITY.get(gesture.ticket_id.priority, "medium")

    @api.depends("value", "type_id", "company_id")
    def _compute_points(self):
        for gesture in self:
            if gesture.state in FROZEN_STATES and gesture._origin:
                continue  # the card was credited these points
            program, company, currency = gesture._points_program()
            gesture.points = (
                program._care_points_for(gesture.value, currency, company) if program else 0.0
            )

    @api.depends("points", "type_id", "company_id")
    @api.depends_context("lang")
    def _compute_points_text(self):
        for gesture in self:
            program, company, currency = gesture._points_program()
            worth = program._care_point_worth(currency, company) if program else 0.0
            gesture.points_worth = currency.round(gesture.points * worth)
            gesture.points_text = (
                gesture._format_points(gesture.points, gesture.points_worth) if program else False
            )

    def _points_program(self):
        """(points program or False, company, currency) of a points gesture."""
        self.ensure_one()
        company = self.company_id or self.env.company
        currency = self.currency_id or company.currency_id
        program = self.type_id.fulfilment == "points" and company._care_points_program()
        return program, company, currency

    def _format_points(self, points, worth):
        """ "120 points, worth 12.00 €": whole points without a decimal part."""
        return self.env._(
            "%(points)s points, worth %(worth)s",
            points=formatLang(self.env, points, digits=0 if float(points).is_integer() else 2),
            worth=(self.currency_id or self.env.company.currency_id).format(worth),
        )

    def _derived_value(self):
        """The value a gift or a free delivery is worth (from its product), else None."""
        self.ensure_one()
        if not self.type_id._is_derived():
            return None
        company = self.company_id or self.env.company
        return self.type_id._derived_value(company, self.currency_id or company.currency_id)

    def _real_cost(self):
        """What the gesture costs the company: a gift its product's cost, anything else
        its value; plus the type's unit cost."""
        self.ensure_one()
        gesture_type = self.type_id
        amount = self.value
        if gesture_type.fulfilment == "gift" and gesture_type.product_id:
            product = gesture_type.product_id.with_company(self.company_id)
            currency = self.currency_id or self.env.company.currency_id
            amount = (product.cost_currency_id or currency)._convert(
                product.standard_price,
                currency,
                self.company_id or self.env.company,
                fields.Date.today(),
            )
        return amount + gesture_type.unit_cost

    @api.depends("paid_with_points", "type_id")
    def _compute_points_spent(self):
        for gesture in self:
            gesture.points_spent = gesture.type_id.points_price if gesture.paid_with_points else 0

    @api.depends("type_id", "partner_id", "value", "requested_by_id")
    def _compute_phone_script(self):
        for gesture in self:
            gesture.phone_script = (
                gesture.type_id._render_phone_script(
                    gesture.partner_id,
                    gesture.requested_by_id or self.env.user,
                    gesture.value,
                    gesture.currency_id,
                )
                if gesture.type_id
                else False
            )

    def _compute_results(self):
        """Coupon redeemed and revenue after the gesture, in two queries for all."""
        cards = self.coupon_card_id
        used = set()
        if cards:
            used = {
                card.id
                for [card] in self.env["sale.order.line"]
                .sudo()  # sudo: a figure, agents may lack sales rights
                ._read_group(
                    [("coupon_id", "in", cards.ids), ("order_id.state", "=", "sale")],
                    ["coupon_id"],
                )
            }
        revenue = {}
        done = self.filtered("done_date")
        if done.ids:
            # an aggregate made for the gesture's readers on purpose: the customer's
            # revenue in the gesture's company, never an order's name or lines
            self.env["sale.order"].flush_model(["partner_id", "state", "date_order"])
            self.env["res.partner"].flush_model(["commercial_partner_id"])
            self.flush_recordset(["done_date", "commercial_partner_id", "company_id"])
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT g.id, COALESCE(SUM(so.amount_untaxed), 0)
                      FROM loyalty_gesture g
                      JOIN res_partner p ON p.commercial_partner_id = g.commercial_partner_id
                      JOIN sale_order so ON so.partner_id = p.id
                       AND so.company_id = g.company_id
                       AND so.state = 'sale'
                       AND so.date_order >= g.done_date
                       AND so.date_order < g.done_date + INTERVAL '90 days'
                     WHERE g.id IN %s
                     GROUP BY g.id
                    """,
                    tuple(done.ids),
                )
            )
            revenue = dict(rows)
        for gesture in self:
            gesture.coupon_used = gesture.coupon_card_id.id in used
            gesture.revenue_after = revenue.get(gesture.id, 0.0)

    def _apply_derived_values(self):
        """Gifts and free deliveries are worth their product, whatever the caller said."""
        for gesture in self:
            derived = gesture._derived_value()
            if (
                gesture.state == "draft"
                and derived is not None
                and gesture.currency_id.compare_amounts(gesture.value, derived)
            ):
                gesture.sudo().value = derived  # sudo: a value derived by the server
