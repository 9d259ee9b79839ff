from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .care_constants import TIER_RANK, TIERS

PRIORITIES = [("0", "Low"), ("1", "Medium"), ("2", "High"), ("3", "Very High")]


class LoyaltyGestureCharterRule(models.Model):
    """One rule of a charter: when its conditions match, its effects apply.

    Rules are tried in order; the first one whose conditions all match applies.
    An empty condition matches everything, so a last rule without conditions is the
    charter's default.
    """

    _name = "loyalty.gesture.charter.rule"
    _description = "Gesture charter rule"
    _inherit = ["care.number.guard", "care.partner.filter.mixin"]
    _order = "charter_id, sequence, id"
    _check_company_auto = True

    charter_id = fields.Many2one(
        "loyalty.gesture.charter", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="charter_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="charter_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)

    # Conditions
    priority_min = fields.Selection(
        PRIORITIES,
        string="Ticket priority from",
        help="Applies only to gestures on a ticket of at least this priority.",
    )
    priority_max = fields.Selection(
        PRIORITIES,
        string="Ticket priority up to",
        help="Applies only to gestures on a ticket of at most this priority.",
    )
    tier_min = fields.Selection(TIERS, string="Customer tier from")
    tier_max = fields.Selection(TIERS, string="Customer tier up to")
    seniority_min_months = fields.Integer(
        string="Seniority from (months)", help="Months since the first order; 0: no condition."
    )
    seniority_max_months = fields.Integer(
        string="Seniority up to (months)", help="Months since the first order; 0: no condition."
    )
    reactivity_min = fields.Float(
        string="Coupons used from (%)",
        help="Reactivity to earlier offers: share of the customer's coupons actually used. "
        "0 and 100: no condition.",
    )
    reactivity_max = fields.Float(string="Coupons used up to (%)", default=100.0)
    category_ids = fields.Many2many(
        "helpdesk.ticket.category",
        string="Ticket categories",
        help="Applies only to tickets of these categories; empty: any.",
    )
    channel_ids = fields.Many2many(
        "helpdesk.ticket.channel",
        string="Channels",
        help="Applies only when the customer contacted us through these channels; empty: any.",
    )
    portrait_ids = fields.Many2many(
        "loyalty.gesture.portrait",
        string="Customer portraits",
        help="Applies only to customers matching one of these portraits; empty: any.",
    )
    partner_domain = fields.Char(
        string="Customers", default="[]", help="Applies only to the customers in this filter."
    )

    conditions_summary = fields.Char(string="When", compute="_compute_conditions_summary")

    # Effects
    allowed_category = fields.Selection(
        [
            ("financial", "Financial"),
            ("service", "Service"),
            ("attentive", "Attentive"),
            ("repair", "Repair"),
        ],
        string="Only gestures of category",
    )
    allowed_type_ids = fields.Many2many(
        "loyalty.gesture.type",
        string="Allowed gestures",
        check_company=True,
        help="Only these gesture types may be granted; empty: any.",
    )
    max_value = fields.Monetary(string="Maximum value", help="0: no maximum.")
    approval_mode = fields.Selection(
        [
            ("limit", "Above the agent limit"),
            ("above", "Above a value"),
            ("always", "Always"),
        ],
        string="Manager's approval",
        default="limit",
        required=True,
        help="Above the agent limit: the limit set in the settings.",
    )
    approval_above = fields.Monetary(string="Approval above")
    cap_count = fields.Integer(
        string="Gestures per 12 months",
        help="At most this many gestures per customer over a rolling 12 months; 0: no cap.",
    )
    cap_value = fields.Monetary(
        string="Value per 12 months",
        help="At most this total value per customer over a rolling 12 months; 0: no cap.",
    )
    min_days_between = fields.Integer(
        string="Days between two gestures", help="Minimum days since the customer's last gesture."
    )

    _sql_constraints = [
        (
            "effects_positive",
            "CHECK(max_value >= 0 AND approval_above >= 0 AND cap_count >= 0 "
            "AND cap_value >= 0 AND min_days_between >= 0 "
            "AND seniority_min_months >= 0 AND seniority_max_months >= 0)",
            "Charter values, caps and delays cannot be negative.",
        ),
        (
            "reactivity_range",
            "CHECK(reactivity_min >= 0 AND reactivity_max <= 100 "
            "AND reactivity_min <= reactivity_max)",
            "Coupon use rates are percentages from 0 to 100, the lower bound first.",
        ),
    ]

    @api.constrains("reactivity_min", "reactivity_max")
    def _check_reactivity(self):
        # the SQL check lets a bound through when the other one is empty (NULL)
        if any(not 0 <= r.reactivity_min <= r.reactivity_max <= 100 for r in self):
            raise ValidationError(
                self.env._("Coupon use rates are percentages from 0 to 100, the lower bound first.")
            )

    @api.constrains("priority_min", "priority_max", "tier_min", "tier_max")
    def _check_ranges(self):
        if any(
            (r.priority_min and r.priority_max and r.priority_min > r.priority_max)
            or (r.tier_min and r.tier_max and TIER_RANK[r.tier_min] > TIER_RANK[r.tier_max])
            for r in self
        ):
            raise ValidationError(
                self.env._("A rule's lower priority or tier cannot be above its upper one.")
            )

    @api.depends(
        "priority_min",
        "priority_max",
        "tier_min",
        "tier_max",
        "seniority_min_months",
        "seniority_max_months",
        "reactivity_min",
        "reactivity_max",
        "category_ids",
        "channel_ids",
        "portrait_ids",
        "partner_domain",
    )
    def _compute_conditions_summary(self):
        for rule in self:
            rule.conditions_summary = rule._describe_conditions()

    def _describe_conditions(self):
        """The rule's conditions in words, e.g. "ticket priority High or above, Gold
        customers or above"; "every case" without conditions.
        """
        self.ensure_one()
        label = {
            name: dict(self._fields[name]._description_selection(self.env))
            for name in ("priority_min", "tier_min")
        }
        parts = []
        for low, high, labels, words in (
            (
                self.priority_min,
                self.priority_max,
                label["priority_min"],
                (
                    self.env._("ticket priority %(low)s to %(high)s"),
                    self.env._("ticket priority %(low)s or above"),
                    self.env._("ticket priority %(high)s or below"),
                ),
            ),
            (
                self.tier_min,
                self.tier_max,
                label["tier_min"],
                (
                    self.env._("%(low)s to %(high)s customers"),
                    self.env._("%(low)s customers or above"),
                    self.env._("%(high)s customers or below"),
                ),
            ),
            (
                self.seniority_min_months,
                self.seniority_max_months,
                None,
                (
                    self.env._("customers for %(low)s to %(high)s months"),
                    self.env._("customers for %(low)s months or more"),
                    self.env._("customers for %(high)s months or less"),
                ),
            ),
        ):
            values = {"low": labels[low] if low and labels else low}
            values["high"] = labels[high] if high and labels else high
            if low and high:
                parts.append(words[0] % values)
            elif low:
                parts.append(words[1] % values)
            elif high:
                parts.append(words[2] % values)
        if self.reactivity_min > 0 or self.reactivity_max < 100:
            parts.append(
                self.env._(
                    "%(low)s to %(high)s%% of coupons used",
                    low=round(self.reactivity_min),
                    high=round(self.reactivity_max),
                )
            )
        for records, word in (
            (self.category_ids, self.env._("category %(names)s")),
            (self.channel_ids, self.env._("channel %(names)s")),
            (self.with_context(active_test=False).portrait_ids, self.env._("portrait %(names)s")),
        ):
            if records:
                parts.append(
                    word % {"names": self.env._(" or ").join(records.mapped("display_name"))}
                )
        if self._partner_domain():
            parts.append(self.env._("customers in the rule's filter"))
        return ", ".join(parts) or self.env._("every case")

    # --- Matching ---

    def _first_match(self, partner, metrics, ticket, channel, portraits, in_filter=None, memo=None):
        """First active rule of ``self`` (in order) whose conditions all match.

        For a batch: ``in_filter``, the customers in each rule's filter, evaluated once
        (:meth:`_partners_in_filters`); ``memo``, the rule found for each case already
        seen (:meth:`_match_key`).
        """
        key = None
        if memo is not None:
            key = self._match_key(partner, metrics, ticket, channel, portraits, in_filter)
            if key in memo:
                return memo[key]
        found = self.browse()
        for rule in self.filtered("active").sorted(lambda r: (r.sequence, r.id)):
            if rule._matches(partner, metrics, ticket, channel, portraits, in_filter):
                found = rule
                break
        if key is not None:
            memo[key] = found
        return found

    @api.model
    def _match_key(self, partner, metrics, ticket, channel, portraits, in_filter):
        """Everything :meth:`_matches` reads of a case (keep the two in step): cases of a
        batch with the same key match the same rule."""
        return (
            ticket.id,
            ticket.priority,
            ticket.category_id.id,
            channel.id,
            metrics.get("tier", "standard"),
            metrics.get("seniority_months", 0),
            metrics.get("coupon_use_rate"),
            tuple(sorted(portraits.ids)),
            tuple(sorted(rule for rule, ids in in_filter.items() if partner.id in ids))
            if in_filter is not None
            else partner.id,
        )

    def _partners_in_filters(self, partners):
        """``{rule id: ids of partners in its customer filter}`` for the rules of ``self``
        that have one: what :meth:`_matches` decides one partner at a time."""
        return {
            rule.id: set(partners.filtered_domain(rule._partner_domain()).ids)
            for rule in self
            if rule._partner_domain()
        }

    def _matches(self, partner, metrics, ticket, channel, portraits, in_filter=None):
        """Whether the case matches the rule (what it reads: :meth:`_match_key`)."""
        self.ensure_one()
        if self.priority_min or self.priority_max:
            if not ticket:
                return False
            priority = ticket.priority or "0"
            if self.priority_min and priority < self.priority_min:
                return False
            if self.priority_max and priority > self.priority_max:
                return False
        tier_rank = TIER_RANK[metrics.get("tier", "standard")]
        if self.tier_min and tier_rank < TIER_RANK[self.tier_min]:
            return False
        if self.tier_max and tier_rank > TIER_RANK[self.tier_max]:
            return False
        seniority = metrics.get("seniority_months", 0)
        if self.seniority_min_months and seniority < self.seniority_min_months:
            return False
        if self.seniority_max_months and seniority > self.seniority_max_months:
            return False
        if self.reactivity_min > 0 or self.reactivity_max < 100:
            rate = metrics.get("coupon_use_rate")
            if rate is None or not self.reactivity_min <= rate <= self.reactivity_max:
                return False
        if self.category_ids and ticket.category_id not in self.category_ids:
            return False
        if self.channel_ids and (not channel or channel not in self.channel_ids):
            return False
        # archived portraits stay conditions (matched by nobody), never vanish from them
        required = self.with_context(active_test=False).portrait_ids
        if required and not required & portraits:
            return False
        if in_filter is not None and self.id in in_filter:
            return partner.id in in_filter[self.id]
        domain = self._partner_domain()
        return not domain or bool(partner.filtered_domain(domain))
