from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _satisfaction_request_values(self):
        """Who a satisfaction request about this order goes to, and who owns it."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
        }
