from odoo import Command, fields, models


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("gift", "Free product or gift")], ondelete={"gift": "set default"}
    )

    def _fulfilment_traits(self):
        return {**super()._fulfilment_traits(), "gift": {"valued", "derived"}}


class LoyaltyGesture(models.Model):
    """Gift: a confirmed sale order of the type's product, free of charge."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _fulfil_gift(self):
        for gesture in self.filtered(lambda g: not g.gift_order_id):
            order = (
                self.env["sale.order"]
                .sudo()  # sudo: agents may lack sales rights
                .with_company(gesture.company_id)
                .create(
                    {
                        "partner_id": gesture.partner_id.id,
                        "company_id": gesture.company_id.id,
                        "origin": gesture.name,
                        "client_order_ref": gesture.ticket_id.number or gesture.name,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": gesture.type_id.product_id.id,
                                    "product_uom_qty": 1,
                                    "price_unit": 0.0,
                                }
                            )
                        ],
                    }
                )
            )
            order.order_line.price_unit = 0.0
            order.action_confirm()
            gesture._write_workflow({"gift_order_id": order.id})

    def _undo_gift(self):
        # sudo: cancelling the approved gesture cancels its gift order
        gifts = self.gift_order_id.sudo().filtered(lambda order: order.state != "cancel")
        if gifts:
            gifts._action_cancel()
