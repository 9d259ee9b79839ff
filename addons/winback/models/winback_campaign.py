from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

# Longest delay or window a campaign counts in days: ten years (beyond, dates overflow).
MAX_DAYS = 3650
# What a Care manager may set on a campaign, per state (see ``_care_writable_fields``).
# Draft: everything that defines the campaign.
DRAFT_FIELDS = frozenset(
    {
        "name",
        "company_id",
        "user_id",
        "segment_at_risk",
        "segment_dormant",
        "segment_lost",
        "segment_expected",
        "min_revenue",
        "min_orders",
        "partner_domain",
        "holdout_percent",
        "continuous",
        "gesture_type_id",
        "offer_value",
        "ab_test",
        "gesture_type_b_id",
        "offer_value_b",
        "ab_test_percent",
        "ab_min_days",
        "email_template_id",
        "call_delay_days",
        "reminder_days",
        "reminder_template_id",
        "reminder_offer_value",
        "contact_cost",
        "budget",
        "window_days",
        "relapse_days",
        "opportunity_min_revenue",
        "team_id",
    }
)
# Running: the steps still ahead (reminder, call), who follows it up and the budget cap;
# never who is targeted, what they were offered, what past contacts cost or the company.
RUNNING_FIELDS = frozenset(
    {
        "user_id",
        "continuous",
        "call_delay_days",
        "reminder_days",
        "reminder_template_id",
        "reminder_offer_value",
        "budget",
        "window_days",
        "relapse_days",
        "opportunity_min_revenue",
        "team_id",
    }
)
# Done: nothing (its figures are history). State and dates change only through the buttons.


