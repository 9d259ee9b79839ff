from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.loyalty_gesture import VALUED_FULFILMENTS
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

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
    """A win-back campaign: a segment of customers, an offer and contact steps."""

    _name = "winback.campaign"
    _description = "Win-back campaign"
    _inherit = ["mail.thread", "care.number.guard", "care.field.policy"]
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
    # results
    member_count = fields.Integer(compute="_compute_results", string="Targeted")
    holdout_count = fields.Integer(compute="_compute_results")
    excluded_count = fields.Integer(compute="_compute_results")
    contacted_count = fields.Integer(compute="_compute_results")
    reactivated_count = fields.Integer(compute="_compute_results")
    holdout_reactivated_count = fields.Integer(compute="_compute_results")
    relapsed_count = fields.Integer(compute="_compute_results")
    reactivation_rate = fields.Float(compute="_compute_results", string="Reactivation (%)")
    holdout_rate = fields.Float(compute="_compute_results", string="Holdout reactivation (%)")
    lift = fields.Float(
        compute="_compute_results",
        string="Lift (points)",
        help="Reactivation rate of the members minus that of the holdout group.",
    )
    relapse_rate = fields.Float(compute="_compute_results", string="Relapse (%)")
    revenue_won = fields.Monetary(
        compute="_compute_results",
        string="Revenue won back",
        help="Revenue of reactivated members within the reactivation window.",
    )
    cost = fields.Monetary(
        compute="_compute_results",
        help="Unit cost of every offer, value of the coupons redeemed and of the other "
        "gestures fulfilled, plus the contacts.",
    )
    roi = fields.Float(
        compute="_compute_results", string="ROI (%)", help="(Revenue won back - cost) / cost."
    )

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

    @api.depends("gesture_type_id")
    def _compute_offer_value(self):
        for campaign in self:
            gesture_type = campaign.gesture_type_id
            if gesture_type and gesture_type.fulfilment not in VALUED_FULFILMENTS:
                campaign.offer_value = campaign._derived_offer_value()
            else:
                campaign.offer_value = gesture_type.default_value

    def _derived_offer_value(self):
        """The value the gesture pipeline gives an offer whose value is not chosen (a gift,
        a free delivery...): the value of a draft gesture of the campaign's type."""
        self.ensure_one()
        if not self.gesture_type_id:
            return 0.0
        draft = self.env["loyalty.gesture"].new(
            {"type_id": self.gesture_type_id.id, "company_id": self.company_id.id}
        )
        return draft.value

    def _compute_results(self):
        groups = self.env["winback.campaign.member"]._read_group(
            [("campaign_id", "in", self.ids)],
            ["campaign_id", "state", "is_holdout", "reactivated", "relapsed"],
            ["__count", "revenue:sum", "offer_cost:sum", "contacted:count_distinct"],
        )
        results = {
            campaign.id: dict.fromkeys(
                (
                    "member_count",
                    "holdout_count",
                    "excluded_count",
                    "contacted_count",
                    "reactivated_count",
                    "holdout_reactivated_count",
                    "relapsed_count",
                    "revenue_won",
                    "offer_cost",
                ),
                0,
            )
            for campaign in self
        }
        for campaign, state, holdout, reactivated, relapsed, count, revenue, offers, _c in groups:
            row = results[campaign.id]
            if state == "excluded":
                row["excluded_count"] += count
            elif holdout:
                row["holdout_count"] += count
                row["holdout_reactivated_count"] += count if reactivated else 0
            else:
                row["member_count"] += count
                row["offer_cost"] += offers
                if state != "targeted":
                    row["contacted_count"] += count
                if reactivated:
                    row["reactivated_count"] += count
                    row["revenue_won"] += revenue
                    row["relapsed_count"] += count if relapsed else 0
        for campaign in self:
            row = results[campaign.id]
            rate = (
                100.0 * row["reactivated_count"] / row["member_count"]
                if row["member_count"]
                else 0.0
            )
            holdout_rate = (
                100.0 * row["holdout_reactivated_count"] / row["holdout_count"]
                if row["holdout_count"]
                else 0.0
            )
            cost = row["offer_cost"] + row["contacted_count"] * campaign.contact_cost
            campaign.update(
                {
                    "member_count": row["member_count"],
                    "holdout_count": row["holdout_count"],
                    "excluded_count": row["excluded_count"],
                    "contacted_count": row["contacted_count"],
                    "reactivated_count": row["reactivated_count"],
                    "holdout_reactivated_count": row["holdout_reactivated_count"],
                    "relapsed_count": row["relapsed_count"],
                    "reactivation_rate": rate,
                    "holdout_rate": holdout_rate,
                    "lift": rate - holdout_rate,
                    "relapse_rate": 100.0 * row["relapsed_count"] / row["reactivated_count"]
                    if row["reactivated_count"]
                    else 0.0,
                    "revenue_won": row["revenue_won"],
                    "cost": cost,
                    "roi": 100.0 * (row["revenue_won"] - cost) / cost if cost else 0.0,
                }
            )

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

    @api.constrains("gesture_type_id", "offer_value", "reminder_offer_value", "company_id")
    def _check_offer(self):
        """The offers a campaign makes stay within what its gesture type allows.

        The charter checks each gesture again when it is granted; refusing here tells the
        manager at once, not when the campaign starts or the reminder goes.
        """
        for campaign in self:
            gesture_type = campaign.gesture_type_id
            if not gesture_type:
                continue
            top = gesture_type.max_value
            for value in (campaign.offer_value, campaign.reminder_offer_value):
                if top and value > top:
                    raise ValidationError(
                        self.env._(
                            'The offer of %(value)s is above the maximum of %(max)s for "%(type)s".',
                            value=value,
                            max=top,
                            type=gesture_type.display_name,
                        )
                    )
            if gesture_type.fulfilment in VALUED_FULFILMENTS:
                continue
            if campaign.reminder_offer_value:
                raise ValidationError(
                    self.env._(
                        '"%(type)s" is not a valued gesture: the reminder cannot offer more.',
                        type=gesture_type.display_name,
                    )
                )
            derived = campaign._derived_offer_value()
            if campaign.currency_id.compare_amounts(campaign.offer_value, derived):
                raise ValidationError(
                    self.env._(
                        'The value of a "%(type)s" offer is set by its gesture type (%(value)s), '
                        "not by the campaign.",
                        type=gesture_type.display_name,
                        value=derived,
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

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for campaign in self:
            try:
                self.env["res.partner"]._search(campaign._partner_domain())
            except Exception as error:
                raise ValidationError(
                    self.env._("The customer filter is not a valid domain: %(error)s", error=error)
                ) from error

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
        # sudo: state and dates change only through the buttons (see _care_writable_fields)
        self.sudo().write({"state": "running", "date_start": fields.Datetime.now()})
        for campaign in self:
            campaign._target()
            campaign._run_first_step()
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

    def _check_offer_grantable(self):
        """Before anything is sent: an offer of a valued type has a positive value; the
        value of another kind of offer is the one the gesture pipeline gives it today."""
        self.ensure_one()
        gesture_type = self.gesture_type_id
        if not gesture_type:
            return
        if not gesture_type.active:
            raise UserError(
                self.env._("Gesture type %(type)s is archived.", type=gesture_type.name)
            )
        if gesture_type.fulfilment in VALUED_FULFILMENTS:
            if self.offer_value <= 0:
                raise UserError(
                    self.env._(
                        'Give the "%(type)s" offer a positive value.', type=gesture_type.name
                    )
                )
            return
        derived = self._derived_offer_value()
        if self.currency_id.compare_amounts(self.offer_value, derived):
            # sudo: the value of this kind of offer is derived by the server, not chosen
            self.sudo().offer_value = derived

    def _offer_vals(self, member, value, reason):
        """A draft gesture for ``member``: the value only for valued types, other kinds
        (gift, free delivery...) get theirs from the gesture pipeline."""
        vals = {
            "partner_id": member.partner_id.id,
            "type_id": self.gesture_type_id.id,
            "company_id": self.company_id.id,
            "reason": reason,
        }
        if self.gesture_type_id.fulfilment in VALUED_FULFILMENTS:
            vals["value"] = value
        return vals

    def _partner_domain(self):
        self.ensure_one()
        domain = safe_eval(self.partner_domain or "[]")
        if not isinstance(domain, list | tuple):
            raise ValueError(self.env._("a domain is a list of conditions"))
        return list(domain)

    def _statuses(self):
        self.ensure_one()
        return tuple(
            status
            for status, chosen in (
                ("at_risk", self.segment_at_risk),
                ("dormant", self.segment_dormant),
                ("lost", self.segment_lost),
            )
            if chosen
        )

    def _target(self):
        """Add the segment's customers as members in one INSERT … SELECT.

        Idempotent: a customer is a member once per campaign (unique key). The holdout
        split is a hash of (campaign, customer), so it never changes on rerun.
        """
        self.ensure_one()
        statuses = self._statuses()
        if not statuses and not self.segment_expected:
            return
        domain = self._partner_domain()
        partner_filter = SQL("TRUE")
        if domain:
            query = self.env["res.partner"].with_company(self.company_id)._search(domain)
            partner_filter = SQL("s.partner_id IN %s", query.subselect())
        self.flush_model()
        self.env["winback.customer.score"].flush_model()
        self.env["winback.campaign.member"].flush_model()
        self.env["res.partner"].flush_model(["email", "email_normalized", "care_opt_out", "active"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO winback_campaign_member (
                    campaign_id, company_id, partner_id, status_at_start, churn_risk_at_start,
                    revenue_before, is_holdout, state, exclude_reason, contacted, reactivated,
                    relapsed, call_scheduled, revenue, offer_cost,
                    create_uid, write_uid, create_date, write_date)
                SELECT %(campaign)s, %(company)s, t.partner_id, t.status, t.churn_risk,
                       t.revenue,
                       t.exclude_reason IS NULL AND t.bucket < %(holdout)s,
                       CASE WHEN t.exclude_reason IS NOT NULL THEN 'excluded'
                            WHEN t.bucket < %(holdout)s THEN 'holdout'
                            ELSE 'targeted' END,
                       t.exclude_reason, FALSE, FALSE, FALSE, FALSE, 0, 0,
                       %(uid)s, %(uid)s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM (
                    SELECT s.partner_id, s.status, s.churn_risk, s.revenue,
                           CASE WHEN s.order_count < %(min_orders)s THEN 'occasional'
                                WHEN s.revenue < %(min_revenue)s THEN 'low_value'
                                WHEN p.care_opt_out OR COALESCE(p.email, '') = ''
                                  OR bl.id IS NOT NULL THEN 'no_contact'
                                WHEN busy.id IS NOT NULL THEN 'other_campaign'
                           END AS exclude_reason,
                           mod(('x' || substr(md5(%(campaign)s::text || '-'
                                                   || s.partner_id::text), 1, 7)
                               )::bit(28)::int, 10000) AS bucket
                      FROM winback_customer_score s
                      JOIN res_partner p ON p.id = s.partner_id
                 LEFT JOIN mail_blacklist bl
                        ON bl.email = p.email_normalized AND bl.active
                 LEFT JOIN LATERAL (
                        SELECT m.id FROM winback_campaign_member m
                          JOIN winback_campaign c ON c.id = m.campaign_id
                         WHERE m.partner_id = s.partner_id AND c.state = 'running'
                           AND c.id != %(campaign)s AND m.state != 'excluded'
                         LIMIT 1) busy ON TRUE
                     WHERE s.company_id = %(company)s
                       AND (s.status = ANY(%(statuses)s)
                            OR (%(expected)s AND s.expected_order_date < %(today)s))
                       AND p.active
                       AND %(partner_filter)s
                  ) AS t
                ON CONFLICT (campaign_id, partner_id) DO NOTHING
                """,
                campaign=self.id,
                company=self.company_id.id,
                holdout=round(self.holdout_percent * 100),
                min_orders=self.min_orders,
                min_revenue=self.min_revenue,
                statuses=list(statuses),
                expected=self.segment_expected,
                today=fields.Date.context_today(self),
                partner_filter=partner_filter,
                uid=self.env.uid,
            )
        )
        self.env["winback.campaign.member"].invalidate_model()

    def _run_first_step(self):
        """D0 for the members not contacted yet: offer (a gesture) and email, within budget."""
        self.ensure_one()
        members = self.member_ids.filtered(lambda m: m.state == "targeted").sorted(
            lambda m: (-m.revenue_before, m.id)
        )
        accepted = self._grant_offers(members)
        if accepted:
            self._send_first_emails(accepted)

    def _grant_offers(self, members):
        """Contact policy, budget and offers (one gesture each, granted as a batch) for
        ``members`` in order; returns the members who may be contacted."""
        self.ensure_one()
        if not members:
            return members
        self.invalidate_recordset(["cost"])
        spent = self.cost
        unit = self.offer_value + self.type_unit_cost() + self.contact_cost
        log = self.env["care.contact.log"]
        partners = members.partner_id.browse([m.partner_id.id for m in members])
        refusals = log._contact_refusals(partners, self.company_id)
        # in order while the budget lasts; a refused contact costs nothing
        asked = len(members)
        for index, refusal in enumerate(refusals):
            if self.budget and spent + unit > self.budget:
                asked = index
                break
            if not refusal:
                spent += unit
        over_budget = members[asked:]
        members = members[:asked]
        log._log_contacts(
            partners[:asked],
            "winback",
            records=members,
            company=self.company_id,
            refusals=refusals[:asked],
        )
        refused = members.browse(
            [m.id for m, refusal in zip(members, refusals, strict=False) if refusal]
        )
        accepted = members - refused
        over_budget._write_step({"state": "excluded", "exclude_reason": "budget"})
        refused._write_step({"state": "excluded", "exclude_reason": "contact_refused"})
        if accepted and self.gesture_type_id:
            # one offer per member: the member's record is their trace, not a chatter
            # message per gesture and state change
            gestures = (
                self.env["loyalty.gesture"]
                .with_context(
                    mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
                )
                .create(
                    [
                        self._offer_vals(
                            member,
                            self.offer_value,
                            self.env._("Win-back campaign %(name)s", name=self.name),
                        )
                        for member in accepted
                    ]
                )
            )
            gestures.action_submit()
            for member, gesture in zip(accepted, gestures, strict=True):
                member._write_step({"gesture_id": gesture.id})
        return accepted

    def _send_first_emails(self, accepted):
        """D0 email to the members who got their offer, opportunities, results."""
        accepted._write_step(
            {
                "state": "contacted",
                "contacted": True,
                "contact_date": fields.Datetime.now(),
                "offer_cost": self.type_unit_cost(),
            }
        )
        self.email_template_id.send_mail_batch(
            accepted.ids, email_layout_xmlid="loyalty_gesture.mail_layout_care"
        )
        self._create_opportunities(accepted)
        self._update_results()

    def _create_opportunities(self, members):
        """An opportunity in the pipeline for each high-value member, once."""
        self.ensure_one()
        if not self.opportunity_min_revenue:
            return
        members = members.filtered(
            lambda m: not m.lead_id and m.revenue_before >= self.opportunity_min_revenue
        )
        if not members:
            return
        leads = (
            self.env["crm.lead"]
            .sudo()  # sudo: care managers may not be salespeople
            .create(
                [
                    {
                        "name": self.env._(
                            "Win-back: %(customer)s", customer=member.partner_id.name
                        ),
                        "type": "opportunity",
                        "partner_id": member.partner_id.id,
                        "company_id": self.company_id.id,
                        "user_id": (self.user_id or self.env.user).id,
                        "team_id": self.team_id.id or False,
                        "description": self.env._(
                            "Win-back campaign %(name)s. Lifetime revenue: %(revenue)s.",
                            name=self.name,
                            revenue=member.revenue_before,
                        ),
                    }
                    for member in members
                ]
            )
        )
        for member, lead in zip(members, leads, strict=True):
            member._write_step({"lead_id": lead.id})

    def type_unit_cost(self):
        return self.gesture_type_id.unit_cost if self.gesture_type_id else 0.0

    def _schedule_calls(self):
        """D+N: a phone-call activity for each member who neither responded nor ordered."""
        now = fields.Datetime.now()
        call_type = self.env.ref("mail.mail_activity_data_call")
        model_id = self.env["ir.model"]._get_id("winback.campaign.member")
        for campaign in self:
            members = self.env["winback.campaign.member"].search(
                [
                    ("campaign_id", "=", campaign.id),
                    ("state", "=", "contacted"),
                    ("call_scheduled", "=", False),
                    ("contact_date", "<=", now - timedelta(days=campaign.call_delay_days)),
                ]
            )
            if not members:
                continue
            self.env["mail.activity"].create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": member.id,
                        "activity_type_id": call_type.id,
                        "user_id": (campaign.user_id or self.env.user).id,
                        "date_deadline": fields.Date.context_today(self),
                        "summary": self.env._(
                            "Win-back call: %(customer)s", customer=member.partner_id.name
                        ),
                    }
                    for member in members
                ]
            )
            members._write_step({"call_scheduled": True})

    def _send_reminders(self):
        """D+N: a reminder email, with a larger offer if set, to silent members."""
        now = fields.Datetime.now()
        log = self.env["care.contact.log"]
        for campaign in self.filtered(lambda c: c.reminder_days and c.reminder_template_id):
            members = self.env["winback.campaign.member"].search(
                [
                    ("campaign_id", "=", campaign.id),
                    ("state", "=", "contacted"),
                    ("reminded", "=", False),
                    ("contact_date", "<=", now - timedelta(days=campaign.reminder_days)),
                ]
            )
            if not members:
                continue
            campaign.invalidate_recordset(["cost"])
            spent = campaign.cost
            unit = campaign.contact_cost + (
                campaign.reminder_offer_value + campaign.type_unit_cost()
                if campaign.reminder_offer_value and campaign.gesture_type_id
                else 0.0
            )
            reminded = members.browse()
            for member in members:
                if campaign.budget and spent + unit > campaign.budget:
                    continue
                if log._log_contact(
                    member.partner_id, "winback", record=member, company=campaign.company_id
                ):
                    reminded |= member
                    spent += unit
            # members past the budget or the contact cap are not reminded, and not retried
            members._write_step({"reminded": True})
            if not reminded:
                continue
            if campaign.reminder_offer_value and campaign.gesture_type_id:
                gestures = self.env["loyalty.gesture"].create(
                    [
                        campaign._offer_vals(
                            member,
                            campaign.reminder_offer_value,
                            self.env._("Win-back campaign %(name)s, reminder", name=campaign.name),
                        )
                        for member in reminded
                    ]
                )
                gestures.action_submit()
                for member, gesture in zip(reminded, gestures, strict=True):
                    member._write_step(
                        {
                            "reminder_gesture_id": gesture.id,
                            "offer_cost": member.offer_cost + campaign.type_unit_cost(),
                        }
                    )
            reminded._write_step({"reminder_sent": True})
            campaign.reminder_template_id.send_mail_batch(
                reminded.ids, email_layout_xmlid="loyalty_gesture.mail_layout_care"
            )

    def _update_results(self):
        """Reactivations, revenue in the window and relapses, set-based for ``self``."""
        if not self:
            return
        now = fields.Datetime.now()
        self.env["sale.order"].flush_model(
            ["partner_id", "company_id", "state", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["sale.order.line"].flush_model(["order_id", "coupon_id"])
        self.env["loyalty.gesture"].flush_model()
        self.flush_model()
        self.env["winback.campaign.member"].flush_model()
        cr = self.env.cr
        # first confirmed order in the window after the start (members and holdout alike)
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET first_order_id = f.order_id,
                       first_order_date = f.date_order,
                       first_order_amount = f.amount,
                       reactivated = TRUE,
                       state = CASE WHEN m.state IN ('targeted', 'contacted', 'responded')
                                    THEN 'reactivated' ELSE m.state END
                  FROM (
                    SELECT DISTINCT ON (m2.id) m2.id AS member_id, so.id AS order_id,
                           so.date_order,
                           so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0)
                             AS amount
                      FROM winback_campaign_member m2
                      JOIN winback_campaign c ON c.id = m2.campaign_id
                      JOIN res_partner p ON p.commercial_partner_id = m2.partner_id
                      JOIN sale_order so ON so.partner_id = p.id
                       AND so.company_id = m2.company_id AND so.state = 'sale'
                       AND so.date_order >= c.date_start
                       AND so.date_order < c.date_start + make_interval(days => c.window_days)
                       AND so.date_order <= %(now)s
                     WHERE m2.campaign_id IN %(campaigns)s
                       AND m2.first_order_id IS NULL AND m2.state != 'excluded'
                  ORDER BY m2.id, so.date_order, so.id
                  ) f
                 WHERE m.id = f.member_id
                """,
                campaigns=tuple(self.ids),
                now=now,
            )
        )
        # revenue within the window
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET revenue = r.total
                  FROM (
                    SELECT m2.id,
                           SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1.0))
                             AS total
                      FROM winback_campaign_member m2
                      JOIN winback_campaign c ON c.id = m2.campaign_id
                      JOIN res_partner p ON p.commercial_partner_id = m2.partner_id
                      JOIN sale_order so ON so.partner_id = p.id
                       AND so.company_id = m2.company_id AND so.state = 'sale'
                       AND so.date_order >= c.date_start
                       AND so.date_order < c.date_start + make_interval(days => c.window_days)
                     WHERE m2.campaign_id IN %(campaigns)s AND m2.reactivated
                  GROUP BY m2.id
                  ) r
                 WHERE m.id = r.id AND m.revenue IS DISTINCT FROM r.total
                """,
                campaigns=tuple(self.ids),
            )
        )
        # offer cost: the unit cost always; the value once a coupon is redeemed on a
        # confirmed order, or once any other kind of gesture is fulfilled
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET offer_cost = o.cost
                  FROM (
                    SELECT m2.id,
                           SUM(COALESCE(t.unit_cost, 0) + CASE
                               WHEN g.state IN ('refused', 'cancelled') THEN 0
                               WHEN g.fulfilment = 'coupon' AND EXISTS (
                                    SELECT 1 FROM sale_order_line sol
                                      JOIN sale_order so ON so.id = sol.order_id
                                     WHERE sol.coupon_id = g.coupon_card_id
                                       AND so.state = 'sale') THEN g.value
                               WHEN g.fulfilment != 'coupon'
                                AND g.state IN ('done', 'followed_up') THEN g.value
                               ELSE 0 END) AS cost
                      FROM winback_campaign_member m2
                      JOIN loyalty_gesture g
                        ON g.id IN (m2.gesture_id, m2.reminder_gesture_id)
                      JOIN loyalty_gesture_type t ON t.id = g.type_id
                     WHERE m2.campaign_id IN %(campaigns)s
                  GROUP BY m2.id
                  ) o
                 WHERE m.id = o.id AND m.offer_cost IS DISTINCT FROM o.cost
                """,
                campaigns=tuple(self.ids),
            )
        )
        # relapse: reactivated, then no other order within the relapse delay
        cr.execute(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET relapsed = TRUE,
                       state = CASE WHEN m.is_holdout THEN m.state ELSE 'relapsed' END
                  FROM winback_campaign c
                 WHERE c.id = m.campaign_id AND m.campaign_id IN %(campaigns)s
                   AND m.reactivated AND NOT m.relapsed
                   AND m.first_order_date + make_interval(days => c.relapse_days) <= %(now)s
                   AND NOT EXISTS (
                        SELECT 1 FROM sale_order so
                          JOIN res_partner p ON p.id = so.partner_id
                         WHERE p.commercial_partner_id = m.partner_id
                           AND so.company_id = m.company_id AND so.state = 'sale'
                           AND so.id != m.first_order_id
                           AND so.date_order >= m.first_order_date
                           AND so.date_order
                               <= m.first_order_date + make_interval(days => c.relapse_days))
                """,
                campaigns=tuple(self.ids),
                now=now,
            )
        )
        self.env["winback.campaign.member"].invalidate_model()

    @api.model
    def _cron_process_campaigns(self):
        """Daily: continuous targeting, phone steps, results. Safe to rerun."""
        campaigns = self.search([("state", "=", "running")], order="id")
        for campaign in campaigns.filtered("continuous"):
            campaign._target()
            campaign._run_first_step()
        campaigns._update_results()
        campaigns._send_reminders()
        campaigns._schedule_calls()
        # campaigns that are over keep measuring relapses
        self.search([("state", "=", "done")])._update_results()
        self.env["ir.cron"]._notify_progress(done=len(campaigns), remaining=0)
