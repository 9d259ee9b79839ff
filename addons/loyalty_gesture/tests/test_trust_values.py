"""One checked figure per gesture (issue #17): what the customer receives derives from
the value the charter and the limits check; users set only the fields the grant form needs."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from . import common


@tagged("post_install", "-at_install")
class TestTrustValues(common.GestureCase):
    def create_as(self, user, **values):
        return (
            self.env["loyalty.gesture"]
            .with_user(user)
            .create(dict({"partner_id": self.customer.id}, **values))
        )

    def percent_program(self, percent=20):
        return self.env["loyalty.program"].create(
            {
                "name": "Percent gesture coupons",
                "program_type": "coupons",
                "company_id": self.company.id,
                "applies_on": "current",
                "trigger": "with_code",
                "care_personal_coupons": True,
                "rule_ids": [(5, 0, 0)],
                "reward_ids": [
                    (5, 0, 0),
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount": percent,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                            "required_points": 1,
                        },
                    ),
                ],
            }
        )

    def order(self, amount=100):
        return self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "price_unit": amount})],
            }
        )

    # --- Points ---

    def test_points_derive_from_the_value_and_the_program_reward(self):
        card = self.points_card(0)
        gesture = self.grant(self.type_points, value=12)
        # per-point reward: 0.10 a point
        self.assertEqual(gesture.points, 120)
        self.assertEqual(card.points, 120)
        self.assertEqual(gesture.points_worth, 12)
        self.assertRegex(gesture.points_text, r"^120 points, worth .*12[.,]00")
        self.assertNotIn("120.0", gesture.points_text)
        # fixed-amount reward: 5.00 for 100 points, so 0.05 a point
        self.points_program.reward_ids.write({"discount_mode": "per_order", "discount": 5})
        other = self.grant(self.type_points, value=12)
        self.assertEqual(other.points, 240)
        self.assertEqual(card.points, 360)
        self.assertEqual(gesture.points, 120, "a fulfilled gesture keeps its points")

    def test_points_on_a_program_without_worth_are_refused(self):
        self.points_program.reward_ids.write({"discount_mode": "percent", "discount": 10})
        gesture = self.create_as(self.agent, type_id=self.type_points.id, value=10)
        with self.assertRaisesRegex(UserError, "no worth"):
            gesture.action_submit()
        self.assertFalse(self.company._care_points_card(self.customer, create=False).points)

    def test_points_and_cost_are_not_client_writable(self):
        for field, value in (("points", 1_000_000), ("cost", 0), ("state", "done")):
            with self.subTest(field=field), self.assertRaises(UserError):
                self.create_as(self.agent, type_id=self.type_points.id, value=1, **{field: value})
        gesture = self.create_as(self.agent, type_id=self.type_points.id, value=1)
        for user in (self.agent, self.manager):
            for field, value in (("points", 1_000_000), ("cost", 0)):
                with self.subTest(user=user.login, field=field), self.assertRaises(UserError):
                    gesture.with_user(user).write({field: value})
        gesture.action_submit()
        self.assertEqual(gesture.state, "done")
        self.assertEqual(gesture.points, 10, "1.00 at 0.10 a point")
        card = self.company._care_points_card(self.customer, create=False)
        self.assertEqual(card.points, 10)
        for field, value in (("cost", 0), ("reason", "changed"), ("partner_id", self.customer.id)):
            with self.subTest(done=field), self.assertRaises(UserError):
                gesture.with_user(self.manager).write({field: value})

    def test_cost_is_computed_then_frozen(self):
        self.type_coupon.unit_cost = 2
        gesture = self.grant(self.type_coupon, value=20)
        self.assertEqual(gesture.state, "done")
        self.assertEqual(gesture.cost, 22)
        # the superuser rewriting history does not move what it cost nor what was given
        gesture.sudo().value = 30
        self.assertEqual(gesture.cost, 22)
        points_gesture = self.grant(self.type_points, value=5)
        points_gesture.sudo().value = 50
        self.assertEqual(points_gesture.points, 50)

    # --- Gifts and free delivery ---

    def test_gift_is_worth_its_product_whatever_the_client_says(self):
        for forged in (0, 1, 49):
            with self.subTest(forged=forged):
                gesture = self.create_as(self.agent, type_id=self.type_gift.id, value=forged)
                self.assertEqual(gesture.value, 10, "the product's cost")
                self.assertEqual(gesture.cost, 10)
        self.company.care_gift_value_source = "list_price"
        gesture = self.create_as(self.agent, type_id=self.type_gift.id, value=0)
        self.assertEqual(gesture.value, 12, "the product's sales price")
        self.assertEqual(gesture.cost, 10, "what it costs stays the product's cost")
        gesture.action_submit()
        self.assertEqual(gesture.state, "done")

    def test_gift_worth_nothing_is_refused(self):
        free = self.env["product.product"].create({"name": "Sticker", "standard_price": 0})
        with self.assertRaisesRegex(ValidationError, "worth nothing"):
            self.env["loyalty.gesture.type"].create(
                {"name": "Sticker", "fulfilment": "gift", "product_id": free.id}
            )
        gesture = self.create_as(self.agent, type_id=self.type_gift.id)
        self.gift_product.standard_price = 0
        with self.assertRaisesRegex(UserError, "worth nothing"):
            gesture.action_submit()
        self.assertFalse(gesture.sudo().gift_order_id)

    def test_gift_value_counts_for_the_agent_limit(self):
        self.gift_product.standard_price = 60  # above the agent's limit of 50
        self.type_gift.max_value = 100
        gesture = self.grant(self.type_gift, value=1)
        self.assertEqual(gesture.value, 60)
        self.assertEqual(gesture.state, "to_approve")
        self.assertFalse(gesture.sudo().gift_order_id)

    def test_free_delivery_is_worth_its_delivery_product_and_capped(self):
        gesture = self.grant(self.type_delivery, value=20)
        self.assertEqual(gesture.value, 8)
        card = gesture.sudo().coupon_card_id
        self.assertEqual(card.program_id.reward_ids.reward_type, "shipping")
        self.assertEqual(card.program_id.reward_ids.discount_max_amount, 8)
        self.assertEqual(card.points, 1)

    # --- Coupons ---

    def test_percentage_coupon_is_capped_at_the_value(self):
        program = self.percent_program(20)
        self.company.care_coupon_program_id = program
        gesture = self.grant(self.type_coupon, value=10)
        card = gesture.sudo().coupon_card_id
        self.assertEqual(card.program_id.care_cap_source_id, program)
        self.assertEqual(card.program_id.reward_ids.discount_max_amount, 10)
        self.assertFalse(program.reward_ids.discount_max_amount, "the source is untouched")
        order = self.order(100)
        self.apply_code(order, card.code)
        self.assertAlmostEqual(order.amount_total, 90, msg="20 % of 100, capped at 10")
        again = self.grant(self.type_coupon, value=10)
        self.assertEqual(again.sudo().coupon_card_id.program_id, card.program_id, "reused")

    def test_per_point_coupon_gives_the_value_whatever_the_point_worth(self):
        program = self.company._care_program("coupons")
        program.reward_ids.discount = 2  # a manager makes a point worth 2.00
        gesture = self.grant(self.type_coupon, value=24)
        card = gesture.sudo().coupon_card_id
        self.assertEqual(card.points, 12)
        order = self.order(100)
        self.apply_code(order, card.code)
        self.assertAlmostEqual(order.amount_total, 76)

    # --- Allow-lists and restricted reads ---

    def test_logs_and_attentions_are_written_by_the_suite_only(self):
        log = self.env["care.contact.log"].create(
            {"partner_id": self.customer.id, "kind": "gesture"}
        )
        with self.assertRaisesRegex(UserError, "You cannot set"):
            log.with_user(self.manager).write({"state": "skipped"})
        with self.assertRaises(UserError):
            self.env["care.contact.log"].with_user(self.manager).create(
                {"partner_id": self.customer.id, "kind": "gesture"}
            )
        self.assertEqual(log.state, "sent")

    def test_invoice_figures_only_for_who_may_read_it(self):
        invoice = self.make_invoice(100)
        gesture = self.create_as(
            self.agent, type_id=self.type_refund.id, value=150, invoice_id=invoice.id
        )
        self.assertFalse(invoice.with_user(self.agent).has_access("read"))
        with self.assertRaises(UserError) as refused:
            gesture.action_submit()
        self.assertNotIn(invoice.name, str(refused.exception))
        self.assertNotIn("100", str(refused.exception))
        as_manager = self.create_as(
            self.env.ref("base.user_admin"),
            type_id=self.type_refund.id,
            value=150,
            invoice_id=invoice.id,
        )
        with self.assertRaisesRegex(UserError, invoice.name):
            as_manager.action_submit()

    def test_the_gesture_form_still_saves_as_an_agent(self):
        # Form sends what the web client sends: every field the view leaves editable
        form = Form(self.env["loyalty.gesture"].with_user(self.agent))
        form.partner_id = self.customer
        form.ticket_id = self.ticket
        form.type_id = self.type_points
        form.value = 20
        self.assertRegex(form.points_text, r"^200 points")
        gesture = form.save()
        self.assertRecordValues(gesture, [{"value": 20, "points": 200, "state": "draft"}])
        with Form(gesture.with_user(self.agent)) as edit:
            edit.type_id = self.type_gift
        self.assertEqual(gesture.value, 10, "the gift's product cost")
        gesture.with_user(self.agent).action_submit()
        self.assertEqual(gesture.state, "done")

    def test_the_grant_wizard_shows_points_and_their_worth(self):
        wizard = (
            self.env["loyalty.gesture.grant.wizard"]
            .with_user(self.agent)
            .create({"ticket_id": self.ticket.id, "type_id": self.type_points.id, "value": 12})
        )
        self.assertRegex(wizard.points_text, r"^120 points, worth .*12[.,]00")
        gift = (
            self.env["loyalty.gesture.grant.wizard"]
            .with_user(self.agent)
            .create({"ticket_id": self.ticket.id, "type_id": self.type_gift.id})
        )
        self.assertEqual(gift.value, 10)


@tagged("post_install", "-at_install")
class TestTrustValuesRpc(HttpCase, common.GestureCase):
    """The same, as the web client and attackers send it: JSON-RPC as an agent."""

    def call(self, method, *args, **kwargs):
        try:
            return self.make_jsonrpc_request(
                f"/web/dataset/call_kw/loyalty.gesture/{method}",
                {
                    "model": "loyalty.gesture",
                    "method": method,
                    "args": list(args),
                    "kwargs": kwargs,
                },
            )
        finally:
            self.env.invalidate_all()  # the request wrote through its own environment

    def test_agent_rpc_cannot_forge_points_or_cost(self):
        self.authenticate("care_agent", "care_agent")
        card = self.points_card(0)
        forged = {
            "partner_id": self.customer.id,
            "type_id": self.type_points.id,
            "value": 1,
            "points": 1_000_000,
        }
        with mute_logger("odoo.http"), self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call("create", [forged])
        del forged["points"]
        [gesture_id] = self.call("create", [forged])
        with mute_logger("odoo.http"), self.assertRaisesRegex(JsonRpcException, "UserError"):
            self.call("write", [gesture_id], {"cost": 0, "points": 1_000_000})
        self.call("action_submit", [gesture_id])
        gesture = self.env["loyalty.gesture"].browse(gesture_id)
        self.assertEqual(gesture.state, "done")
        self.assertEqual(gesture.points, 10, "value 1.00 at 0.10 a point")
        self.assertEqual(card.points, 10, "only the points the value is worth")
        for values in ({"cost": 0}, {"value": 1000}, {"points": 1_000_000}):
            with (
                self.subTest(values=values),
                mute_logger("odoo.http"),
                self.assertRaisesRegex(JsonRpcException, "UserError"),
            ):
                self.call("write", [gesture_id], values)
        self.assertEqual(card.points, 10)
        self.assertEqual(gesture.cost, 1)

    def test_agent_rpc_gift_is_worth_its_product(self):
        self.authenticate("care_agent", "care_agent")
        [gesture_id] = self.call(
            "create",
            [{"partner_id": self.customer.id, "type_id": self.type_gift.id, "value": 0}],
        )
        [row] = self.call("read", [gesture_id], ["value", "cost"])
        self.assertEqual((row["value"], row["cost"]), (10, 10))
