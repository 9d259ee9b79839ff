from odoo import api, fields, models
from odoo.exceptions import UserError


class WinbackLostWizard(models.TransientModel):
    """Record why a customer left; the customer becomes lost in the current company."""

    _name = "winback.lost.wizard"
    _description = "Record a lost reason"
    _inherit = ["care.field.policy"]
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    reason_id = fields.Many2one(
        "winback.lost.reason",
        required=True,
        check_company=True,
        domain="[('company_id', 'in', [company_id, False])]",
    )
    note = fields.Text()

    def _care_writable_fields(self, operation):
        """Who the customer is and where is set when the wizard opens; then the reason."""
        if operation == "create":
            return {"partner_id", "company_id", "reason_id", "note"}
        return {"reason_id", "note"}

    @api.model
    def _score_for(self, partner, company):
        score_model = self.env["winback.customer.score"].sudo()  # sudo: agents record reasons
        score = score_model.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)], limit=1
        )
        return score or score_model.create(
            {"partner_id": partner.id, "company_id": company.id, "status": "lost"}
        )

    def action_confirm(self):
        self.ensure_one()
        if self.company_id not in self.env.companies:
            raise UserError(self.env._("You can only record a reason in your own companies."))
        partner = self.partner_id.commercial_partner_id
        # what the sudo() below touches, the user must be able to read: the customer, the reason
        if not partner.has_access("read") or not self.reason_id.has_access("read"):
            raise UserError(self.env._("You cannot record a reason for this customer."))
        if self.reason_id.company_id and self.reason_id.company_id != self.company_id:
            raise UserError(
                self.env._(
                    "The reason %(reason)s belongs to another company.",
                    reason=self.reason_id.name,
                )
            )
        self._score_for(partner, self.company_id)._record_lost_reason(self.reason_id, self.note)
        partner.sudo().message_post(  # sudo: agents may not edit customers (read checked above)
            author_id=self.env.user.partner_id.id,
            body=self.env._(
                "Customer marked as lost: %(reason)s. %(note)s",
                reason=self.reason_id.name,
                note=self.note or "",
            ),
        )
        return {"type": "ir.actions.act_window_close"}
