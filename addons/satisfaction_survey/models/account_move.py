from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
        # sudo: an accountant posting the invoice may have no access to sales orders
        orders = invoices.sudo().line_ids.sale_line_ids.order_id
        if orders:
            self.env["satisfaction.request"]._create_from_trigger("invoice", orders)
        return posted
