from odoo import models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    def write(self, vals):
        closing = self.browse()
        if vals.get("stage_id"):
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
            if stage.closed:
                closing = self.filtered(lambda ticket: not ticket.closed)
        res = super().write(vals)
        if closing:
            self.env["satisfaction.request"]._create_from_trigger("ticket", closing)
        return res

    def _satisfaction_request_values(self):
        """Who a satisfaction request about this ticket goes to, and who owns it."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "ticket_id": self.id,
            "user_id": self.user_id.id,
        }
