from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tools import config

from . import common

TEST_REF = "CARE-ATTENTION-TEST"
TEST_DOMAIN = f"[('ref', '=', '{TEST_REF}')]"


class AttentionCase(common.GestureCase):
    """Attention rules on a clean slate: demo rules archived, a known contact policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["care.attention.rule"].search([]).action_archive()
        cls.company.write({"care_contact_max": 5, "care_contact_window_days": 30})
        cls.company.write(
            {
                "care_tier_silver_revenue": 1000,
                "care_tier_gold_revenue": 5000,
                "care_tier_vip_revenue": 10000,
            }
        )
        cls.template_thanks = cls.env.ref("loyalty_gesture.mail_template_attention_thanks")
        cls.template_gesture = cls.env.ref("loyalty_gesture.mail_template_attention_gesture")
        cls.Rule = cls.env["care.attention.rule"]
        cls.Attention = cls.env["care.attention"]
        # the rules of these tests only see their customers, not the demo ones
        cls.customer.ref = TEST_REF

    @classmethod
    def make_rule(cls, **values):
        vals = {
            "name": "Thank you",
            "event": "order_confirmed",
            "action": "message",
            "mail_template_id": cls.template_thanks.id,
            "partner_domain": TEST_DOMAIN,
        }
        if values.get("action") == "gesture":
            vals["mail_template_id"] = cls.template_gesture.id
        vals.update(values)
        return cls.Rule.create(vals)

    @classmethod
    def make_customer(cls, name, **values):
        return cls.make_partner(name, **dict({"ref": TEST_REF}, **values))

    @classmethod
    def make_order(cls, partner, amount=100.0, when=None, company=None):
        """A confirmed order of ``amount`` (untaxed), confirmed at ``when`` (now by default)."""
        company = company or cls.company
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
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
        )
        order.action_confirm()
        if when:
            order.date_order = when
        return order

    @staticmethod
    def days_ago(days):
        return fields.Datetime.now() - timedelta(days=days)

    @staticmethod
    def at(year, month, day):
        return datetime(year, month, day, 10, 0)

    def run_attentions(self):
        """The scheduled run in one call (limits high enough for the whole run); the
        attentions logged."""
        limits = {"limit_time_cpu": 72000, "limit_time_real": 72000, "limit_time_real_cron": 0}
        with patch.dict(config.options, limits):
            return self.env["care.attention.rule"]._cron_process()

    def attentions(self, rule, **domain):
        return self.Attention.search(
            [("rule_id", "=", rule.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])
