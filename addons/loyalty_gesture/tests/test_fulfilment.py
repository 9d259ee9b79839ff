from odoo.exceptions import UserError
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestFulfilment(common.GestureCase):
    # --- Coupons ---

    def test_coupon_is_a_real_loyalty_card_redeemed_on_a_new_order(self):
        gesture = self.grant(self.type_coupon, value=25, channel_id=self.email_channel.id)
        card = gesture.sudo().coupon_card_id
        self.assertEqual(gesture.state, "done")
        self.assertRecordValues(
            card,
            [
                {
                    "program_id": self.company.care_coupon_program_id.id,
                    "partner_id": self.customer.id,
                    "points": 25,
                }
            ],
        )
        self.assertEqual(card.program_id.program_type, "coupons")
        self.assertTrue(card.expiration_date)
        # the customer gets the code by email, logged in the contact log
        message = gesture.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertTrue(message, "the gesture email went to the customer")
        self.assertIn(card.code, message[0].body)
        log = self.env["care.contact.log"].search([("res_id", "=", gesture.id)])
        self.assertRecordValues(log, [{"kind": "gesture", "state": "sent"}])
        # redemption with Odoo's standard coupon flow gives the discount
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        self.assertEqual(order.amount_total, 100)
        self.apply_code(order, card.code)
        self.assertAlmostEqual(order.amount_total, 75)
        order.action_confirm()
        gesture.invalidate_recordset(["coupon_used"])
        self.assertTrue(gesture.coupon_used)
        self.assertEqual(card.points, 0, "the coupon cannot be used twice")
        self.grant(self.type_coupon)  # a second coupon, not used
        metrics = self.customer._care_metrics()[self.customer.id]
        self.assertEqual(metrics["coupon_use_rate"], 50.0, "one gesture coupon of two redeemed")

    def test_coupon_codes_are_unique(self):
        first = self.grant(self.type_coupon)
        second = self.grant(self.type_coupon)
        self.assertNotEqual(first.coupon_card_id.code, second.coupon_card_id.code)

    def test_double_click_on_fulfil_creates_nothing_twice(self):
        gesture = self.grant(self.type_coupon, value=120)  # above the agent's limit
        self.assertEqual(gesture.state, "to_approve")
        gesture.with_user(self.manager).action_approve()
        card = gesture.coupon_card_id
        gesture.action_done()
        gesture.with_user(self.manager).action_done()
        self.assertEqual(gesture.coupon_card_id, card)
        cards = self.env["loyalty.card"].search(
            [("program_id", "=", card.program_id.id), ("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(cards), 1)
        with self.assertRaises(UserError):
            gesture.with_user(self.manager).action_approve()

    def test_unapproved_gesture_cannot_be_fulfilled(self):
        gesture = self.grant(self.type_coupon, value=120)
        with self.assertRaises(UserError):
            gesture.action_done()
        self.assertFalse(gesture.coupon_card_id)

    def test_opted_out_customer_gesture_done_but_email_skipped(self):
        self.customer.care_opt_out = True
        gesture = self.grant(self.type_coupon)
        self.assertEqual(gesture.state, "done")
        self.assertTrue(gesture.coupon_card_id)
        log = self.env["care.contact.log"].search([("res_id", "=", gesture.id)])
        self.assertRecordValues(log, [{"state": "skipped", "skip_reason": "opt_out"}])
        self.assertFalse(gesture.message_ids.filtered(lambda m: self.customer in m.partner_ids))
        self.assertTrue(
            gesture.message_ids.filtered(lambda m: "not sent" in (m.body or "")),
            "the chatter says why",
        )

    def test_cancel_voids_an_unused_coupon(self):
        gesture = self.grant(self.type_coupon)
        card = gesture.sudo().coupon_card_id
        gesture.action_cancel()
        self.assertEqual(gesture.state, "cancelled")
        self.assertFalse(card.active)
        self.assertEqual(card.points, 0)

    def test_company_b_gets_its_own_coupon_program(self):
        type_b = self.env["loyalty.gesture.type"].create(
            {"name": "B coupon", "company_id": self.company_b.id, "default_value": 10}
        )
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.manager_b)
            .with_company(self.company_b)
            .create({"partner_id": self.customer.id, "type_id": type_b.id})
        )
        gesture.action_submit()
        program = gesture.coupon_card_id.program_id
        self.assertEqual(program.company_id, self.company_b)
        self.assertEqual(self.company_b.care_coupon_program_id, program)

    # --- Discount on an order, free delivery ---

    def test_order_discount_is_applied_to_the_quotation(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2})],
            }
        )
        gesture = self.grant(self.type_discount, sale_order_id=order.id)
        self.assertEqual(gesture.state, "done")
        self.assertAlmostEqual(order.amount_total, 185)
        self.assertIn(gesture.coupon_card_id, order.order_line.coupon_id)
        order.action_confirm()
        refused = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_discount.id,
                    "sale_order_id": order.id,
                }
            )
        )
        with self.assertRaisesRegex(UserError, "quotation"):
            refused.action_submit()

    def test_free_delivery_is_a_shipping_reward_coupon(self):
        gesture = self.grant(self.type_delivery)
        card = gesture.sudo().coupon_card_id
        self.assertEqual(card.program_id.reward_ids.reward_type, "shipping")
        self.assertEqual(card.points, 1)

    # --- Partial refund ---

    def test_partial_refund_is_a_draft_credit_note_within_the_invoice(self):
        invoice = self.make_invoice(100)
        gesture = self.grant(self.type_refund, value=30, invoice_id=invoice.id)
        refund = gesture.sudo().refund_move_id
        self.assertRecordValues(
            refund,
            [
                {
                    "move_type": "out_refund",
                    "state": "draft",
                    "reversed_entry_id": invoice.id,
                    "amount_total": 30,
                    "partner_id": self.customer.id,
                }
            ],
        )
        # a second refund may only take what is left
        too_much = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_refund.id,
                    "value": 80,
                    "invoice_id": invoice.id,
                }
            )
        )
        # the agent may not read invoices: no figure of the invoice in the message
        with self.assertRaisesRegex(UserError, "cannot be refunded that much"):
            too_much.action_submit()
        self.assertEqual(too_much.state, "draft", "nothing half-done")
        self.assertEqual(len(invoice.reversal_move_ids), 1)
        rest = self.grant(self.type_refund, value=70, invoice_id=invoice.id)
        self.assertEqual(rest.state, "to_approve", "above the agent's limit")
        # the room left is checked again when the manager approves
        self.grant(self.type_refund, value=40, invoice_id=invoice.id)
        with self.assertRaisesRegex(UserError, "cannot be refunded that much"):
            rest.with_user(self.manager).action_approve()
        self.assertEqual(rest.state, "to_approve")

    def test_refund_of_a_paid_invoice_and_cancel_rules(self):
        invoice = self.make_invoice(100)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        gesture = self.grant(self.type_refund, value=20, invoice_id=invoice.id)
        refund = gesture.sudo().refund_move_id
        self.assertEqual(refund.amount_total, 20)
        refund.action_post()
        with self.assertRaisesRegex(UserError, "posted"):
            gesture.action_cancel()
        self.assertEqual(gesture.state, "done")

    def test_cancel_cancels_a_draft_credit_note(self):
        gesture = self.grant(self.type_refund, value=20, invoice_id=self.make_invoice(100).id)
        gesture.action_cancel()
        self.assertEqual(gesture.sudo().refund_move_id.state, "cancel")

    def test_refund_without_invoice_is_refused(self):
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create({"partner_id": self.customer.id, "type_id": self.type_refund.id})
        )
        with self.assertRaisesRegex(UserError, "invoice"):
            gesture.action_submit()
        self.assertEqual(gesture.state, "draft")

    # --- Gift ---

    def test_gift_is_a_zero_priced_confirmed_order_even_for_an_agent(self):
        self.assertFalse(self.agent.has_group("sales_team.group_sale_salesman"))
        gesture = self.grant(self.type_gift)
        order = gesture.sudo().gift_order_id
        self.assertRecordValues(
            order, [{"state": "sale", "amount_total": 0.0, "partner_id": self.customer.id}]
        )
        self.assertEqual(order.order_line.product_id, self.gift_product)
        self.assertEqual(order.origin, gesture.name)
        self.assertEqual(order.gesture_count, 1)
        gesture.action_cancel()
        self.assertEqual(order.state, "cancel")

    # --- Points ---

    def test_points_gesture_credits_the_card_with_a_history_line(self):
        card = self.points_card(10)
        gesture = self.grant(self.type_points, value=20)
        self.assertEqual(gesture.points, 200, "the program's reward gives 0.10 per point")
        self.assertEqual(card.points, 210)
        self.assertRecordValues(
            gesture.sudo().points_history_id,
            [{"card_id": card.id, "issued": 200, "used": 0, "order_model": "loyalty.gesture"}],
        )
        self.assertEqual(gesture.sudo().points_history_id.order_id, gesture.id)
        metrics = self.customer._care_metrics()[self.customer.id]
        self.assertEqual(metrics["points_balance"], 210)

    def test_points_earned_on_orders_by_the_standard_rules_pay_a_gesture(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        order._update_programs_and_rewards()
        order.action_confirm()
        card = self.company._care_points_card(self.customer, create=False)
        self.assertEqual(card.points, 100, "1 point per currency unit spent")
        gesture = self.grant(self.type_gift, paid_with_points=True)
        self.assertEqual(gesture.state, "done")
        self.assertEqual(card.points, 50)
        self.assertEqual(sum(card.history_ids.mapped("used")), 50)
        self.assertEqual(sum(card.history_ids.mapped("issued")), 100)

    def test_gesture_paid_with_points_never_overdraws(self):
        card = self.points_card(30)
        poor = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_gift.id,
                    "paid_with_points": True,
                }
            )
        )
        with self.assertRaisesRegex(UserError, "30"):
            poor.action_submit()
        self.assertEqual(card.points, 30)
        self.assertFalse(poor.gift_order_id)
        card.points = 80
        gesture = self.grant(self.type_gift, paid_with_points=True)
        self.assertEqual(card.points, 30)
        self.assertEqual(gesture.sudo().points_spent_history_id.used, 50)
        self.assertTrue(gesture.gift_order_id)
        with self.assertRaises(UserError):
            card._care_debit_points(31, "too much")
        with self.assertRaises(UserError):
            card._care_debit_points(-5, "negative")
        gesture.action_cancel()
        self.assertEqual(card.points, 80, "points given back on cancel")

    def test_points_without_program_is_a_clear_error(self):
        self.company.care_points_program_id = False
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create({"partner_id": self.customer.id, "type_id": self.type_points.id})
        )
        with self.assertRaisesRegex(UserError, "loyalty program"):
            gesture.action_submit()

    # --- Service task and letter ---

    def test_service_task_and_letter_are_activities_for_the_agent(self):
        for gesture_type in (self.type_task, self.type_letter):
            with self.subTest(kind=gesture_type.fulfilment):
                gesture = self.grant(gesture_type, reason="Install it next Monday")
                activity = gesture.sudo().task_activity_id
                self.assertEqual(activity.user_id, self.agent)
                self.assertEqual(activity.res_id, gesture.id)
                self.assertIn(gesture_type.name, activity.summary)
