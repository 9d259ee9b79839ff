from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from . import common


@tagged("post_install", "-at_install")
class TestTriggers(common.SatisfactionCase):
    def _requests(self, record):
        return self.env["satisfaction.request"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    def test_closing_a_ticket_asks_the_customer_once(self):
        self.company.satisfaction_ticket_delay = 2
        ticket = self.make_ticket()
        self.assertFalse(self._requests(ticket))
        before = fields.Datetime.now()
        ticket.with_user(self.agent).stage_id = self.stage_closed
        request = self._requests(ticket)
        self.assertRecordValues(
            request,
            [
                {
                    "partner_id": self.customer.id,
                    "survey_id": self.csat.id,
                    "kind": "csat",
                    "trigger": "ticket",
                    "ticket_id": ticket.id,
                    "team_id": self.team.id,
                    "user_id": self.agent.id,
                    "state": "pending",
                }
            ],
        )
        self.assertGreaterEqual(request.scheduled_date, before + timedelta(days=2))
        self.assertLess(request.scheduled_date, before + timedelta(days=2, minutes=5))
        # Reopened and closed again: still one request for this ticket.
        ticket.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        ticket.stage_id = self.stage_closed
        self.assertEqual(len(self._requests(ticket)), 1)

    def test_ticket_trigger_off_or_without_customer_asks_nobody(self):
        self.company.satisfaction_ticket_trigger = False
        ticket = self.make_ticket()
        ticket.stage_id = self.stage_closed
        self.assertFalse(self._requests(ticket))
        self.company.satisfaction_ticket_trigger = True
        anonymous = self.make_ticket()
        anonymous.partner_id = False
        anonymous.stage_id = self.stage_closed
        self.assertFalse(self._requests(anonymous))

    def test_ticket_survey_follows_the_company_setting(self):
        self.company.satisfaction_ticket_survey_id = self.nps
        ticket = self.make_ticket()
        ticket.stage_id = self.stage_closed
        self.assertRecordValues(self._requests(ticket), [{"survey_id": self.nps.id, "kind": "nps"}])

    def test_gesture_done_asks_after_n_days(self):
        ticket = self.make_ticket()
        gesture = self.env["loyalty.gesture"].create(
            {"partner_id": self.customer.id, "type_id": self.repair_type.id, "ticket_id": ticket.id}
        )
        # The workflow state is written as superuser, whatever path led there.
        gesture.sudo().write({"state": "approved"})
        self.assertFalse(self._requests(gesture), "approved is not done")
        gesture.sudo().write({"state": "done"})
        request = self._requests(gesture)
        self.assertRecordValues(
            request,
            [
                {
                    "trigger": "gesture",
                    "ticket_id": ticket.id,
                    "user_id": self.agent.id,
                    "survey_id": self.csat.id,
                }
            ],
        )
        self.assertGreater(request.scheduled_date, fields.Datetime.now() + timedelta(days=6))
        self.assertLess(request.scheduled_date, fields.Datetime.now() + timedelta(days=8))
        gesture.sudo().write({"state": "done"})
        self.assertEqual(len(self._requests(gesture)), 1, "writing done again asks nothing")
        self.company.satisfaction_gesture_trigger = False
        other = self.env["loyalty.gesture"].create(
            {"partner_id": self.customer_2.id, "type_id": self.repair_type.id}
        )
        other.sudo().write({"state": "done"})
        self.assertFalse(self._requests(other), "trigger off")

    def test_invoicing_an_order_asks_the_customer(self):
        product = self.env["product.product"].create(
            {"name": "Oak table", "list_price": 300, "type": "consu", "invoice_policy": "order"}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        order.action_confirm()
        invoice = order._create_invoices()
        self.assertFalse(self._requests(order), "a draft invoice asks nothing")
        invoice.action_post()
        request = self._requests(order)
        self.assertRecordValues(
            request, [{"trigger": "invoice", "survey_id": self.nps.id, "state": "pending"}]
        )
        self.assertGreater(request.scheduled_date, fields.Datetime.now() + timedelta(days=2))

    def test_one_open_request_per_customer_and_source(self):
        ticket = self.make_ticket()
        vals = {
            "partner_id": self.customer.id,
            "survey_id": self.csat.id,
            "res_model": "helpdesk.ticket",
            "res_id": ticket.id,
        }
        first = self.env["satisfaction.request"].create(vals)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env["satisfaction.request"].create(vals)
            self.env.flush_all()
        first.write({"state": "answered", "score": 4})
        self.env.flush_all()
        second = self.env["satisfaction.request"].create(vals)
        self.assertEqual(second.state, "pending", "a closed request does not block a new one")

    def test_manager_creates_a_manual_request_with_form(self):
        form = Form(self.env["satisfaction.request"].with_user(self.manager))
        form.partner_id = self.customer
        form.survey_id = self.nps
        request = form.save()
        self.assertRecordValues(request, [{"kind": "nps", "trigger": "manual", "state": "pending"}])
        self.assertRegex(request.access_token, r"^[0-9a-f-]{36}$")
        other = self.make_request(partner=self.customer_2)
        self.assertNotEqual(request.access_token, other.access_token)

    def _order(self, partner, days_ago=10, company=None):
        company = company or self.company
        product = self.env["product.product"].create({"name": "Chair", "list_price": 50})
        order = (
            self.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
                }
            )
        )
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return order

    def test_relationship_nps_asks_active_customers_a_daily_number_at_a_time(self):
        # Records are stamped with the transaction's time: the clock stays on its day, or
        # "today" would change under the test when it runs across midnight UTC.
        with freeze_time(self.env.cr.now()):
            self._relationship_nps_daily_cap()

    def _relationship_nps_daily_cap(self):
        # Company B alone asks for a relationship NPS: the demo customers of the main
        # company stay out of the count.
        self.company_b.write(
            {
                "satisfaction_relationship_trigger": True,
                "satisfaction_relationship_months": 6,
                "satisfaction_relationship_daily_cap": 2,
            }
        )
        customers = self.env["res.partner"].create(
            [{"name": f"Loyal {i}", "email": f"loyal{i}@example.com"} for i in range(3)]
        )
        for customer in customers:
            self._order(customer, company=self.company_b)
        dormant = self.env["res.partner"].create({"name": "Dormant", "email": "d@example.com"})
        self._order(dormant, days_ago=400, company=self.company_b)
        self._order(self.customer)  # company A does not ask
        requests = self.env["satisfaction.request"]
        ours = [("partner_id", "in", (customers | dormant).ids)]
        first = requests._cron_relationship_nps()
        self.assertEqual(len(first), 2, "daily cap")
        self.assertEqual(first.company_id, self.company_b)
        self.assertRecordValues(
            first[:1], [{"trigger": "relationship", "kind": "nps", "state": "pending"}]
        )
        self.assertFalse(requests._cron_relationship_nps(), "same day: cap reached, nothing more")
        # The next day, the rest is asked; never the dormant customer, never twice.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE satisfaction_request SET create_date = create_date - interval '1 day' "
            "WHERE id IN %s",
            (tuple(first.ids),),
        )
        self.env.invalidate_all()
        second = requests._cron_relationship_nps().filtered_domain(ours)
        self.assertEqual(len(second), 1)
        self.assertEqual((first | second).partner_id, customers)
        self.env.cr.execute(
            "UPDATE satisfaction_request SET create_date = create_date - interval '1 day' "
            "WHERE id IN %s",
            (tuple(second.ids),),
        )
        self.env.invalidate_all()
        self.assertFalse(requests._cron_relationship_nps().filtered_domain(ours))

    def test_relationship_nps_off_asks_nobody(self):
        self.company.satisfaction_relationship_trigger = False
        self._order(self.customer)
        created = self.env["satisfaction.request"]._cron_relationship_nps()
        self.assertFalse(created.filtered(lambda r: r.partner_id == self.customer))
