from odoo import api, fields, models

# The campaign's fields holding the UTM source of each email step.
STEP_SOURCE_FIELDS = {"d0": "utm_d0_source_id", "reminder": "utm_reminder_source_id"}


class WinbackCampaign(models.Model):
    """The campaign's UTM: one ``utm.campaign`` per win-back campaign, one ``utm.source``
    per email step, the email medium. The steps' mailings, the opportunities and the
    orders that use the campaign's coupons carry them, so that the Sales and CRM reports
    group their results by UTM as they do for any Odoo campaign."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    utm_campaign_id = fields.Many2one(
        "utm.campaign",
        string="UTM campaign",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="Carried by the campaign's mailings, its opportunities and the orders that "
        "use its coupons: the Sales and CRM reports group by it.",
    )
    utm_d0_source_id = fields.Many2one(
        "utm.source", string="UTM source (D0 email)", readonly=True, copy=False
    )
    utm_reminder_source_id = fields.Many2one(
        "utm.source", string="UTM source (reminder)", readonly=True, copy=False
    )
    utm_order_count = fields.Integer(
        compute="_compute_utm_order_count",
        string="Orders",
        groups="sales_team.group_sale_salesman",
        help="Confirmed orders carrying the campaign's UTM campaign (those you may see).",
    )

    def _compute_utm_order_count(self):
        # the user's own rights: the count matches what the sales analysis shows them
        counts = dict(
            self.env["sale.order"]._read_group(
                [
                    ("campaign_id", "in", self.utm_campaign_id.ids),
                    ("state", "=", "sale"),
                ],
                ["campaign_id"],
                ["__count"],
            )
        )
        for campaign in self:
            campaign.utm_order_count = counts.get(campaign.utm_campaign_id, 0)

    # --- CRUD ---

    def write(self, vals):
        if vals.get("company_id") and self.utm_campaign_id:
            # before the write: the company check compares the two
            self.utm_campaign_id.company_id = vals["company_id"]
        res = super().write(vals)
        if "name" in vals and self.utm_campaign_id:
            self._utm_follow_name()
        return res

    # --- Actions ---

    def action_start(self):
        # the UTM exists before the job sends anything (its workers then only read it)
        self._check_manager()
        self._utm_ensure()
        return super().action_start()

    def action_view_utm_orders(self):
        """The sales analysis of the orders carrying the campaign's UTM, by source."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_order_report_all")
        action["display_name"] = self.env._("Orders of %(campaign)s", campaign=self.name)
        action["domain"] = [("campaign_id", "in", self.utm_campaign_id.ids)]  # none: nothing
        action["context"] = {"search_default_Sales": 1, "group_by": ["source_id"]}
        return action

    # --- Business ---

    def _utm_ensure(self):
        """The UTM campaign and the steps' sources of ``self``, created where missing."""
        self._utm_ensure_campaign()
        for step in STEP_SOURCE_FIELDS:
            self._utm_ensure_sources(step)

    def _utm_ensure_campaign(self):
        missing = self.filtered(lambda c: not c.utm_campaign_id)
        if not missing:
            return
        utm_campaigns = self.env["utm.campaign"].create(
            [{"title": campaign.name, "company_id": campaign.company_id.id} for campaign in missing]
        )
        for campaign, utm_campaign in zip(missing, utm_campaigns, strict=True):
            # sudo: the UTM is the campaign's own, not a setting (see _care_writable_fields)
            campaign.sudo().utm_campaign_id = utm_campaign

    def _utm_ensure_sources(self, step):
        field = STEP_SOURCE_FIELDS[step]
        missing = self.filtered(lambda c: not c[field])
        if not missing:
            return
        sources = self.env["utm.source"].create(
            [{"name": campaign._utm_source_name(step)} for campaign in missing]
        )
        for campaign, source in zip(missing, sources, strict=True):
            # sudo: the UTM is the campaign's own, not a setting (see _care_writable_fields)
            campaign.sudo()[field] = source

    def _utm_source_name(self, step):
        self.ensure_one()
        if step == "reminder":
            return self.env._("%(campaign)s: reminder email", campaign=self.name)
        return self.env._("%(campaign)s: offer email (D0)", campaign=self.name)

    def _utm_follow_name(self):
        """The UTM campaign and sources keep the campaign's name."""
        for campaign in self.filtered("utm_campaign_id"):
            campaign.utm_campaign_id.title = campaign.name
            for step, field in STEP_SOURCE_FIELDS.items():
                source = campaign[field]
                if source:
                    name = (
                        self.env["utm.mixin"]
                        .with_context(utm_check_skip_record_ids=source.ids)
                        ._get_unique_names("utm.source", [campaign._utm_source_name(step)])[0]
                    )
                    source.name = name

    def _utm_source(self, step):
        """The ``utm.source`` of the campaign's email ``step`` ("d0" or "reminder"),
        created if missing."""
        self.ensure_one()
        self._utm_ensure_sources(step)
        return self[STEP_SOURCE_FIELDS[step]]

    def _utm_values(self, step):
        """The UTM of the campaign's ``step``: campaign, source and the email medium (ids)."""
        self.ensure_one()
        self._utm_ensure_campaign()
        return {
            "campaign_id": self.utm_campaign_id.id,
            "source_id": self._utm_source(step).id,
            "medium_id": self.env["utm.medium"]._fetch_or_create_utm_medium("email").id,
        }

    def _mailing_utm_values(self, step, variant=False):
        """What the ``step``'s mailing (of offer ``variant``, if any) carries: the
        campaign's UTM campaign, the step's source and the email medium. The variants of
        a step share its source: the offer is told apart by the member, not the mail."""
        parent = getattr(super(), "_mailing_utm_values", None)
        values = dict(parent(step, variant=variant)) if parent else {}
        values.update(self._utm_values(step))
        return values

    def _lead_utm_values(self):
        """What the campaign's opportunities carry: the UTM of the D0 email."""
        return self._utm_values("d0")

    @api.model
    def _utm_step_by_coupon(self, cards):
        """``{card: (campaign, step)}`` for the ``cards`` (``loyalty.card``) that are a
        campaign's offer: a member's D0 coupon ("d0") or reminder coupon ("reminder").

        Read through the cards' customers, whose gestures and memberships are indexed.
        """
        if not cards:
            return {}
        # sudo (cards, gestures, members): whoever confirms an order (a salesperson, the
        # portal) learns only which campaign step its coupon is from
        cards = cards.sudo()  # sudo: see above
        customers = cards.partner_id.commercial_partner_id
        gestures = self.env["loyalty.gesture"].sudo()  # sudo: see above
        gestures = gestures.search(
            [("commercial_partner_id", "in", customers.ids), ("coupon_card_id", "in", cards.ids)]
        )
        if not gestures:
            return {}
        members = (
            self.env["winback.campaign.member"]
            .sudo()  # sudo: see above
            .search(
                [
                    ("partner_id", "in", gestures.partner_id.ids),
                    "|",
                    ("gesture_id", "in", gestures.ids),
                    ("reminder_gesture_id", "in", gestures.ids),
                ]
            )
        )
        steps = {}
        for member in members:
            if member.gesture_id in gestures:
                steps[member.gesture_id.coupon_card_id] = (member.campaign_id, "d0")
            if member.reminder_gesture_id in gestures:
                steps[member.reminder_gesture_id.coupon_card_id] = (member.campaign_id, "reminder")
        return steps
