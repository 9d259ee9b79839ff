from datetime import datetime, time, timedelta

from odoo import fields
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import TransactionCase


class WinbackCase(TransactionCase):
    """Two companies of our own, care users in each, and helpers for order histories."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Win-back Roastery"})
        cls.company_b = cls.env["res.company"].create({"name": "Win-back Other Co"})
        companies = cls.company | cls.company_b
        cls.env.user.company_ids |= companies
        cls.manager = mail_new_test_user(
            cls.env,
            login="wb_manager",
            groups="loyalty_gesture.group_care_manager,sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.agent = mail_new_test_user(
            cls.env,
            login="wb_agent",
            groups="loyalty_gesture.group_care_agent",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.manager_b = mail_new_test_user(
            cls.env,
            login="wb_manager_b",
            groups="loyalty_gesture.group_care_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Win-back test coffee", "type": "consu", "list_price": 10.0}
        )
        cls.gesture_type = cls.env["loyalty.gesture.type"].create(
            {
                "name": "Win-back test coupon",
                "category": "financial",
                "fulfilment": "coupon",
                "default_value": 10,
                "max_value": 100,
                "unit_cost": 2,
            }
        )
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.scores = cls.env["winback.customer.score"]

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "email": f"{name.lower().replace(' ', '.')}@example.com", **values}
        )

    @classmethod
    def _order_at(cls, partner, days_ago, amount=100.0, company=None):
        """A confirmed order ``days_ago`` days before today, worth ``amount`` untaxed."""
        moment = datetime.combine(cls.today - timedelta(days=days_ago), time(10, 0))
        return cls._order_on(partner, moment, amount, company)

    @classmethod
    def _order_on(cls, partner, moment, amount=100.0, company=None):
        return cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": (company or cls.company).id,
                "state": "sale",
                "date_order": moment,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [(6, 0, [])],
                        },
                    )
                ],
            }
        )

    @classmethod
    def _history(cls, partner, days_ago_list, amount=100.0, company=None):
        for days_ago in days_ago_list:
            cls._order_at(partner, days_ago, amount, company)

    def _score(self, partner, company=None):
        return self.scores.search(
            [("partner_id", "=", partner.id), ("company_id", "=", (company or self.company).id)]
        )

    def _compute(self, company=None):
        self.assertTrue(self.scores._compute_company_scores(company or self.company))
