from odoo import Command, fields, models
from odoo.exceptions import UserError


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("refund", "Partial refund (credit note)")],
        ondelete={"refund": "set default"},
    )

    def _fulfilment_traits(self):
        return {**super()._fulfilment_traits(), "refund": {"valued"}}


class LoyaltyGesture(models.Model):
    """Partial refund: a credit note reversing part of the customer's invoice."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _refundable_amount(self):
        """What the invoice still allows to refund, in company currency."""
        self.ensure_one()
        invoice = self.invoice_id.sudo()  # sudo: agents may lack accounting rights
        refunds = invoice.reversal_move_ids.filtered(lambda m: m.state != "cancel")
        left = invoice.amount_total - sum(refunds.mapped("amount_total"))
        return invoice.currency_id._convert(
            left, self.currency_id, self.company_id, fields.Date.context_today(self)
        )

    def _check_grantable_refund(self):
        invoice = self.invoice_id.sudo()  # sudo: agents may lack accounting rights
        if not invoice:
            raise UserError(self.env._("A partial refund needs the customer's invoice."))
        if invoice.move_type != "out_invoice" or invoice.state != "posted":
            raise UserError(self.env._("Only a posted customer invoice can be refunded."))
        left = self._refundable_amount()
        if self.currency_id.compare_amounts(self.value, left) > 0:
            if not self.invoice_id.with_env(self.env).has_access("read"):
                # the invoice's figures are for those who may read it
                raise UserError(self.env._("This invoice cannot be refunded that much any more."))
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s can only be refunded %(left)s more.",
                    invoice=invoice.name,
                    left=self.currency_id.format(left),
                )
            )

    def _fulfil_refund(self):
        for gesture in self.filtered(lambda g: not g.refund_move_id):
            gesture._write_workflow({"refund_move_id": gesture._create_refund().id})

    def _create_refund(self):
        self.ensure_one()
        invoice = self.invoice_id.sudo()  # sudo: agents may lack accounting rights
        income_line = invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )[:1]
        amount = self.currency_id._convert(
            self.value, invoice.currency_id, self.company_id, fields.Date.context_today(self)
        )
        return (
            self.env["account.move"]
            .sudo()  # sudo: agents lack invoicing rights, the gesture was approved
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "company_id": self.company_id.id,
                    "currency_id": invoice.currency_id.id,
                    "reversed_entry_id": invoice.id,
                    "invoice_origin": invoice.name,
                    "ref": self.env._(
                        "Gesture %(name)s on %(invoice)s", name=self.name, invoice=invoice.name
                    ),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": self.env._(
                                    "Commercial gesture: %(type)s", type=self.type_id.name
                                ),
                                "quantity": 1,
                                "price_unit": amount,
                                "account_id": income_line.account_id.id,
                                "tax_ids": [Command.set([])],
                            }
                        )
                    ],
                }
            )
        )

    def _undo_refund(self):
        """Cancel the draft credit notes; a posted one cannot be undone from here."""
        for gesture in self:
            refund = gesture.refund_move_id.sudo()  # sudo: agents may lack accounting rights
            if refund.state == "posted":
                raise UserError(
                    self.env._(
                        "Credit note %(refund)s is posted: it cannot be cancelled from the "
                        "gesture.",
                        refund=gesture._care_name_for_user(gesture.refund_move_id),
                    )
                )
            if refund.state == "draft":
                refund.button_cancel()
