import importlib.util
import os

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase

AGENT = "loyalty_gesture.group_care_agent"
MANAGER = "loyalty_gesture.group_care_manager"


def load_migration(module, version, script):
    """The migration script ``migrations/<version>/<script>.py`` of ``module``, loaded."""
    path = os.path.join(get_module_path(module), "migrations", version, f"{script}.py")
    spec = importlib.util.spec_from_file_location(f"{module}_{script.replace('-', '_')}", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def care_user(env, login, groups, company, **values):
    """A user of ``company`` only, in ``groups`` (comma-separated xml ids); password = login."""
    return mail_new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[(6, 0, company.ids)],
        **values,
    )


class CareCase(TransactionCase):
    """Two companies, an agent and a manager in each, a customer and gesture types.

    The addons' test cases extend it: ``care_login_prefix`` names their users
    (``<prefix>_agent``, ``<prefix>_manager``...), ``_care_companies`` and ``_care_records``
    may be overridden to start from other companies and records.
    """

    care_login_prefix = "care"
    care_manager_groups = MANAGER

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # notifications stay queued in mail.mail under both runners (Odoo's sends them at
        # once in its test threads, and deletes them)
        cls.env = cls.env(context=dict(cls.env.context, mail_notify_force_send=False))
        cls._care_companies()
        prefix = cls.care_login_prefix
        cls.agent = cls.care_user(f"{prefix}_agent", AGENT)
        cls.manager = cls.care_user(f"{prefix}_manager", cls.care_manager_groups)
        cls.manager_b = cls.care_user(f"{prefix}_manager_b", MANAGER, cls.company_b)
        cls.internal_user = mail_new_test_user(
            cls.env, login=f"{prefix}_plain_user", groups="base.group_user"
        )
        cls._care_records()

    @classmethod
    def _care_companies(cls):
        cls.company = cls.env.company
        cls.company.care_agent_gesture_limit = 50
        cls.company_b = cls.env["res.company"].create({"name": "Care Company B"})

    @classmethod
    def _care_records(cls):
        cls.customer = cls.make_partner("Claire Martin")
        cls.gesture_type = cls.env["loyalty.gesture.type"].create(
            {
                "name": "Apology coupon",
                "category": "repair",
                "fulfilment": "coupon",
                "default_value": 20,
                "max_value": 200,
            }
        )

    @classmethod
    def care_user(cls, login, groups, company=None):
        """A user of ``company`` only (the first company by default); password = login."""
        return care_user(cls.env, login, groups, company or cls.company)

    @classmethod
    def make_partner(cls, name, **values):
        """A partner e-mailed at ``<name in lower case, dotted>@example.com``."""
        email = f"{name.lower().replace(' ', '.')}@example.com"
        return cls.env["res.partner"].create({"name": name, "email": email, **values})


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

    def apply_code(self, order, code):
        """Apply the coupon ``code`` and its first reward to ``order``, without error."""
        status = order._try_apply_code(code)
        self.assertNotIn("error", status, status)
        for coupon, rewards in status.items():
            result = order._apply_program_reward(rewards[:1], coupon)
            self.assertNotIn("error", result, result)

    def grant(self, gesture_type, user=None, **values):
        """Create and submit a gesture as ``user`` (the agent by default)."""
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(user or self.agent)
            .create(dict({"partner_id": self.customer.id, "type_id": gesture_type.id}, **values))
        )
        gesture.action_submit()
        return gesture
