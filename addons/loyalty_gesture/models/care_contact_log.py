from datetime import timedelta

from odoo import api, fields, models


class CareContactLog(models.Model):
    """Every automatic message to a customer, sent or skipped, and why.

    One log and one policy for the whole suite: each module adds its own ``kind``
    (``selection_add``) and asks :meth:`_contact_refusal` before sending.
    """

    _name = "care.contact.log"
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
        [
            ("no_email", "No email address"),
            ("opt_out", "Opted out"),
            ("blacklisted", "Blacklisted address"),
            ("throttled", "Contact cap reached"),
        ],
        string="Skipped because",
    )
    res_model = fields.Char(string="Source model")
    res_id = fields.Many2oneReference(string="Source record", model_field="res_model")

    @api.model
    def _contact_refusal(self, partner, company=None):
        """Why ``partner`` must not get an automatic message now, or False."""
        company = company or self.env.company
        if not partner.email:
            return "no_email"
        if partner.care_opt_out:
            return "opt_out"
        if partner.is_blacklisted:
            return "blacklisted"
        if company.care_contact_max and company.care_contact_window_days:
            since = fields.Datetime.now() - timedelta(days=company.care_contact_window_days)
            sent = self.sudo().search_count(  # sudo: the policy counts every module's logs
                [
                    ("partner_id", "=", partner.commercial_partner_id.id),
                    ("company_id", "=", company.id),
                    ("state", "=", "sent"),
                    ("date", ">=", since),
                ]
            )
            if sent >= company.care_contact_max:
                return "throttled"
        return False

    @api.model
    def _log_contact(self, partner, kind, record=None, company=None):
        """Check the policy and log the attempt; return True if the message may go."""
        company = company or self.env.company
        refusal = self._contact_refusal(partner, company)
        self.sudo().create(  # sudo: agents log contacts they cannot manage
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
        return not refusal
