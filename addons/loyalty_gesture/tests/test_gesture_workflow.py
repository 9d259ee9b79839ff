from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from . import common


@tagged("post_install", "-at_install")
class TestGestureWorkflow(common.GestureCase):
    def new_gesture(self, user=None, **values):
        return (
            self.env["loyalty.gesture"]
            .with_user(user or self.agent)
            .create(dict({"partner_id": self.customer.id, "type_id": self.type_task.id}, **values))
        )

    def test_agent_cannot_forge_the_state_by_rpc(self):
        gesture = self.new_gesture(value=90)
        for forged in (
            {"state": "approved"},
            {"state": "done"},
            {"approved_by_id": self.agent.id},
            {"requested_by_id": self.manager.id},
            {"coupon_card_id": False},
        ):
            with self.subTest(forged=forged), self.assertRaises(UserError):
                gesture.write(forged)
        with self.assertRaises(UserError):
            self.new_gesture(state="approved")
        with self.assertRaises(UserError):
            self.new_gesture(approved_by_id=self.agent.id)
        self.assertEqual(gesture.state, "draft")
        # a manager cannot shortcut either: the buttons are the only way
        with self.assertRaises(UserError):
            gesture.with_user(self.manager).write({"state": "done"})

    def test_requester_is_always_the_creator(self):
        gesture = self.new_gesture()
        self.assertEqual(gesture.requested_by_id, self.agent)

    def test_granted_gesture_is_frozen(self):
        gesture = self.new_gesture()
        gesture.action_submit()
        self.assertEqual(gesture.state, "done")
        with self.assertRaises(UserError):
            gesture.write({"value": 10})
        with self.assertRaises(UserError):
            gesture.write({"partner_id": self.env["res.partner"].create({"name": "Other"}).id})
        with self.assertRaises(UserError):
            gesture.action_submit()

    def test_bad_values(self):
        with self.assertRaises(ValidationError):
            self.new_gesture(type_id=self.type_coupon.id, value=10**12)
        # refused in words before the database's CHECK constraint
        with self.assertRaisesRegex(ValidationError, "negative"):
            self.new_gesture(type_id=self.type_coupon.id, value=-5)
        zero = self.new_gesture(type_id=self.type_coupon.id, value=0)
        with self.assertRaisesRegex(UserError, "positive value"):
            zero.action_submit()
        self.assertFalse(zero.coupon_card_id)

    def test_archived_type_is_refused(self):
        gesture = self.new_gesture(type_id=self.type_coupon.id)
        self.type_coupon.active = False
        with self.assertRaisesRegex(UserError, "archived"):
            gesture.action_submit()
        self.assertEqual(gesture.state, "draft")

    def test_email_channel_needs_an_email(self):
        nomail = self.env["res.partner"].create({"name": "Paul Sansmail"})
        gesture = self.new_gesture(
            partner_id=nomail.id, type_id=self.type_coupon.id, channel_id=self.email_channel.id
        )
        with self.assertRaisesRegex(UserError, "no email address"):
            gesture.action_submit()
        self.assertFalse(gesture.coupon_card_id, "nothing half-created")

    def test_foreign_company_customer_and_ticket_are_refused(self):
        partner_b = self.env["res.partner"].create(
            {"name": "B customer", "company_id": self.company_b.id}
        )
        with self.assertRaises(UserError):
            self.new_gesture(partner_id=partner_b.id)
        ticket_b = self.env["helpdesk.ticket"].create(
            {
                "name": "B ticket",
                "description": "B",
                "company_id": self.company_b.id,
                "partner_id": self.customer.id,
            }
        )
        with self.assertRaises(UserError):  # AccessError is a UserError too
            self.new_gesture(ticket_id=ticket_b.id)

    def test_documents_must_belong_to_the_customer(self):
        other = self.env["res.partner"].create({"name": "Someone else"})
        invoice = self.make_invoice(partner=other)
        with self.assertRaises(ValidationError):
            self.new_gesture(type_id=self.type_refund.id, invoice_id=invoice.id)

    def test_severity_comes_from_the_ticket(self):
        gesture = self.new_gesture(ticket_id=self.ticket.id)
        self.assertEqual(gesture.severity, "critical")
        self.assertEqual(gesture.cost, 40, "value plus the type's unit cost")

    def test_form_prefills_value_and_cost(self):
        self.type_task.unit_cost = 5
        form = Form(self.env["loyalty.gesture"].with_user(self.agent))
        form.partner_id = self.customer
        form.type_id = self.type_task
        self.assertEqual(form.value, 40)
        self.assertEqual(form.cost, 45)
        gesture = form.save()
        self.assertEqual(gesture.state, "draft")

    def test_smart_buttons_count_per_customer_ticket_and_order(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": self.product.id})],
            }
        )
        self.new_gesture(ticket_id=self.ticket.id, sale_order_id=order.id)
        contact = self.env["res.partner"].create(
            {"name": "Claire's colleague", "parent_id": self.customer.id}
        )
        self.new_gesture(partner_id=contact.id)
        self.assertEqual(self.customer.gesture_count, 2, "contacts count for the company")
        self.assertEqual(self.ticket.gesture_count, 1)
        self.assertEqual(order.gesture_count, 1)
        action = self.ticket.action_view_gestures()
        self.assertEqual(
            self.env["loyalty.gesture"].search(action["domain"]).ticket_id, self.ticket
        )

    def test_only_drafts_are_deleted(self):
        gesture = self.new_gesture()
        gesture.action_submit()
        with self.assertRaises(UserError):
            gesture.with_user(self.manager).unlink()

    def test_agent_opens_a_gesture_linked_to_documents_of_other_apps(self):
        self.assertFalse(self.agent.has_group("account.group_account_invoice"))
        invoice = self.make_invoice(100)
        gesture = self.new_gesture(type_id=self.type_refund.id, value=20, invoice_id=invoice.id)
        gesture.action_submit()
        views = gesture.get_views(
            [(False, view) for view in ("form", "list", "kanban", "pivot", "graph", "search")]
        )
        self.assertIn("form", views["views"])
        spec = {
            "name": {},
            "state": {},
            "refund_move_id": {"fields": {"display_name": {}}},
            "invoice_id": {"fields": {"display_name": {}}},
            "coupon_used": {},
            "revenue_after": {},
            "phone_script": {},
        }
        [values] = gesture.web_read(spec)
        self.assertEqual(values["state"], "done")
        self.assertEqual(values["invoice_id"]["display_name"], invoice.name)
        self.assertTrue(values["refund_move_id"]["id"])
