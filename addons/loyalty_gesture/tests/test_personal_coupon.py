from odoo.exceptions import ValidationError
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestPersonalCoupon(common.GestureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Bruno Petit", "email": "bruno.petit@example.com"}
        )

    def order(self, partner, product=None):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    (0, 0, {"product_id": (product or self.product).id, "product_uom_qty": 1})
                ],
            }
        )

    def apply_code(self, order, code):
        status = order._try_apply_code(code)
        if "error" in status:
            return status
        for coupon, rewards in status.items():
            result = order._apply_program_reward(rewards[:1], coupon)
            if "error" in result:
                return result
        return {}

    def coupon(self, value=25, partner=None):
        gesture = self.grant(
            self.type_coupon, value=value, partner_id=(partner or self.customer).id
        )
        self.assertEqual(gesture.state, "done")
        return gesture.sudo().coupon_card_id

    def test_gesture_programs_are_personal(self):
        self.assertTrue(self.company._care_program("coupons").care_personal_coupons)
        self.assertTrue(self.company._care_program("free_delivery").care_personal_coupons)
        company = self.env["res.company"].create({"name": "Care Company C"})
        self.assertTrue(company._care_program("coupons").care_personal_coupons)

    def test_own_order_gets_the_discount(self):
        card = self.coupon()
        order = self.order(self.customer)
        self.assertEqual(self.apply_code(order, card.code), {})
        self.assertAlmostEqual(order.amount_total, 75)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_other_customer_gets_a_message_and_no_discount(self):
        card = self.coupon()
        order = self.order(self.other_customer)
        status = order._try_apply_code(card.code)
        self.assertIn("personal", status.get("error", ""))
        self.assertFalse(order.order_line.filtered("is_reward_line"))
        self.assertFalse(order.applied_coupon_ids)
        self.assertAlmostEqual(order.amount_total, 100)
        # even forcing the reward bypassing the code gives nothing
        result = order._apply_program_reward(card.program_id.reward_ids[:1], card)
        self.assertIn("personal", result.get("error", ""))
        self.assertFalse(order.order_line.filtered("is_reward_line"))

    def test_second_use_refused(self):
        card = self.coupon(value=40)
        first = self.order(self.customer, self.gift_product)  # 12: 28 points remain
        self.assertEqual(self.apply_code(first, card.code), {})
        first.action_confirm()
        self.assertAlmostEqual(card.points, 28)
        second = self.order(self.customer)
        status = second._try_apply_code(card.code)
        self.assertIn("already used", status.get("error", ""))
        self.assertFalse(second.order_line.filtered("is_reward_line"))
        self.assertAlmostEqual(second.amount_total, 100)

    def test_two_quotations_only_one_confirmed(self):
        card = self.coupon(value=40)
        first = self.order(self.customer, self.gift_product)
        second = self.order(self.customer, self.gift_product)
        self.assertEqual(self.apply_code(first, card.code), {})
        self.assertEqual(self.apply_code(second, card.code), {})
        first.action_confirm()
        with self.assertRaisesRegex(ValidationError, "already used"):
            second.action_confirm()

    def test_customer_changed_after_applying_is_refused_on_confirm(self):
        card = self.coupon()
        order = self.order(self.customer)
        self.assertEqual(self.apply_code(order, card.code), {})
        order.partner_id = self.other_customer
        with self.assertRaisesRegex(ValidationError, "personal"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")

    def test_contact_of_the_same_company_accepted(self):
        company = self.env["res.partner"].create(
            {"name": "Martin & Fils", "is_company": True, "email": "contact@martin.example.com"}
        )
        colleague = self.env["res.partner"].create(
            {"name": "Julie Martin", "parent_id": company.id, "email": "julie@martin.example.com"}
        )
        employee = self.env["res.partner"].create(
            {"name": "Paul Martin", "parent_id": company.id, "email": "paul@martin.example.com"}
        )
        card = self.coupon(partner=colleague)
        order = self.order(employee)
        self.assertEqual(self.apply_code(order, card.code), {})
        self.assertAlmostEqual(order.amount_total, 75)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_standard_promo_code_still_works_for_anyone(self):
        self.env["loyalty.program"].create(
            {
                "name": "Summer promo",
                "program_type": "promo_code",
                "company_id": self.company.id,
                "rule_ids": [(0, 0, {"code": "SUMMER10", "minimum_amount": 0})],
                "reward_ids": [
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                        },
                    )
                ],
            }
        )
        for partner in (self.customer, self.other_customer):
            order = self.order(partner)
            self.assertEqual(self.apply_code(order, "SUMMER10"), {})
            self.assertAlmostEqual(order.amount_total, 90)
            order.action_confirm()

    def test_standard_coupon_program_is_not_personal(self):
        program = self.env["loyalty.program"].create(
            {
                "name": "Shared coupons",
                "program_type": "coupons",
                "company_id": self.company.id,
                "trigger": "with_code",
                "rule_ids": [(5, 0, 0)],
                "reward_ids": [
                    (5, 0, 0),
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount": 20,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                        },
                    ),
                ],
            }
        )
        card = self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": self.customer.id, "points": 1}
        )
        order = self.order(self.other_customer)
        self.assertEqual(self.apply_code(order, card.code), {})
        self.assertAlmostEqual(order.amount_total, 80)
