from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class WinbackCampaign(models.Model):
    """The campaign's contact steps: the D0 offer and email, the reminder and the call
    at D+n, and the daily job that runs them."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

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
        if gesture_type._is_valued():
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

    def _submit_offers(self, members, value, reason):
        """A gesture for each of ``members``, created and submitted as a batch: the value
        only for valued types, other kinds (gift, free delivery...) get theirs from the
        gesture pipeline."""
        self.ensure_one()
        # set-based for personal coupons in the quiet context of the D0 offers, the
        # ORM path otherwise: the same rows either way (loyalty_gesture_bulk.py)
        return self.env["loyalty.gesture"]._care_issue_batch(
            members.partner_id.browse([member.partner_id.id for member in members]),
            self.gesture_type_id,
            value,
            reason,
            self.company_id,
        )

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
            gestures = self.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
            )._submit_offers(
                accepted,
                self.offer_value,
                self.env._("Win-back campaign %(name)s", name=self.name),
            )
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
                gestures = campaign._submit_offers(
                    reminded,
                    campaign.reminder_offer_value,
                    self.env._("Win-back campaign %(name)s, reminder", name=campaign.name),
                )
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
