import hashlib

from markupsafe import Markup

from odoo import api, fields, models

from ..models.care_helpers import search_prefetched
from ..models.loyalty_gesture import SEVERITY_FROM_PRIORITY


class LoyaltyGestureGrantWizard(models.TransientModel):
    """*Grant a gesture* from a ticket: the customer at a glance, then one button."""

    _name = "loyalty.gesture.grant.wizard"
    _inherit = ["care.number.guard"]
    _description = "Grant a gesture"
    _check_company_auto = True

    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True, check_company=True)
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        precompute=True,
        required=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_from_ticket",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(related="partner_id.commercial_partner_id")
    severity = fields.Selection(
        # the gesture's severities, with their labels in the user's language
        lambda self: (
            self.env["loyalty.gesture"]._fields["severity"]._description_selection(self.env)
        ),
        compute="_compute_from_ticket",
        store=True,
        readonly=False,
        precompute=True,
    )
    channel_id = fields.Many2one(
        "loyalty.gesture.channel",
        compute="_compute_from_ticket",
        store=True,
        readonly=False,
        precompute=True,
    )
    reason = fields.Text(
        compute="_compute_from_ticket", store=True, readonly=False, precompute=True
    )
    suggested_type_ids = fields.Many2many(
        "loyalty.gesture.type",
        string="Suggested gestures",
        compute="_compute_suggested_type_ids",
    )
    type_id = fields.Many2one(
        "loyalty.gesture.type",
        string="Gesture",
        compute="_compute_type_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        check_company=True,
        domain="[('id', 'in', suggested_type_ids)]",
    )
    fulfilment = fields.Selection(related="type_id.fulfilment")
    max_value = fields.Monetary(related="type_id.max_value")
    points_price = fields.Float(related="type_id.points_price")
    value = fields.Monetary(compute="_compute_value", store=True, readonly=False, precompute=True)
    points_text = fields.Char(
        string="Points",
        compute="_compute_points_text",
        help="The points a points gesture credits, and what the program's reward gives for them.",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sale order",
        check_company=True,
        domain="[('partner_id.commercial_partner_id', '=', commercial_partner_id)]",
    )
    invoice_id = fields.Many2one(
        "account.move",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('commercial_partner_id', '=', commercial_partner_id)]",
    )
    paid_with_points = fields.Boolean(help="The customer exchanges loyalty points for it.")
    # The customer at a glance (from the metrics registry)
    revenue = fields.Monetary(string="Lifetime revenue", compute="_compute_metrics")
    seniority_months = fields.Integer(string="Seniority (months)", compute="_compute_metrics")
    points_balance = fields.Float(string="Loyalty points", compute="_compute_metrics")
    gesture_count_12m = fields.Integer(string="Gestures (12 months)", compute="_compute_metrics")
    gesture_value_12m = fields.Monetary(
        string="Gesture value (12 months)", compute="_compute_metrics"
    )
    past_gesture_ids = fields.Many2many(
        "loyalty.gesture", string="Past gestures", compute="_compute_metrics"
    )
    customer_summary_html = fields.Html(
        string="Satisfaction",
        compute="_compute_metrics",
        sanitize=False,
        help="The figures other modules add to the customer metrics registry "
        "(last NPS and CSAT scores, detractor...).",
    )
    approval_html = fields.Html(
        string="Approval",
        compute="_compute_approval_html",
        sanitize=False,
        help="Said before granting: whether this value needs a manager's approval, and why.",
    )
    email_preview = fields.Html(compute="_compute_previews", sanitize=False)
    recommendation_html = fields.Html(
        string="Recommendation", compute="_compute_recommendation_html", sanitize=False
    )
    phone_script = fields.Text(compute="_compute_previews")

    def onchange(self, values, field_names, fields_spec):
        # one refresh of the form evaluates the customer's charter context once, however
        # many fields (ranking, value, recommendation) ask for it
        return super(
            LoyaltyGestureGrantWizard, self.with_context(care_evaluation_cache={})
        ).onchange(values, field_names, fields_spec)

    @api.constrains("ticket_id")
    def _check_ticket_readable(self):
        """The wizard shows the ticket's customer, figures and subject: only from a ticket
        the user may read (its company's record rules included)."""
        self.ticket_id.check_access("read")

    # --- Computes ---

    @api.depends("ticket_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.ticket_id.company_id or self.env.company

    @api.depends("ticket_id")
    def _compute_from_ticket(self):
        channels = self.env["loyalty.gesture.channel"]
        for wizard in self:
            ticket = wizard.ticket_id
            wizard.partner_id = ticket.partner_id
            wizard.severity = SEVERITY_FROM_PRIORITY.get(ticket.priority, "medium")
            # the first gesture channel (in their order) the ticket's channel maps to
            wizard.channel_id = channels.search(
                [("helpdesk_channel_ids", "any", [("id", "in", ticket.channel_id.ids)])], limit=1
            )
            wizard.reason = ticket.name or False

    @api.depends("company_id", "partner_id", "severity", "channel_id")
    def _compute_suggested_type_ids(self):
        for wizard in self:
            wizard.suggested_type_ids = wizard._get_ranked_gesture_types()

    @api.depends("company_id", "partner_id", "severity", "channel_id")
    def _compute_type_id(self):
        for wizard in self:
            ranked = wizard._get_ranked_gesture_types()
            if wizard.type_id not in ranked:
                wizard.type_id = wizard._get_suggestion()["type"]

    @api.depends("type_id")
    def _compute_value(self):
        for wizard in self:
            derived = wizard.type_id and wizard.type_id._derived_value(
                wizard.company_id, wizard.currency_id
            )
            if derived is not None and wizard.type_id:
                wizard.value = derived  # a gift or a delivery is worth its product
                continue
            wizard.value = wizard.type_id.default_value
            if wizard.partner_id and wizard.type_id:  # capped by the charter
                recommendation = self.env["loyalty.gesture.portrait"]._recommend(
                    wizard.partner_id,
                    ticket=wizard.ticket_id,
                    company=wizard.company_id,
                    gesture_types=wizard.type_id,
                )
                wizard.value = recommendation[0]["value"]

    @api.depends("type_id", "value", "company_id")
    def _compute_points_text(self):
        for wizard in self:
            company = wizard.company_id or self.env.company
            program = wizard.type_id.fulfilment == "points" and company._care_points_program()
            if not program:
                wizard.points_text = False
                continue
            currency = wizard.currency_id or company.currency_id
            worth = program._care_point_worth(currency, company)
            if not worth:
                wizard.points_text = self.env._(
                    "The points program gives points no worth: points gestures are refused."
                )
                continue
            points = program._care_points_for(wizard.value, currency, company)
            wizard.points_text = (
                self.env["loyalty.gesture"]
                .with_company(company)
                ._format_points(points, currency.round(points * worth))
            )

    @api.depends("company_id", "partner_id")
    def _compute_recommendation_html(self):
        for wizard in self:
            html = wizard.partner_id and self.env["loyalty.gesture.portrait"]._recommendation_html(
                wizard.partner_id, ticket=wizard.ticket_id, company=wizard.company_id
            )
            suggestion = html and wizard._get_suggestion()
            if suggestion and suggestion["exploration"]:
                html = (
                    Markup('<p class="text-info">%s</p>')
                    % self.env._(
                        "%(type)s is proposed by default in a few cases like this one, so that "
                        "the company keeps learning what works; the first gesture stays "
                        "available.",
                        type=suggestion["type"].display_name,
                    )
                    + html
                )
            wizard.recommendation_html = html

    @api.depends("partner_id", "company_id")
    def _compute_metrics(self):
        partners = self.partner_id
        charter = self.env["loyalty.gesture.charter"]
        past = search_prefetched(
            self.env["loyalty.gesture"],
            [
                ("commercial_partner_id", "in", partners.commercial_partner_id.ids),
                ("state", "not in", ("draft", "cancelled")),
            ],
            limit=20 * len(self),
        )
        for wizard in self:
            # the figures the charter evaluates (computed once per form refresh)
            row = (
                wizard.partner_id
                and charter._evaluation_context(
                    wizard.partner_id, wizard.ticket_id, company=wizard.company_id
                )["metrics"]
            )
            row = row or {}
            wizard.revenue = row.get("revenue", 0.0)
            wizard.seniority_months = row.get("seniority_months", 0)
            wizard.points_balance = row.get("points_balance", 0.0)
            wizard.gesture_count_12m = row.get("gesture_count_12m", 0)
            wizard.gesture_value_12m = row.get("gesture_value_12m", 0.0)
            wizard.customer_summary_html = wizard.partner_id._care_summary_html(row)
            wizard.past_gesture_ids = past.filtered(
                lambda g, wizard=wizard: (
                    g.commercial_partner_id == wizard.partner_id.commercial_partner_id
                )
            )[:20]

    @api.depends("type_id", "partner_id", "value", "ticket_id", "company_id")
    def _compute_approval_html(self):
        charter = self.env["loyalty.gesture.charter"]
        for wizard in self:
            if not (wizard.partner_id and wizard.type_id):
                wizard.approval_html = False
                continue
            result = charter._evaluate(
                wizard.partner_id,
                wizard.type_id,
                wizard.value,
                ticket=wizard.ticket_id,
                company=wizard.company_id,
            )
            if not result["allowed"]:
                title = self.env._("The charter does not allow this gesture:")
                reasons, css = result["blocked_reasons"], "alert-danger"
            elif result["needs_approval"]:
                title = self.env._(
                    "A Customer Care manager approves this gesture before the customer gets it:"
                )
                reasons, css = result["approval_reasons"], "alert-warning"
            else:
                title = self.env._("Within your limit: the customer gets it at once.")
                reasons, css = [], "alert-success"
            wizard.approval_html = Markup(
                '<div class="alert %s mb-0" role="status"><strong>%s</strong>%s</div>'
            ) % (
                css,
                title,
                Markup("<ul class='mb-0'>%s</ul>")
                % Markup().join(Markup("<li>%s</li>") % r for r in reasons)
                if reasons
                else "",
            )

    @api.depends("type_id", "partner_id", "value")
    def _compute_previews(self):
        for wizard in self:
            gesture_type = wizard.type_id
            wizard.phone_script = (
                gesture_type._render_phone_script(
                    wizard.partner_id, self.env.user, wizard.value, wizard.currency_id
                )
                if gesture_type
                else False
            )
            wizard.email_preview = wizard._render_email_preview()

    # --- Actions ---

    def action_grant(self):
        """Create the gesture and submit it: the gesture model does the work."""
        self.ensure_one()
        suggestion = self._get_suggestion()  # computed again here, whatever the client sent
        gesture = self.env["loyalty.gesture"].create(self._prepare_gesture_values())
        if suggestion["type"]:
            gesture._record_suggestion(suggestion)
        gesture.action_submit()
        return {
            "type": "ir.actions.act_window",
            "res_model": "loyalty.gesture",
            "res_id": gesture.id,
            "views": [(False, "form")],
        }

    # --- Hooks ---

    def _get_ranked_gesture_types(self):
        """Gesture types to propose, best first (the charter extends this).

        Default: the company's active types, by catalog sequence.
        """
        self.ensure_one()
        company = self.company_id or self.env.company
        if self.partner_id:  # the charter's allowed types, best first (portraits, severity)
            ranked = self.env["loyalty.gesture.portrait"]._rank_gesture_types(
                self.partner_id, ticket=self.ticket_id, company=company
            )
            return self.env["loyalty.gesture.type"].union(*(r[0] for r in ranked))
        return self.env["loyalty.gesture.type"].search(
            [("company_id", "in", (company.id, False))], order="sequence, id"
        )

    def _get_suggestion(self):
        """The gesture proposed by default: the best allowed one, or, in the company's
        exploration share of cases, the second best (so its effect keeps being measured).

        The draw is a hash of the case, so that every refresh of the form and the grant
        itself agree. :return: dict ``type``, ``exploration``, ``probability``
        """
        self.ensure_one()
        ranked = self._get_ranked_gesture_types()
        share = min(max((self.company_id or self.env.company).care_exploration_rate, 0.0), 100.0)
        share /= 100.0
        if len(ranked) < 2 or not share:
            return {"type": ranked[:1], "exploration": False, "probability": 1.0}
        seed = "care-explore:%s:%s:%s" % (self.company_id.id, self.ticket_id.id, self.partner_id.id)
        draw = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / float(0x100000000)
        if draw < share:
            return {"type": ranked[1], "exploration": True, "probability": share}
        return {"type": ranked[0], "exploration": False, "probability": 1.0 - share}

    def _prepare_gesture_values(self):
        self.ensure_one()
        return {
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "ticket_id": self.ticket_id.id,
            "type_id": self.type_id.id,
            "value": self.value,
            "channel_id": self.channel_id.id,
            "severity": self.severity,
            "reason": self.reason,
            "sale_order_id": self.sale_order_id.id,
            "invoice_id": self.invoice_id.id,
            "paid_with_points": self.paid_with_points,
        }

    def _render_email_preview(self):
        """The type's email as this customer would get it (code shown as a sample)."""
        self.ensure_one()
        template = self.type_id.mail_template_id
        if not template or not self.partner_id:
            return False
        gesture = self.env["loyalty.gesture"].new(self._prepare_gesture_values())
        body = template._render_field("body_html", [gesture.id], compute_lang=True)
        return body.get(gesture.id)
