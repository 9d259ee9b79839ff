from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_date

GRANTED = ("done", "followed_up")
SAMPLE_CODE = "SAMPLE-0000-0000"


class WinbackCampaignMember(models.Model):
    """What a step's email says to one member: their offer as placeholders of the
    mailing (code, value, expiry), and who of the step's recipients may still get it."""

    _inherit = "winback.campaign.member"  # pylint: disable=consider-merging-classes-inherited

    d0_mailing_id = fields.Many2one(
        "mailing.mailing", string="D0 email", readonly=True, index="btree_not_null"
    )
    reminder_mailing_id = fields.Many2one(
        "mailing.mailing", string="Reminder email", readonly=True, index="btree_not_null"
    )
    offer_description = fields.Char(
        compute="_compute_offer_placeholders", help="The member's offer, as the email words it."
    )
    offer_code = fields.Char(compute="_compute_offer_placeholders", string="Coupon code")
    offer_expiry = fields.Date(compute="_compute_offer_placeholders", string="Offer expires on")
    offer_code_line = fields.Char(
        compute="_compute_offer_placeholders",
        help="The sentence giving the member's code and its expiry, empty without a code.",
    )

    def mail_allowed_qweb_expressions(self):
        # the placeholders a step's email may use without the Mail Template Editor right
        # (Odoo restricts the rest): a Care manager edits the campaign's emails
        return super().mail_allowed_qweb_expressions() + (
            "object.offer_description",
            "object.offer_code",
            "object.offer_expiry",
            "object.offer_code_line",
            "object.company_id.name",
        )

    @api.depends_context("winback_sample_member")
    @api.depends("gesture_id.state", "reminder_gesture_id.state")
    def _compute_offer_placeholders(self):
        sample = self.env.context.get("winback_sample_member")
        dates = {}  # each expiry date formatted once (a campaign's offers share a few)
        for member in self:
            if isinstance(sample, models.BaseModel) and member == sample:
                member._set_sample_offer()
                continue
            offer = member.reminder_gesture_id
            if offer.state not in GRANTED:
                offer = member.gesture_id
            # sudo: the email words the member's own offer, whoever renders it
            offer = offer.sudo() if offer.state in GRANTED else offer.browse()
            member.offer_description = offer.customer_offer or offer.type_id.name or False
            member.offer_code = offer.coupon_code or False
            member.offer_expiry = offer.coupon_expiration_date or False
            member._set_offer_code_line(dates)

    def _set_offer_code_line(self, dates=None):
        """``dates``: the expiry dates already formatted (filled as they are met)."""
        if dates is None:
            dates = {}
        if not self.offer_code:
            self.offer_code_line = False
        elif self.offer_expiry:
            self.offer_code_line = self.env._(
                "Your personal code: %(code)s, to enter on your next order before %(date)s.",
                code=self.offer_code,
                date=dates.get(self.offer_expiry)
                or dates.setdefault(self.offer_expiry, format_date(self.env, self.offer_expiry)),
            )
        else:
            self.offer_code_line = self.env._(
                "Your personal code: %(code)s, to enter on your next order.", code=self.offer_code
            )

    def _set_sample_offer(self):
        """A test send shows an offer of the campaign's kind, never a live coupon."""
        campaign = self.campaign_id
        self.offer_description = self.env._(
            "%(offer)s (%(value)s)",
            offer=campaign.gesture_type_id.name or self.env._("your offer"),
            value=campaign.currency_id.format(campaign.offer_value),
        )
        self.offer_code = SAMPLE_CODE
        self.offer_expiry = fields.Date.context_today(self) + timedelta(days=30)
        self._set_offer_code_line()

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, **kwargs):
        # the test send of a step's email renders the first record it finds: the sample
        # member (a recordset in the context: a JSON-RPC client cannot pass one)
        sample = self.env.context.get("winback_sample_member")
        if isinstance(sample, models.BaseModel) and sample._name == self._name and not domain:
            domain = [("id", "=", sample.id)]
        return super()._search(domain, offset=offset, limit=limit, order=order, **kwargs)

    @api.model
    def _winback_sample(self, campaign):
        """A member of ``campaign`` for a sample customer (created inside a savepoint the
        caller rolls back)."""
        values = {"name": self.env._("Sample Customer"), "email": "sample.customer@example.com"}
        # sudo: a sample rolled back with its savepoint, whoever tests the email
        partner = self.env["res.partner"].sudo().create(values)
        return self.sudo().create(  # sudo: idem
            {
                "campaign_id": campaign.id,
                "company_id": campaign.company_id.id,
                "partner_id": partner.id,
                "state": "contacted",
                "contacted": True,
            }
        )

    def _winback_step_recipients(self, mailing):
        """The members of ``mailing``'s recipients the contact policy lets through now;
        the others are recorded as not contacted for this step."""
        log = self.env["care.contact.log"]
        keep = self.browse()
        for company, members in self.grouped("company_id").items():
            partners = members.partner_id.browse([m.partner_id.id for m in members])
            refusals = log._contact_refusals(partners, company)
            refused = members.browse(
                [m.id for m, refusal in zip(members, refusals, strict=True) if refusal]
            )
            keep |= members - refused
            if not refused:
                continue
            log._log_contacts(
                refused.partner_id.browse([m.partner_id.id for m in refused]),
                "winback",
                records=refused,
                company=company,
                refusals=[r for r in refusals if r],
            )
            if mailing.winback_step == "d0":
                refused._write_step(
                    {
                        "state": "excluded",
                        "exclude_reason": "contact_refused",
                        "contacted": False,
                        "d0_mailing_id": False,
                    }
                )
            else:
                refused._write_step({"reminder_sent": False, "reminder_mailing_id": False})
        return keep
