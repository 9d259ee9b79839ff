from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class WinbackCampaign(models.Model):
    """The campaign's contact steps: the D0 offer and email, the reminder and the call
    at D+n, and the daily job that runs them."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    def _check_offer_grantable(self):
        """Before anything is sent: an offer of a valued type has a positive value; the
        value of another kind of offer is the one the gesture pipeline gives it today."""
        self.ensure_one()
        self._check_grantable(self.gesture_type_id, "offer_value")

    def _check_grantable(self, gesture_type, value_field):
        """``_check_offer_grantable`` for the offer of ``gesture_type`` valued by
        ``value_field``."""
        if not gesture_type:
            return
        if not gesture_type.active:
            raise UserError(
                self.env._("Gesture type %(type)s is archived.", type=gesture_type.name)
            )
        if gesture_type._is_valued():
            if self[value_field] <= 0:
                raise UserError(
                    self.env._(
                        'Give the "%(type)s" offer a positive value.', type=gesture_type.name
                    )
                )
            return
        derived = self._derived_offer_value(gesture_type)
        if self.currency_id.compare_amounts(self[value_field], derived):
            # sudo: the value of this kind of offer is derived by the server, not chosen
            self.sudo()[value_field] = derived

    def _committed_cost(self):
        """What the campaign has committed so far, as its budget counts it: each offer
        granted at its value (redeemed or not) and unit cost, each email at the contact
        cost. The results count an offer once used; the budget cannot wait for that, or
        a campaign run in chunks would give more offers than it can pay for."""
        self.ensure_one()
        self.env["winback.campaign.member"].flush_model(
            ["campaign_id", "gesture_id", "reminder_gesture_id", "contacted", "reminder_sent"]
        )
        self.env["loyalty.gesture"].flush_model(["state", "value", "type_id"])
        [(offers, contacts)] = self.env.execute_query(
            SQL(
                """
                SELECT (SELECT COALESCE(SUM(COALESCE(t.unit_cost, 0) + CASE
                                WHEN g.state IN ('refused', 'cancelled') THEN 0
                                ELSE g.value END), 0)
                          FROM winback_campaign_member m
                          JOIN loyalty_gesture g
                            ON g.id IN (m.gesture_id, m.reminder_gesture_id)
                          JOIN loyalty_gesture_type t ON t.id = g.type_id
                         WHERE m.campaign_id = %(campaign)s),
                       (SELECT COUNT(*) FILTER (WHERE contacted)
                               + COUNT(*) FILTER (WHERE reminder_sent)
                          FROM winback_campaign_member WHERE campaign_id = %(campaign)s)
                """,
                campaign=self.id,
            )
        )
        return float(offers) + contacts * self.contact_cost

    def _submit_offers(self, members, value, reason, gesture_type=None):
        """A gesture of ``gesture_type`` (the campaign's offer by default) for each of
        ``members``, created and submitted as a batch: the value only for valued types,
        other kinds (gift, free delivery...) get theirs from the gesture pipeline."""
        self.ensure_one()
        # set-based for personal coupons in the quiet context of the D0 offers, the
        # ORM path otherwise: the same rows either way (loyalty_gesture_bulk.py)
        return self.env["loyalty.gesture"]._care_issue_batch(
            members.partner_id.browse([member.partner_id.id for member in members]),
            gesture_type or self.gesture_type_id,
            value,
            reason,
            self.company_id,
        )

    def _run_first_step(self):
        """D0 for the members not contacted yet: offer (a gesture) and email, within budget."""
        self.ensure_one()
        members = self.member_ids.filtered(
            lambda m: m.state == "targeted" and not m.awaiting_winner
        ).sorted(lambda m: (-m.revenue_before, m.id))
        accepted = self._grant_offers(members)
        if accepted:
            self._send_first_emails(accepted)
        self._update_results()

    def _grant_offers(self, members):
        """Contact policy, budget and offers (one gesture each, granted as a batch) for
        ``members`` in order; returns the members who may be contacted."""
        self.ensure_one()
        if not members:
            return members
        spent = self._committed_cost()
        # each member's offer (A, or B in an A/B test: winback_campaign_ab) and contact
        units = {variant: self._offer_unit_cost(variant) for variant in ("a", "b")}
        variants = [variant or "a" for variant in members.mapped("offer_variant")]
        log = self.env["care.contact.log"]
        partners = members.partner_id.browse([m.partner_id.id for m in members])
        refusals = log._contact_refusals(partners, self.company_id)
        # in order while the budget lasts; a refused contact costs nothing
        asked = len(members)
        for index, (refusal, variant) in enumerate(zip(refusals, variants, strict=True)):
            unit = units[variant]
            if self.budget and spent + unit > self.budget:
                asked = index
                break
            if not refusal:
                spent += unit
        over_budget = members[asked:]
        members = members[:asked]
        refused = members.browse(
            [m.id for m, refusal in zip(members, refusals, strict=False) if refusal]
        )
        # the refusals are logged now; the contacts once the mailing queue sent them
        # (winback_campaign_mailing._job_sync_chunk)
        log._log_contacts(
            refused.partner_id.browse([m.partner_id.id for m in refused]),
            "winback",
            records=refused,
            company=self.company_id,
            refusals=[refusal for refusal in refusals[:asked] if refusal],
        )
        accepted = members - refused
        over_budget._write_step({"state": "excluded", "exclude_reason": "budget"})
        refused._write_step({"state": "excluded", "exclude_reason": "contact_refused"})
        for gesture_type, value, group in self._offer_groups(accepted):
            # one offer per member: the member's record is their trace, not a chatter
            # message per gesture and state change
            gestures = self.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
            )._submit_offers(
                group,
                value,
                self.env._("Win-back campaign %(name)s", name=self.name),
                gesture_type,
            )
            group._link_each("gesture_id", gestures)
        return accepted

    def _send_first_emails(self, accepted):
        """D0 email (the step's mailing, queued) to the members who got their offer, and
        opportunities."""
        accepted._write_step(
            {
                "state": "contacted",
                "contacted": True,
                "contact_date": fields.Datetime.now(),
                "offer_cost": self.type_unit_cost(),
            }
        )
        self._queue_step(accepted, "d0")
        self._create_opportunities(accepted)

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
                        **self._lead_utm_values(),
                    }
                    for member in members
                ]
            )
        )
        members._link_each("lead_id", leads)

    def type_unit_cost(self):
        return self.gesture_type_id.unit_cost if self.gesture_type_id else 0.0

    def _schedule_calls(self, members):
        """D+N: a phone-call activity for each of ``members`` (silent members of this
        campaign, past the call delay)."""
        self.ensure_one()
        call_type = self.env.ref("mail.mail_activity_data_call")
        model_id = self.env["ir.model"]._get_id("winback.campaign.member")
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": member.id,
                    "activity_type_id": call_type.id,
                    "user_id": (self.user_id or self.env.user).id,
                    "date_deadline": fields.Date.context_today(self),
                    "summary": self.env._(
                        "Win-back call: %(customer)s", customer=member.partner_id.name
                    ),
                }
                for member in members
            ]
        )
        members._write_step({"call_scheduled": True})

    def _send_reminders(self, members):
        """D+N: a reminder email, with a larger offer if set, to ``members`` (silent
        members of this campaign, past the reminder delay), within budget."""
        self.ensure_one()
        log = self.env["care.contact.log"]
        spent = self._committed_cost()
        offers = bool(self.reminder_offer_value and self.gesture_type_id)
        unit = self.contact_cost + (
            self.reminder_offer_value + self.type_unit_cost() if offers else 0.0
        )
        partners = members.partner_id.browse([m.partner_id.id for m in members])
        refusals = log._contact_refusals(partners, self.company_id)
        reminded = members.browse()
        for member, refusal in zip(members, refusals, strict=True):
            if self.budget and spent + unit > self.budget:
                continue
            if not refusal:
                reminded |= member
                spent += unit
        # members past the budget or the contact cap are not reminded, and not retried
        members._write_step({"reminded": True})
        if not reminded:
            return
        if offers:
            gestures = self._submit_offers(
                reminded,
                self.reminder_offer_value,
                self.env._("Win-back campaign %(name)s, reminder", name=self.name),
            )
            for member, gesture in zip(reminded, gestures, strict=True):
                member._write_step(
                    {
                        "reminder_gesture_id": gesture.id,
                        "offer_cost": member.offer_cost + self.type_unit_cost(),
                    }
                )
        reminded._write_step({"reminder_sent": True})
        self._queue_step(reminded, "reminder")
