from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import TransactionCase


class CareCase(TransactionCase):
    """Two companies, an agent and a manager in each, a customer and gesture types."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.care_agent_gesture_limit = 50
        cls.company_b = cls.env["res.company"].create({"name": "Care Company B"})
        cls.agent = mail_new_test_user(
            cls.env,
            login="care_agent",
            groups="loyalty_gesture.group_care_agent",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager = mail_new_test_user(
            cls.env,
            login="care_manager",
            groups="loyalty_gesture.group_care_manager",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager_b = mail_new_test_user(
            cls.env,
            login="care_manager_b",
            groups="loyalty_gesture.group_care_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.internal_user = mail_new_test_user(
            cls.env, login="care_plain_user", groups="base.group_user"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Claire Martin", "email": "claire.martin@example.com"}
        )
        cls.gesture_type = cls.env["loyalty.gesture.type"].create(
            {
                "name": "Apology coupon",
                "category": "repair",
                "fulfilment": "coupon",
                "default_value": 20,
                "max_value": 200,
            }
        )


class GestureCase(CareCase):
    """Adds what fulfilment needs: a ticket, products, a points program, invoices.

    Charters and portraits of other issues are archived so that gestures here are only
    limited by the agent's limit.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for model in ("loyalty.gesture.charter", "loyalty.gesture.portrait"):
            if model in cls.env:
                cls.env[model].search([]).action_archive()
        cls.email_channel = cls.env.ref("loyalty_gesture.channel_email")
        cls.phone_channel = cls.env.ref("loyalty_gesture.channel_phone")
        cls.product = cls.env["product.product"].create(
            {"name": "Espresso machine", "list_price": 100.0, "type": "consu", "taxes_id": False}
        )
        cls.gift_product = cls.env["product.product"].create(
            {
                "name": "Gift mug",
                "list_price": 12.0,
                "standard_price": 10.0,
                "type": "consu",
                "taxes_id": False,
            }
        )
        cls.delivery_product = cls.env["product.product"].create(
            {"name": "Home delivery", "list_price": 8.0, "type": "service", "taxes_id": False}
        )
        cls.points_program = cls.env["loyalty.program"].create(
            {
                "name": "Test points",
                "program_type": "loyalty",
                "company_id": cls.company.id,
                "trigger": "auto",
                "applies_on": "both",
                "rule_ids": [
                    (5, 0, 0),
                    (0, 0, {"reward_point_mode": "money", "reward_point_amount": 1}),
                ],
                "reward_ids": [
                    (5, 0, 0),
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_point",
                            "discount": 0.1,
                            "required_points": 100,
                        },
                    ),
                ],
            }
        )
        cls.company.care_points_program_id = cls.points_program
        Type = cls.env["loyalty.gesture.type"]
        cls.type_coupon = cls.gesture_type
        cls.type_coupon.mail_template_id = cls.env.ref("loyalty_gesture.mail_template_gesture")
        cls.type_refund = Type.create(
            {
                "name": "Partial refund",
                "category": "financial",
                "fulfilment": "refund",
                "default_value": 30,
                "max_value": 400,
                "mail_template_id": cls.env.ref("loyalty_gesture.mail_template_gesture").id,
            }
        )
        cls.type_gift = Type.create(
            {
                "name": "Gift mug",
                "category": "attentive",
                "fulfilment": "gift",
                "default_value": 12,
                "max_value": 50,
                "product_id": cls.gift_product.id,
                "points_price": 50,
            }
        )
        cls.type_points = Type.create(
            {
                "name": "Compensation points",
                "category": "repair",
                "fulfilment": "points",
                "default_value": 20,
                "max_value": 200,
            }
        )
        cls.type_delivery = Type.create(
            {
                "name": "Free delivery",
                "category": "service",
                "fulfilment": "free_delivery",
                "default_value": 8,
                "max_value": 20,
                "product_id": cls.delivery_product.id,
            }
        )
        cls.type_discount = Type.create(
            {
                "name": "Discount on the order",
                "category": "financial",
                "fulfilment": "order_discount",
                "default_value": 15,
                "max_value": 100,
            }
        )
        cls.type_task = Type.create(
            {
                "name": "Free installation",
                "category": "service",
                "fulfilment": "service_task",
                "default_value": 40,
                "max_value": 100,
            }
        )
        cls.type_letter = Type.create(
            {"name": "Formal apology", "category": "repair", "fulfilment": "letter"}
        )
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": "Broken espresso machine",
                "description": "It leaks.",
                "partner_id": cls.customer.id,
                "priority": "3",
                "user_id": cls.agent.id,
                "channel_id": cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone").id,
            }
        )

    @classmethod
    def make_invoice(cls, amount=100.0, partner=None):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or cls.customer).id,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [(6, 0, [])],
                        },
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    @classmethod
    def points_card(cls, points=0.0, partner=None):
        card = cls.company._care_points_card(partner or cls.customer)
        card.points = points
        return card

    def grant(self, gesture_type, user=None, **values):
        """Create and submit a gesture as ``user`` (the agent by default)."""
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(user or self.agent)
            .create(dict({"partner_id": self.customer.id, "type_id": gesture_type.id}, **values))
        )
        gesture.action_submit()
        return gesture
