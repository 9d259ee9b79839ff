from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .winback_campaign import MAX_DAYS
from .winback_campaign_ab_results import VARIANTS, pick_winner


class WinbackCampaign(models.Model):
    """An A/B test of two offers: each member of the test draws offer A (the campaign's
    offer) or offer B at targeting; the members outside the test's share wait, and get
    the winning offer once the manager sends it after the observation window.

    The draw and the waiting are the members' (``offer_variant``, ``awaiting_winner``);
    the steps give each member the offer of their variant (``_offer_groups``) and leave
    the waiting members to *Send the winner*.
    """

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    ab_test = fields.Boolean(
        string="A/B test of offers",
        help="Compare two offers: part of the members get offer A, as many offer B, the "
        "others get the better one once the test has run long enough.",
    )
    gesture_type_b_id = fields.Many2one(
        "loyalty.gesture.type", string="Offer B", check_company=True, tracking=True
    )
    offer_value_b = fields.Monetary(
        string="Offer B value",
        compute="_compute_offer_value_b",
        store=True,
        readonly=False,
        precompute=True,
    )
    ab_test_percent = fields.Float(
        string="Share in the test (%)",
        default=20.0,
        help="Share of the members (holdout aside) in the test, half with offer A, half "
        "with offer B. The others wait for the winner. 100: everyone is in the test and "
        "there is no winner to send.",
    )
    ab_min_days = fields.Integer(
        string="Observe for (days)",
        default=14,
        help="The winner can be sent this many days after the start at the earliest.",
    )
    ab_winner = fields.Selection(
        VARIANTS,
        string="Winning offer",
        readonly=True,
        copy=False,
        tracking=True,
        help="The offer with the higher reactivation rate among the test's members (on a "
        "tie, the cheaper per member), sent to the members who waited.",
    )
    ab_winner_date = fields.Datetime(string="Winner sent on", readonly=True, copy=False)
    ab_winner_ready_date = fields.Datetime(compute="_compute_ab_winner_ready", string="Winner from")
    ab_can_send_winner = fields.Boolean(compute="_compute_ab_winner_ready")

    _sql_constraints = [
        (
            "ab_test_percent_range",
            "CHECK(ab_test_percent >= 0 AND ab_test_percent <= 100)",
            "The share of an A/B test must be between 0 and 100%.",
        ),
        (
            "ab_positive",
            "CHECK(ab_min_days >= 0 AND offer_value_b >= 0)",
            "The observation days and the value of offer B cannot be negative.",
        ),
    ]

    @api.depends("gesture_type_b_id")
    def _compute_offer_value_b(self):
        for campaign in self:
            campaign.offer_value_b = campaign._default_offer_value(campaign.gesture_type_b_id)

    @api.depends("state", "ab_test", "ab_test_percent", "ab_winner", "date_start", "ab_min_days")
    def _compute_ab_winner_ready(self):
        now = fields.Datetime.now()
        for campaign in self:
            ready = campaign.date_start and fields.Datetime.add(
                campaign.date_start, days=campaign.ab_min_days
            )
            campaign.ab_winner_ready_date = ready
            campaign.ab_can_send_winner = bool(
                campaign.state == "running"
                and campaign._ab_has_winner_step()
                and not campaign.ab_winner
                and ready
                and ready <= now
            )

    @api.constrains(
        "ab_test",
        "ab_test_percent",
        "ab_min_days",
        "gesture_type_id",
        "offer_value",
        "gesture_type_b_id",
        "offer_value_b",
        "reminder_offer_value",
        "company_id",
    )
    def _check_ab_test(self):
        """The test's settings are sound, and offer B stays within what its type allows
        (as ``_check_offer`` for offer A)."""
        for campaign in self:
            if not 0 <= campaign.ab_test_percent <= 100:
                raise ValidationError(
                    self.env._("The share of an A/B test must be between 0 and 100%.")
                )
            if not 0 <= campaign.ab_min_days <= MAX_DAYS:
                raise ValidationError(
                    self.env._(
                        "The observation window of an A/B test must be between 0 and "
                        "%(days)s days.",
                        days=MAX_DAYS,
                    )
                )
            if campaign.offer_value_b < 0:
                raise ValidationError(self.env._("The value of offer B cannot be negative."))
            if campaign.gesture_type_b_id:
                campaign._check_offer_value(campaign.gesture_type_b_id, campaign.offer_value_b)
            if campaign.ab_test:
                campaign._check_ab_offers()

    def _check_ab_offers(self):
        self.ensure_one()
        if not self.gesture_type_id or not self.gesture_type_b_id:
            raise ValidationError(
                self.env._("An A/B test compares two offers: choose offer A and offer B.")
            )
        if self.gesture_type_b_id == self.gesture_type_id and not (
            self.currency_id.compare_amounts(self.offer_value_b, self.offer_value)
        ):
            raise ValidationError(
                self.env._(
                    "Offer B is the same as offer A: choose another gesture type or another value."
                )
            )
        if self.ab_test_percent <= 0:
            raise ValidationError(
                self.env._(
                    "Put a share of the members above 0% in the A/B test, or the two offers "
                    "are never compared."
                )
            )
        if self.reminder_offer_value:
            raise ValidationError(
                self.env._(
                    "The reminder of an A/B test cannot add an offer: it would blur the "
                    "comparison of offers A and B."
                )
            )

    # --- Actions ---

    def action_send_winner(self):
        """Give the better offer to the members who waited (see ``pick_winner``), then
        wake the job that contacts them."""
        self._check_manager()
        # one click wins: a second one waits here, then fails to serialize and is retried,
        # and then finds the winner sent
        self.env.execute_query(
            SQL("SELECT id FROM winback_campaign WHERE id IN %s FOR UPDATE", tuple(self.ids))
        )
        for campaign in self:
            campaign._check_winner_sendable()
        self._update_results()
        self.invalidate_recordset()
        now = fields.Datetime.now()
        for campaign in self:
            figures = {
                variant: (
                    campaign[f"ab_{variant}_reactivated_count"],
                    campaign[f"ab_{variant}_count"],
                    campaign[f"ab_{variant}_cost"],
                )
                for variant in ("a", "b")
            }
            if not figures["a"][1] or not figures["b"][1]:
                raise UserError(
                    self.env._(
                        "Campaign %(name)s has no member left in offer A or offer B to judge "
                        "them by.",
                        name=campaign.name,
                    )
                )
            winner = pick_winner(figures)
            sent = campaign._give_winner(winner)
            # sudo: the winner is recorded by this button only (see _care_writable_fields)
            campaign.sudo().write({"ab_winner": winner, "ab_winner_date": now})
            labels = dict(self._fields["ab_winner"]._description_selection(self.env))
            campaign.message_post(
                body=self.env._(
                    "%(winner)s won the A/B test: %(rate_a)s%% of offer A's members came "
                    "back, %(rate_b)s%% of offer B's. %(count)s waiting members get it.",
                    winner=labels[winner],
                    rate_a=f"{campaign.ab_a_rate:.1f}",
                    rate_b=f"{campaign.ab_b_rate:.1f}",
                    count=sent,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        self._trigger_job()
        return True

    # --- Business ---

    def _ab_has_winner_step(self):
        """Whether members wait for a winner: an A/B test with part of them outside it."""
        self.ensure_one()
        return self.ab_test and self.ab_test_percent < 100

    def _check_winner_sendable(self):
        self.ensure_one()
        if not self.ab_test:
            raise UserError(
                self.env._("Campaign %(name)s has no A/B test of offers.", name=self.name)
            )
        if self.ab_winner:
            raise UserError(
                self.env._(
                    "The winner of campaign %(name)s was already sent on %(date)s.",
                    name=self.name,
                    date=self.ab_winner_date,
                )
            )
        if self.state != "running":
            raise UserError(
                self.env._(
                    "Only a running campaign sends its winning offer (%(name)s is not).",
                    name=self.name,
                )
            )
        if not self._ab_has_winner_step():
            raise UserError(
                self.env._(
                    "Every member of campaign %(name)s is in the A/B test: there is nobody "
                    "to send the winner to.",
                    name=self.name,
                )
            )
        if not self.ab_can_send_winner:
            raise UserError(
                self.env._(
                    "The A/B test of %(name)s observes its members for %(days)s days: the "
                    "winner can be sent from %(date)s.",
                    name=self.name,
                    days=self.ab_min_days,
                    date=self.ab_winner_ready_date,
                )
            )

    def _variant_offer(self, variant):
        """The gesture type and value of offer ``variant`` (``"b"``; anything else is the
        campaign's offer, A)."""
        self.ensure_one()
        if variant == "b":
            return self.gesture_type_b_id, self.offer_value_b
        return self.gesture_type_id, self.offer_value

    def _offer_unit_cost(self, variant):
        """What granting offer ``variant`` and contacting a member costs the budget."""
        gesture_type, value = self._variant_offer(variant)
        return value + (gesture_type.unit_cost if gesture_type else 0.0) + self.contact_cost

    def _offer_groups(self, members):
        """``members`` by the offer they get: ``[(gesture type, value, members)]``, in their
        order within each group; none for an offer without a gesture type."""
        self.ensure_one()
        groups = []
        for variant, group in members.grouped(lambda m: m.offer_variant or "a").items():
            gesture_type, value = self._variant_offer(variant)
            if gesture_type:
                groups.append((gesture_type, value, group))
        return groups

    def _check_offer_grantable(self):
        """Offer B too, as offer A: an active type, a positive value for valued types,
        the derived value for the others."""
        super()._check_offer_grantable()
        if not self.ab_test:
            return
        self._check_ab_offers()
        self._check_grantable(self.gesture_type_b_id, "offer_value_b")

    def _target(self):
        """Then draw the new members' offers (see ``_draw_offer_variants``)."""
        res = super()._target()
        if self.ab_test:
            self._draw_offer_variants()
        return res

    def _draw_offer_variants(self):
        """The offer of the members who just joined (targeted, no variant yet), in one
        UPDATE: before the winner, a random ``ab_test_percent`` share of them in the test,
        alternately A and B in a random order, the others awaiting the winner; after
        it, the winner's offer.

        Complete randomisation (a random order, then exact shares) rather than a coin per
        member: each member has the same chance of each offer, and the two groups are as
        large as the share says (±1) instead of drifting by a few percent. The number in
        the test is rounded up or down at random so that small daily batches of a
        continuous campaign keep the share on average. The holdout and the excluded get no
        variant.
        """
        self.ensure_one()
        members = self.env["winback.campaign.member"]
        members.flush_model()
        fresh = SQL(
            """
            SELECT m.id FROM winback_campaign_member m
             WHERE m.campaign_id = %s AND m.state = 'targeted' AND m.offer_variant IS NULL
               AND NOT COALESCE(m.awaiting_winner, FALSE)
               AND NOT COALESCE(m.winner_wave, FALSE)
            """,
            self.id,
        )
        if self.ab_winner:
            self.env.execute_query(
                SQL(
                    "UPDATE winback_campaign_member SET offer_variant = %s, winner_wave = TRUE "
                    "WHERE id IN (%s)",
                    self.ab_winner,
                    fresh,
                )
            )
        else:
            self.env.execute_query(
                SQL(
                    """
                    WITH draw AS (SELECT floor(random() * 2)::int AS parity, random() AS dice),
                         fresh AS (
                            SELECT f.id, row_number() OVER (ORDER BY random()) AS rank,
                                   count(*) OVER () AS total
                              FROM (%(fresh)s) f
                         ),
                         split AS (
                            SELECT f.id, f.rank, d.parity,
                                   f.rank <= floor(f.total * %(share)s + d.dice) AS in_test
                              FROM fresh f CROSS JOIN draw d
                         )
                    UPDATE winback_campaign_member m
                       SET offer_variant = CASE
                               WHEN NOT s.in_test THEN NULL
                               WHEN mod(s.rank + s.parity, 2) = 0 THEN 'a' ELSE 'b' END,
                           awaiting_winner = NOT s.in_test
                      FROM split s
                     WHERE m.id = s.id
                    """,
                    fresh=fresh,
                    share=self.ab_test_percent / 100.0,
                )
            )
        members.invalidate_model(["offer_variant", "awaiting_winner", "winner_wave"])

    def _give_winner(self, winner):
        """The members awaiting the winner who are still to contact get offer ``winner``
        and become ordinary targeted members of it (the job contacts them); those who came
        back or left meanwhile stop waiting. Returns how many got the offer."""
        self.ensure_one()
        members = self.env["winback.campaign.member"]
        members.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                UPDATE winback_campaign_member
                   SET offer_variant = CASE WHEN state = 'targeted' THEN %(winner)s
                                            ELSE offer_variant END,
                       winner_wave = state = 'targeted',
                       awaiting_winner = FALSE,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                 WHERE campaign_id = %(campaign)s AND awaiting_winner
             RETURNING state = 'targeted'
                """,
                winner=winner,
                uid=self.env.uid,
                campaign=self.id,
            )
        )
        members.invalidate_model(
            ["offer_variant", "winner_wave", "awaiting_winner", "write_uid", "write_date"]
        )
        return sum(1 for (targeted,) in rows if targeted)
