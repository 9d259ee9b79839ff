from odoo import models


class LoyaltyGesture(models.Model):
    _inherit = "loyalty.gesture"

    def write(self, vals):
        done = self.browse()
        if vals.get("state") == "done":
            done = self.filtered(lambda gesture: gesture.state != "done")
        res = super().write(vals)
        if done:
            self.env["satisfaction.request"]._create_from_trigger("gesture", done)
        return res

    def _satisfaction_request_values(self):
        """Who a satisfaction request about this gesture goes to, and who owns it."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "ticket_id": self.ticket_id.id,
            "user_id": (self.ticket_id.user_id or self.requested_by_id).id,
        }
