from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .care_constants import TIERS
from .care_helpers import count_by, window_action

EVENTS = [
    ("order_confirmed", "Order confirmed (thank-you)"),
    ("order_followup", "Some time after the last order (check-in)"),
    ("birthday", "Customer birthday"),
    ("purchase_anniversary", "Anniversary of the first purchase"),
    ("tier_reached", "Tier reached (VIP offer)"),
    ("referral", "Referred customer's first order (referral reward)"),
]
ORDER_EVENTS = ("order_confirmed", "order_followup")


# What a Care manager may set on a rule (ACLs keep everyone else out): its settings.
CONFIG_FIELDS = frozenset(
    {
        "name",
        "sequence",
        "active",
        "company_id",
        "event",
        "delay_days",
        "grace_days",
        "action",
        "gesture_type_id",
        "gesture_value",
        "mail_template_id",
        "tier",
        "min_order_amount",
        "partner_domain",
        "min_days_between",
    }
)


class CareAttentionRule(models.Model):
    """An automatic attention: when an event happens to a customer, a gesture or a message.

    The scheduled action finds the due attentions of every rule with one query per rule
    and logs each one in ``care.attention``, whose unique key (rule, customer, occurrence)
    makes reruns harmless.

    Configuration: only Customer Care managers may create or write rules (ACLs), and
    only the rule's settings (``CONFIG_FIELDS``, ``care.field.policy``): a run's progress
    is the scheduled action's. The gesture a rule grants goes through the gesture's own
    create and submit, its value through the charter.
    """

    _name = "care.attention.rule"
    _inherit = ["care.number.guard", "care.field.policy", "care.partner.filter.mixin"]
    _description = "Automatic attention rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    event = fields.Selection(EVENTS, required=True, default="order_confirmed")
    delay_days = fields.Integer(
        string="Delay (days)",
        default=0,
        help="Days after the event: after the order's confirmation, the birthday, the "
        "purchase anniversary, the tier crossing or the referred customer's first order. "
        "For a check-in, e.g. 21 for three weeks after the last order.",
    )
    grace_days = fields.Integer(
        string="Catch-up (days)",
        default=7,
        help="An attention still goes out this many days late (e.g. the scheduled action "
        "did not run); older events are ignored, so a new rule never reaches back further.",
    )
    action = fields.Selection(
        [("gesture", "Grant a gesture"), ("message", "Send a message only")],
        required=True,
        default="message",
    )
    gesture_type_id = fields.Many2one(
        "loyalty.gesture.type",
        check_company=True,
        domain="[('company_id', 'in', (company_id, False))]",
        help="The gesture granted; it goes through the charter, caps and approval like "
        "any gesture.",
    )
    gesture_value = fields.Monetary(
        string="Gesture value",
        currency_field="currency_id",
        help="Leave empty to use the gesture type's default value.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain="[('model', '=', 'loyalty.gesture' if action == 'gesture' else 'res.partner')]",
        help="Message only: a template on contacts. Gesture: a template on gestures, "
        "instead of the gesture type's email.",
    )
    tier = fields.Selection(
        TIERS,
        help="Tier reached: the tier whose reaching triggers the attention. Other events: "
        "only customers at this tier or above (revenue of the last 12 months).",
    )
    min_order_amount = fields.Monetary(
        string="Minimum order amount",
        currency_field="currency_id",
        help="Order events: only orders of at least this untaxed amount.",
    )
    partner_domain = fields.Char(
        string="Customers",
        default="[]",
        help="Only the customers in this filter get the attention.",
    )
    min_days_between = fields.Integer(
        string="Minimum days between two",
        default=0,
        help="A customer gets this rule's attention at most once in this many days "
        "(0: no limit besides the company's contact cap).",
    )
    attention_ids = fields.One2many("care.attention", "rule_id", string="Attentions")
    attention_count = fields.Integer(compute="_compute_attention_count")
    run_requested_at = fields.Datetime(
        string="Run asked on",
        readonly=True,
        copy=False,
        help="Run now was pressed: the scheduled action runs this rule first.",
    )
    run_started_at = fields.Datetime(
        string="Run started on",
        readonly=True,
        copy=False,
        help="The run in progress, batch after batch, in the background.",
    )
    run_reached = fields.Integer(
        string="Reached so far",
        readonly=True,
        copy=False,
        help="Customers given their attention by the run in progress.",
    )
    last_run_at = fields.Datetime(string="Last run", readonly=True, copy=False)
    last_run_reached = fields.Integer(
        string="Customers reached",
        readonly=True,
        copy=False,
        help="Customers given their gesture or message by the last run; the ones skipped "
        "(contact policy) or refused (charter) are in the attentions too.",
    )
    run_state = fields.Selection(
        [("idle", "Idle"), ("pending", "Run asked"), ("running", "Running")],
        string="Run",
        compute="_compute_run_state",
    )

    # --- Computes and constraints ---

    def _compute_attention_count(self):
        counts = count_by(self.env["care.attention"], "rule_id", self)
        for rule in self:
            rule.attention_count = counts.get(rule, 0)

    def _care_writable_fields(self, operation):
        return set(CONFIG_FIELDS)

    @api.depends("run_requested_at", "run_started_at")
    def _compute_run_state(self):
        for rule in self:
            rule.run_state = (
                "running" if rule.run_started_at else "pending" if rule.run_requested_at else "idle"
            )

    @api.constrains(
        "delay_days", "grace_days", "min_days_between", "gesture_value", "min_order_amount"
    )
    def _check_numbers(self):
        for rule in self:
            if min(rule.delay_days, rule.grace_days, rule.min_days_between) < 0:
                raise ValidationError(self.env._("Delays and days cannot be negative."))
            if rule.grace_days > 60:
                raise ValidationError(self.env._("The catch-up is at most 60 days."))
            if max(rule.delay_days, rule.min_days_between) > 3650:
                raise ValidationError(self.env._("Delays and days are at most ten years."))
            if rule.gesture_value < 0 or rule.min_order_amount < 0:
                raise ValidationError(self.env._("Amounts cannot be negative."))

    @api.constrains("event", "action", "gesture_type_id", "mail_template_id", "tier")
    def _check_configuration(self):
        for rule in self:
            if rule.action == "gesture" and not rule.gesture_type_id:
                raise ValidationError(
                    self.env._("Rule %(rule)s grants a gesture: choose its type.", rule=rule.name)
                )
            if rule.action == "message" and not rule.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s sends a message: choose its email template.",
                        rule=rule.name,
                    )
                )
            expected = "loyalty.gesture" if rule.action == "gesture" else "res.partner"
            if rule.mail_template_id and rule.mail_template_id.model != expected:
                raise ValidationError(
                    self.env._(
                        "The email template of rule %(rule)s must be a template on %(model)s.",
                        rule=rule.name,
                        model=self.env[expected]._description,
                    )
                )
            if rule.event == "tier_reached" and rule.tier in (False, "standard"):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s fires when a tier is reached: choose Silver, Gold or VIP.",
                        rule=rule.name,
                    )
                )

    def _partner_filter_error(self, error):
        return self.env._(
            "The customer filter of attention rule %(rule)s is invalid.", rule=self.name
        )

    # --- Actions ---

    def action_view_attentions(self):
        self.ensure_one()
        return window_action(
            self.env,
            "loyalty_gesture.care_attention_action",
            domain=[("rule_id", "=", self.id)],
            context={},
        )
