from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    care_agent_gesture_limit = fields.Monetary(
        string="Agent gesture limit",
        currency_field="currency_id",
        default=50.0,
        help="Gestures worth more than this wait for a manager's approval.",
    )
    care_contact_max = fields.Integer(
        string="Automatic messages per customer",
        default=3,
        help="At most this many automatic messages (gesture emails, surveys, "
        "attentions, win-back steps) to one customer within the window below.",
    )
    care_contact_window_days = fields.Integer(
        string="Contact window (days)",
        default=30,
        help="Rolling window, in days, over which automatic messages are counted.",
    )

    care_tier_silver_revenue = fields.Monetary(
        string="Silver tier from",
        currency_field="currency_id",
        default=1000.0,
        help="Customers whose revenue over the last 12 months reaches this amount are Silver.",
    )
    care_tier_gold_revenue = fields.Monetary(
        string="Gold tier from",
        currency_field="currency_id",
        default=5000.0,
        help="Customers whose revenue over the last 12 months reaches this amount are Gold.",
    )
    care_tier_vip_revenue = fields.Monetary(
        string="VIP tier from",
        currency_field="currency_id",
        default=20000.0,
        help="Customers whose revenue over the last 12 months reaches this amount are VIP.",
    )
    care_abuse_factor = fields.Float(
        string="Abuse guard factor",
        default=3.0,
        help="A customer whose gestures over 12 months (count or value) exceed this "
        "multiple of the median customer's is flagged, and their gestures need approval.",
    )
    care_abuse_min_count = fields.Integer(
        string="Abuse guard minimum",
        default=5,
        help="Never flag a customer with fewer gestures than this over 12 months.",
    )

    care_follow_up_days = fields.Integer(
        string="Gesture follow-up (days)",
        default=7,
        help="Days after a gesture is fulfilled to check with the customer how it landed.",
    )
    care_points_program_id = fields.Many2one(
        "loyalty.program",
        string="Customer points program",
        domain="[('program_type', '=', 'loyalty'), ('company_id', 'in', (id, False))]",
        help="Loyalty program holding the customers' points: points gestures credit it "
        "and customers may exchange its points for gestures.",
    )
    care_gift_value_source = fields.Selection(
        [("cost", "Product cost"), ("list_price", "Product sales price")],
        string="Gift value",
        default="cost",
        required=True,
        help="What a gift gesture is worth for the charter and the limits: its product's "
        "cost or its sales price.",
    )
    care_coupon_program_id = fields.Many2one(
        "loyalty.program",
        string="Gesture coupon program",
        help="Coupon program of the coupons granted as gestures (created when missing).",
    )
    care_delivery_program_id = fields.Many2one(
        "loyalty.program",
        string="Gesture free-delivery program",
        help="Program of the free-delivery vouchers granted as gestures (created when missing).",
    )

    _sql_constraints = [
        (
            "care_contact_policy_positive",
            "CHECK(care_contact_max >= 0 AND care_contact_window_days >= 0 "
            "AND care_agent_gesture_limit >= 0)",
            "Contact caps, windows and gesture limits cannot be negative.",
        ),
    ]

    @api.constrains(
        "care_tier_silver_revenue",
        "care_tier_gold_revenue",
        "care_tier_vip_revenue",
        "care_abuse_factor",
        "care_abuse_min_count",
    )
    def _check_care_tiers(self):
        if any(
            not (
                0
                <= company.care_tier_silver_revenue
                <= company.care_tier_gold_revenue
                <= company.care_tier_vip_revenue
            )
            or company.care_abuse_factor < 1
            or company.care_abuse_min_count < 0
            for company in self
        ):
            raise ValidationError(
                self.env._(
                    "Tier thresholds must be positive and increasing (Silver, Gold, VIP), "
                    "and the abuse guard factor at least 1."
                )
            )

    # --- Gesture fulfilment programs ---

    @api.constrains("care_follow_up_days")
    def _check_care_follow_up_days(self):
        if any(company.care_follow_up_days < 0 for company in self):
            raise ValidationError(self.env._("The follow-up delay cannot be negative."))

    def _care_program(self, kind):
        """The company's program for gesture coupons (``coupons``) or free delivery
        (``free_delivery``), created on first use."""
        self.ensure_one()
        field = "care_coupon_program_id" if kind == "coupons" else "care_delivery_program_id"
        program = self.sudo()[field]  # sudo: agents grant coupons without managing programs
        if program:
            return program
        if kind == "coupons":
            name = self.env._("Gesture coupons")
            reward = {
                "reward_type": "discount",
                "discount_mode": "per_point",
                "discount": 1,
                "discount_applicability": "order",
                "required_points": 1,
            }
        else:
            name = self.env._("Gesture free delivery")
            reward = {"reward_type": "shipping", "required_points": 1}
        program = (
            self.env["loyalty.program"]
            .sudo()  # sudo: the suite creates its own gesture programs
            .with_company(self)
            .create(
                {
                    "name": name,
                    "program_type": "coupons",
                    "company_id": self.id,
                    "applies_on": "current",
                    "trigger": "with_code",
                    "rule_ids": [Command.clear()],
                    "reward_ids": [Command.clear(), Command.create(reward)],
                    "communication_plan_ids": [Command.clear()],
                    "care_personal_coupons": True,
                }
            )
        )
        self.sudo()[field] = program  # sudo: care settings link the program for any user
        return program

    def _care_points_program(self):
        self.ensure_one()
        return self.sudo().care_points_program_id  # sudo: agents read the balance only

    def _care_points_card(self, partner, create=True):
        """The customer's card in the points program (created when missing)."""
        self.ensure_one()
        program = self._care_points_program()
        cards = self.env["loyalty.card"].sudo()  # sudo: agents read the balance only
        if not program:
            return cards
        customer = partner.commercial_partner_id
        card = cards.search(
            [("program_id", "=", program.id), ("partner_id", "=", customer.id)],
            order="id",
            limit=1,
        )
        if not card and create:
            card = cards.with_company(self).create(
                {"program_id": program.id, "partner_id": customer.id, "points": 0}
            )
        return card
