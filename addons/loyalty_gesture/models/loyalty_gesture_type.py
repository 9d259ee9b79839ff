from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .care_helpers import count_by, window_action

IMPACT_LEVELS = [
    ("low", "Low"),
    ("moderate", "Moderate"),
    ("high", "High"),
    ("very_high", "Very high"),
]


class LoyaltyGestureType(models.Model):
    """A kind of commercial gesture the company may grant (the catalog).

    Configuration: only Customer Care managers may create or write types (ACLs, as for
    charters, portraits, purposes and channels), so no field allow-list is needed.
    """

    _name = "loyalty.gesture.type"
    _inherit = ["care.number.guard"]
    _description = "Gesture type"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share it.")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id, required=True
    )
    category = fields.Selection(
        [
            ("financial", "Financial"),
            ("service", "Service"),
            ("attentive", "Attentive"),
            ("repair", "Repair"),
        ],
        required=True,
        default="financial",
    )
    purpose_ids = fields.Many2many(
        "loyalty.gesture.purpose",
        "loyalty_gesture_type_purpose_rel",
        "type_id",
        "purpose_id",
        string="Purposes",
        help="What the gesture is for: retention, repairing the relationship, satisfaction...",
    )
    # each kind adds itself, from models/fulfilment_<kind>.py (the coupon first)
    fulfilment = fields.Selection(
        [],
        required=True,
        default="coupon",
        help="What granting the gesture creates in Odoo.",
    )
    default_value = fields.Monetary(help="Value proposed when the gesture is granted.")
    max_value = fields.Monetary(
        string="Maximum value", help="A gesture of this type can never be worth more."
    )
    unit_cost = fields.Monetary(help="What one gesture costs the company besides its value.")
    cost_level = fields.Selection(IMPACT_LEVELS, string="Average cost")
    expected_impact = fields.Selection(
        IMPACT_LEVELS, help="Expected effect on customer loyalty, as estimated by the company."
    )
    channel_ids = fields.Many2many(
        "loyalty.gesture.channel",
        "loyalty_gesture_type_channel_rel",
        "type_id",
        "channel_id",
        string="Channels",
        help="Channels this gesture may be granted on. Empty: every channel.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain=[("model", "=", "loyalty.gesture")],
        help="Email sent to the customer when the gesture is fulfilled.",
    )
    phone_script = fields.Text(
        translate=True,
        help="What the agent says on the phone. Placeholders: {customer}, {gesture}, "
        "{value}, {agent}, {company}.",
    )
    product_id = fields.Many2one(
        "product.product",
        check_company=True,
        help="Gift: the product shipped free of charge; its cost (or sales price, a "
        "setting) is the gesture's value. Free delivery: the delivery product whose price "
        "the voucher covers (else the first shipping method's).",
    )
    validity_days = fields.Integer(
        string="Validity (days)",
        default=90,
        help="Days a coupon or a free-delivery voucher stays valid. 0: no expiry.",
    )
    # Kept for databases and imports that still set it; no longer used: the points of a
    # gesture are its value divided by what the points program's reward gives per point.
    points_per_unit = fields.Float(string="Points per currency unit (unused)", default=1.0)
    points_price = fields.Float(
        string="Price in points",
        help="Points a customer may exchange for this gesture. 0: not available for points.",
    )
    description = fields.Html(translate=True)
    gesture_count = fields.Integer(compute="_compute_gesture_count")

    _sql_constraints = [
        (
            "values_positive",
            "CHECK(default_value >= 0 AND max_value >= 0 AND unit_cost >= 0)",
            "Gesture values and costs cannot be negative.",
        ),
        (
            "points_positive",
            "CHECK(points_per_unit >= 0 AND points_price >= 0 AND validity_days >= 0)",
            "Points and validity cannot be negative.",
        ),
    ]

    def _compute_gesture_count(self):
        counts = count_by(self.env["loyalty.gesture"], "type_id", self)
        for gesture_type in self:
            gesture_type.gesture_count = counts.get(gesture_type, 0)

    @api.constrains("default_value", "max_value")
    def _check_default_below_max(self):
        if any(t.max_value and t.default_value > t.max_value for t in self):
            raise ValidationError(
                self.env._("The default value of a gesture type cannot exceed its maximum.")
            )

    @api.constrains("fulfilment", "product_id")
    def _check_gift_product(self):
        if any(t.fulfilment == "gift" and not t.product_id for t in self):
            raise ValidationError(self.env._("A gift gesture type needs a gift product."))
        for gesture_type in self.filtered(lambda t: t.fulfilment == "gift"):
            gesture_type._check_derived_value(gesture_type.company_id or self.env.company)

    # --- Values derived from products (gifts, free delivery) ---

    def _fulfilment_traits(self):
        """``{kind: traits}``, each ``fulfilment_<kind>.py`` adding its own: ``valued`` (money,
        points or goods: a zero value makes no sense), ``derived`` (worth its product's
        value, never a value the user types)."""
        return {}

    def _is_valued(self):
        return "valued" in self._fulfilment_traits().get(self.fulfilment, ())

    def _is_derived(self):
        return "derived" in self._fulfilment_traits().get(self.fulfilment, ())

    def _derived_value(self, company, currency):
        """The value of a gesture of this type when it comes from a product, in
        ``currency``; None when the agent chooses the value (within the charter)."""
        self.ensure_one()
        if self.fulfilment == "gift":
            product = self.product_id.with_company(company)
            source = company.care_gift_value_source
            amount = product.list_price if source == "list_price" else product.standard_price
            from_currency = (
                product.currency_id if source == "list_price" else product.cost_currency_id
            )
        elif self.fulfilment == "free_delivery":
            product = self.product_id.with_company(company) or self._default_delivery_product(
                company
            )
            amount, from_currency = product.list_price, product.currency_id
        else:
            return None
        from_currency = from_currency or company.currency_id
        return from_currency._convert(amount, currency, company, fields.Date.today())

    def _default_delivery_product(self, company):
        carrier = (
            self.env["delivery.carrier"]
            .sudo()  # sudo: a price for the value, agents may lack sales rights
            .search([("company_id", "in", (company.id, False))], order="sequence, id", limit=1)
        )
        return carrier.product_id.with_company(company)

    def _check_derived_value(self, company):
        """A gift or a free delivery whose product is worth nothing cannot be granted."""
        self.ensure_one()
        value = self._derived_value(company, company.currency_id)
        if value is not None and company.currency_id.is_zero(value):
            if self.fulfilment == "gift":
                raise ValidationError(
                    self.env._(
                        "The gift of %(type)s, %(product)s, is worth nothing: set its cost "
                        "(or its sales price, as the Customer Care settings say) first.",
                        type=self.name,
                        product=self.product_id.display_name,
                    )
                )
            raise ValidationError(
                self.env._(
                    "Free delivery %(type)s has no delivery price: choose its delivery "
                    "product, with a price.",
                    type=self.name,
                )
            )

    @api.constrains("phone_script")
    def _check_phone_script(self):
        for gesture_type in self.filtered("phone_script"):
            try:
                gesture_type._render_phone_script(
                    self.env["res.partner"], self.env.user, gesture_type.default_value
                )
            except (KeyError, IndexError, ValueError) as error:
                raise ValidationError(
                    self.env._(
                        "The phone script of %(type)s has an unknown placeholder: %(error)s",
                        type=gesture_type.name,
                        error=error,
                    )
                ) from error

    def action_view_gestures(self):
        return window_action(
            self.env, "loyalty_gesture.loyalty_gesture_action", domain=[("type_id", "in", self.ids)]
        )

    def _render_phone_script(self, partner, agent, value, currency=None):
        """The phone script with this customer's name, the value and the agent."""
        self.ensure_one()
        if not self.phone_script:
            return ""
        currency = currency or self.currency_id
        amount = currency.format(value) if currency else value
        return self.phone_script.format(
            customer=partner.name or "",
            gesture=self.name,
            value=amount,
            agent=agent.name or "",
            company=(self.company_id or self.env.company).name,
        )
