from datetime import timedelta

from odoo import api, fields, models

from .care_constants import SKIP_REASONS


class CareContactLog(models.Model):
    """Every automatic message to a customer, sent or skipped, and why.

    One log and one policy for the whole suite: each module adds its own ``kind``
    (``selection_add``) and asks :meth:`_contact_refusal` before sending.
    """

    _name = "care.contact.log"
    _inherit = ["care.field.policy"]
    _description = "Customer contact log"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    kind = fields.Selection([("gesture", "Gesture email")], required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [("sent", "Sent"), ("skipped", "Skipped")], required=True, default="sent"
    )
    skip_reason = fields.Selection(
        SKIP_REASONS,
        string="Skipped because",
    )
    res_model = fields.Char(string="Source model")
    res_id = fields.Many2oneReference(string="Source record", model_field="res_model")

    def _care_writable_fields(self, operation):
        """A log is written by the suite only (as superuser): no user, managers
        included, sets or rewrites what was sent to whom."""
        return set()

    @api.model
    def _contact_refusal(self, partner, company=None):
        """Why ``partner`` must not get an automatic message now, or False."""
        return self._contact_refusals(partner, company)[0]

    @api.model
    def _log_contact(self, partner, kind, record=None, company=None):
        """Check the policy and log the attempt; return True if the message may go."""
        records = [record] if record else None
        return self._log_contacts(partner, kind, records=records, company=company)[0]

    @api.model
    def _contact_refusals(self, partners, company=None):
        """Why each of ``partners`` must not get an automatic message now (or False), in a
        fixed number of queries.

        ``partners`` in the order the messages would go: a customer listed twice counts
        their first message against the cap for the next. Returns the refusals (or False)
        in that order.
        """
        company = company or self.env.company
        commercial = [partner.commercial_partner_id.id for partner in partners]
        capped = company.care_contact_max and company.care_contact_window_days
        sent = {}
        if capped and partners:
            since = fields.Datetime.now() - timedelta(days=company.care_contact_window_days)
            groups = self.sudo()._read_group(  # sudo: the policy counts every module's logs
                [
                    ("partner_id", "in", list(set(commercial))),
                    ("company_id", "=", company.id),
                    ("state", "=", "sent"),
                    ("date", ">=", since),
                ],
                ["partner_id"],
                ["__count"],
            )
            sent = {partner.id: count for partner, count in groups}
        partners.mapped("is_blacklisted")  # one query for the whole batch
        partners.mapped("message_bounce")
        refusals = []
        for partner, customer in zip(partners, commercial, strict=True):
            refusal = False
            if not partner.email:
                refusal = "no_email"
            elif partner.care_opt_out:
                refusal = "opt_out"
            elif partner.is_blacklisted:
                refusal = "blacklisted"
            elif partner.message_bounce:
                # an address that bounced gets nothing automatic until it is fixed
                # (Odoo resets the counter when the customer writes from it again)
                refusal = "bounced"
            elif capped and sent.get(customer, 0) >= company.care_contact_max:
                refusal = "throttled"
            if not refusal:
                sent[customer] = sent.get(customer, 0) + 1
            refusals.append(refusal)
        return refusals

    @api.model
    def _log_contacts(self, partners, kind, records=None, company=None, refusals=None):
        """Check the policy and log the attempts for many customers at once (see
        :meth:`_contact_refusals`).

        ``records``: parallel to ``partners`` (optional); ``refusals``: from
        :meth:`_contact_refusals` if already asked. Returns "may send" booleans, in order.
        """
        company = company or self.env.company
        if refusals is None:
            refusals = self._contact_refusals(partners, company)
        values = []
        for index, (partner, refusal) in enumerate(zip(partners, refusals, strict=True)):
            record = records[index] if records is not None else None
            values.append(
                {
                    "partner_id": partner.commercial_partner_id.id,
                    "company_id": company.id,
                    "kind": kind,
                    "state": "skipped" if refusal else "sent",
                    "skip_reason": refusal or False,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                }
            )
        self.sudo().create(values)  # sudo: agents log contacts they cannot manage
        return [not refusal for refusal in refusals]
