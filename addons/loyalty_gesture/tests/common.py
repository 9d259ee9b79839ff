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
