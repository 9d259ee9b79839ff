from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

from . import common


class CharterCase(common.CareCase):
    """A company charter without rules (demo charters archived), gesture types of each
    category, ticket categories and channels, and helpers to build a customer's history.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["loyalty.gesture.charter"].search([]).action_archive()
        cls.env["loyalty.gesture.portrait"].search([]).action_archive()
        cls.company.write(
            {
                "care_tier_silver_revenue": 1000,
                "care_tier_gold_revenue": 5000,
                "care_tier_vip_revenue": 20000,
                "care_abuse_factor": 3.0,
                "care_abuse_min_count": 5,
            }
        )
        cls.charter = cls.env["loyalty.gesture.charter"].create(
            {"name": "Test charter", "company_id": cls.company.id}
        )
        Type = cls.env["loyalty.gesture.type"]
        cls.type_financial = Type.create(
            {
                "name": "Goodwill credit",
                "category": "financial",
                "fulfilment": "service_task",
                "default_value": 40,
                "max_value": 500,
            }
        )
        cls.type_repair = Type.create(
            {
                "name": "Replacement part",
                "category": "repair",
                "fulfilment": "service_task",
                "default_value": 30,
                "max_value": 500,
            }
        )
        cls.type_attentive = Type.create(
            {
                "name": "Thank-you note",
                "category": "attentive",
                "fulfilment": "letter",
                "default_value": 0,
            }
        )
        cls.category_delivery = cls.env["helpdesk.ticket.category"].create({"name": "Delivery"})
        cls.category_billing = cls.env["helpdesk.ticket.category"].create({"name": "Billing"})
        cls.channel_phone = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        cls.channel_email = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email")
        cls.product = cls.env["product.product"].create(
            {"name": "Care test service", "type": "service", "list_price": 100}
        )

    def _rule(self, **values):
        return self.env["loyalty.gesture.charter.rule"].create(
            dict({"charter_id": self.charter.id, "name": "Test rule"}, **values)
        )

    def _ticket(self, partner=None, priority="1", category=None, channel=None):
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Broken delivery",
                "description": "<p>The parcel arrived broken.</p>",
                "partner_id": (partner or self.customer).id,
                "priority": priority,
                "category_id": category and category.id,
                "channel_id": channel and channel.id,
            }
        )

    def _evaluate(self, value, gesture_type=None, partner=None, **kwargs):
        return self.env["loyalty.gesture.charter"]._evaluate(
            partner or self.customer, gesture_type or self.type_financial, value, **kwargs
        )

    def _past_gesture(self, days_ago=10, value=20.0, partner=None, state="done", company=None):
        """A gesture granted ``days_ago`` days ago (created while no rule blocks it)."""
        company = company or self.company
        gesture_type = self.type_financial
        if company != self.company:
            gesture_type = self.env["loyalty.gesture.type"].create(
                {"name": "B credit", "company_id": company.id, "fulfilment": "service_task"}
            )
        gesture = (
            self.env["loyalty.gesture"]
            .with_company(company)
            .with_context(install_module="loyalty_gesture")  # history: not under test
            .create(
                {
                    "partner_id": (partner or self.customer).id,
                    "type_id": gesture_type.id,
                    "value": value,
                    "company_id": company.id,
                }
            )
        )
        gesture._write_workflow({"state": state})
        gesture.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE loyalty_gesture SET create_date = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(days=days_ago),
                gesture.id,
            )
        )
        gesture.invalidate_recordset(["create_date"])
        return gesture

    def _order(self, amount, days_ago=5, partner=None):
        """A confirmed order of ``amount`` (untaxed) placed ``days_ago`` days ago."""
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "order_line": [
                    fields.Command.create(
                        {
                            "product_id": self.product.id,
                            "price_unit": amount,
                            "product_uom_qty": 1,
                            "tax_id": False,
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return order