class WinbackCampaign(models.Model):
    """A win-back campaign: a segment of customers, an offer and contact steps.

    Who enters in ``winback_campaign_targeting``, the steps in ``winback_campaign_steps``,
    what it achieved in ``winback_campaign_results``.
    """

    _name = "winback.campaign"
    _description = "Win-back campaign"
    _inherit = [
        "mail.thread",
        "care.number.guard",
        "care.field.policy",
        "care.partner.filter.mixin",
    ]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True, translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        help="Gets the phone-call activities of members who did not respond.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("done", "Done")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        readonly=True,
    )
    # segment
    segment_at_risk = fields.Boolean(string="At risk")
    segment_dormant = fields.Boolean(string="Dormant", default=True)
    segment_lost = fields.Boolean(string="Lost", default=True)
    segment_expected = fields.Boolean(
        string="Expected to order by now",
        help="Also customers whose expected date of next order has passed without an "
        "order, whatever their status.",
    )
    min_revenue = fields.Monetary(
        string="Minimum lifetime revenue", help="Customers who bought less are excluded."
    )
    min_orders = fields.Integer(
        string="Minimum orders",
        default=2,
        help="Occasional buyers with fewer confirmed orders are excluded.",
    )
    partner_domain = fields.Char(string="Customer filter", default="[]")
    holdout_percent = fields.Float(
        string="Holdout (%)",
        default=10.0,
        help="Share of the eligible customers kept out of the campaign to measure its effect.",
    )
    continuous = fields.Boolean(
        help="While running, customers who newly enter the segment join the campaign daily."
    )
    # offer and steps
    gesture_type_id = fields.Many2one(
        "loyalty.gesture.type", string="Offer", check_company=True, tracking=True
    )
    offer_value = fields.Monetary(
        compute="_compute_offer_value", store=True, readonly=False, precompute=True
    )
    email_template_id = fields.Many2one(
        "mail.template",
        string="Email (D0)",
        domain=[("model", "=", "winback.campaign.member")],
        default=lambda self: self.env.ref(
            "winback.mail_template_winback_offer", raise_if_not_found=False
        ),
    )
    call_delay_days = fields.Integer(
        string="Phone call after (days)",
        default=7,
        help="Members who neither responded nor ordered get a phone-call activity then.",
    )
    reminder_days = fields.Integer(
        string="Reminder after (days)",
        help="Members who neither responded nor ordered get a reminder email then. 0: none.",
    )
    reminder_template_id = fields.Many2one(
        "mail.template",
        string="Reminder email",
        domain=[("model", "=", "winback.campaign.member")],
        default=lambda self: self.env.ref(
            "winback.mail_template_winback_reminder", raise_if_not_found=False
        ),
    )
    reminder_offer_value = fields.Monetary(
        string="Reminder offer",
        help="Value of a second, larger offer of the same type sent with the reminder. "
        "0: no new offer.",
    )
    contact_cost = fields.Monetary(help="Cost of one contact (email, call), counted in the ROI.")
    budget = fields.Monetary(help="Offers and contacts stop once this is spent. 0: no cap.")
    window_days = fields.Integer(
        string="Reactivation window (days)",
        default=90,
        help="An order within this many days after the start counts as a reactivation.",
    )
    relapse_days = fields.Integer(
        string="Relapse after (days)",
        default=180,
        help="A reactivated customer who does not order again within this many days relapsed.",
    )
    opportunity_min_revenue = fields.Monetary(
        string="Opportunity above",
        help="Members whose lifetime revenue reaches this amount also get an opportunity "
        "in the CRM pipeline, for a personal call. 0: none.",
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales team", check_company=True, help="Team of the opportunities."
    )
    date_start = fields.Datetime(readonly=True, copy=False)
    date_stop = fields.Datetime(readonly=True, copy=False)
    member_ids = fields.One2many("winback.campaign.member", "campaign_id", string="Members")

    _sql_constraints = [
        (
            "holdout_percent_range",
            "CHECK(holdout_percent >= 0 AND holdout_percent <= 100)",
            "The holdout share must be between 0 and 100%.",
        ),
        (
            "amounts_positive",
            "CHECK(budget >= 0 AND offer_value >= 0 AND contact_cost >= 0 AND min_revenue >= 0)",
            "Budget, offer value, contact cost and minimum revenue cannot be negative.",
        ),
        (
            "reminder_positive",
            "CHECK(reminder_days >= 0 AND reminder_offer_value >= 0)",
            "Reminder delays and offers cannot be negative.",
        ),
        (
            "delays_positive",
            "CHECK(min_orders >= 1 AND call_delay_days >= 0 AND window_days > 0 "
            "AND relapse_days > 0)",
            "Minimum orders, windows and delays must be positive.",
        ),
    ]

    @api.constrains("holdout_percent", "budget", "offer_value", "contact_cost", "min_revenue")
    def _check_amounts(self):
        if any(not 0 <= c.holdout_percent <= 100 for c in self):
            raise ValidationError(self.env._("The holdout share must be between 0 and 100%."))
        if any(min(c.budget, c.offer_value, c.contact_cost, c.min_revenue) < 0 for c in self):
            raise ValidationError(
                self.env._(
                    "Budget, offer value, contact cost and minimum revenue cannot be negative."
                )
            )

    @api.constrains(
        "min_orders",
        "call_delay_days",
        "window_days",
        "relapse_days",
        "reminder_days",
        "reminder_offer_value",
    )
    def _check_delays(self):
        if any(
            c.min_orders < 1
            or c.call_delay_days < 0
            or c.window_days <= 0
            or c.relapse_days <= 0
            or c.reminder_days < 0
            or c.reminder_offer_value < 0
            for c in self
        ):
            raise ValidationError(
                self.env._("Minimum orders, windows and delays must be positive.")
            )
        if any(
            max(c.call_delay_days, c.window_days, c.relapse_days, c.reminder_days) > MAX_DAYS
            for c in self
        ):
            raise ValidationError(
                self.env._(
                    "Windows and delays cannot exceed %(days)s days (ten years).", days=MAX_DAYS
                )
            )

    @api.constrains("email_template_id", "reminder_template_id")
    def _check_templates(self):
        for campaign in self:
            templates = campaign.email_template_id | campaign.reminder_template_id
            if any(t.model != "winback.campaign.member" for t in templates):
                raise ValidationError(
                    self.env._("The campaign's emails must be win-back member templates.")
                )

    @api.constrains("user_id", "company_id")
    def _check_responsible(self):
        for campaign in self:
            user = campaign.user_id
            if (
                user
                and not user._is_superuser()
                and (
                    user.share
                    or campaign.company_id not in user.company_ids
                    or not user.has_group("loyalty_gesture.group_care_agent")
                )
            ):
                raise ValidationError(
                    self.env._(
                        "The responsible of a campaign must be a Customer Care user of %(company)s.",
                        company=campaign.company_id.name,
                    )
                )

    def _partner_filter_error(self, error):
        return self.env._("The customer filter is not a valid domain: %(error)s", error=error)

    # --- CRUD ---

    def _care_writable_fields(self, operation):
        """Care managers: the draft fields on create and in draft, the next steps while it
        runs, nothing once done. Agents have no write access line (ACL) and get nothing."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            return set()
        if operation == "create" or self.state == "draft":
            return set(DRAFT_FIELDS)
        if self.state == "running":
            return set(RUNNING_FIELDS)
        return set()

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.check_access("create")  # agents: no create access, said as such
        for vals in vals_list:
            self._check_own_company(vals)
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self.check_access("write")  # agents: no write access, said as such
        self._check_own_company(vals)
        return super().write(vals)

    def _check_own_company(self, vals):
        if self.env.su or not vals.get("company_id"):
            return
        if vals["company_id"] not in self.env.companies.ids:
            raise UserError(self.env._("You can only run campaigns in your own companies."))

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(c.state != "draft" for c in self):
            raise UserError(self.env._("Only a draft campaign can be deleted."))

    # --- Actions ---

    def action_start(self):
        self._check_manager()
        for campaign in self:
            if campaign.state != "draft":
                raise UserError(
                    self.env._("Campaign %(name)s is already started.", name=campaign.name)
                )
            if not campaign.email_template_id:
                raise UserError(self.env._("Choose the email sent at the start of the campaign."))
            if not any(
                (
                    campaign.segment_at_risk,
                    campaign.segment_dormant,
                    campaign.segment_lost,
                    campaign.segment_expected,
                )
            ):
                raise UserError(self.env._("Choose at least one customer status to target."))
            campaign._check_offer_grantable()
            campaign._step_sender()  # the emails can go (said now, not by the job)
        # sudo: state and dates change only through the buttons (see _care_writable_fields)
        self.sudo().write(
            {"state": "running", "date_start": fields.Datetime.now(), "started_by_id": self.env.uid}
        )
        # targeting and D0 run in the background (winback_campaign_jobs): a large segment
        # would outlast the request's time limit
        self._trigger_job()
        return True

    def action_stop(self):
        self._check_manager()
        if any(c.state != "running" for c in self):
            raise UserError(self.env._("Only a running campaign can be stopped."))
        # sudo: state and dates change only through the buttons (see _care_writable_fields)
        self.sudo().write({"state": "done", "date_stop": fields.Datetime.now()})
        return True

    def action_update_results(self):
        self._check_manager()
        self._update_results()
        return True

    def action_view_members(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "winback.winback_campaign_member_action"
        )
        action["domain"] = [("campaign_id", "in", self.ids)]
        action["context"] = {"default_campaign_id": self.id}
        return action

    # --- Business ---

    def _check_manager(self):
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can run campaigns."))
