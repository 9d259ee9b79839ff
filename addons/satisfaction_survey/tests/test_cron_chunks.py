"""The survey crons in chunks: with the worker limits lowered, each call does one batch
and reports what is left; the calls end as one big run would, nothing twice."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.addons.loyalty_gesture.tests.cron_common import call_until_done, tiny_cron_limits
from odoo.tests import tagged

from . import common

SEND = "satisfaction_survey.ir_cron_satisfaction_send"
RELATIONSHIP = "satisfaction_survey.ir_cron_satisfaction_relationship"


@tagged("post_install", "-at_install")
class TestSurveyCronsInChunks(common.SatisfactionCase):
    def customers(self, count, prefix):
        return self.env["res.partner"].create(
            [
                {"name": f"{prefix} {i}", "email": f"{prefix.lower()}{i}@example.com"}
                for i in range(count)
            ]
        )

    def mails(self, requests):
        return self.env["mail.mail"].search(
            [("model", "=", "satisfaction.request"), ("res_id", "in", requests.ids)]
        )

    def test_sends_expiries_and_reminders_end_as_one_run(self):
        self.company.satisfaction_reminder_days = 3
        now = fields.Datetime.now()
        Request = self.env["satisfaction.request"]
        due = Request.browse()
        for partner in self.customers(5, "Due"):
            due |= self.make_request(partner=partner, state="pending")
        stale = Request.browse()
        for partner in self.customers(3, "Stale"):
            stale |= self.make_request(
                partner=partner,
                sent_date=now - timedelta(days=40),
                expiry_date=now - timedelta(days=10),
            )
        unanswered = Request.browse()
        for partner in self.customers(3, "Unanswered"):
            unanswered |= self.make_request(partner=partner, sent_date=now - timedelta(days=4))
        with tiny_cron_limits():
            calls = call_until_done(self, SEND, "_cron_send_due", batch_size=2)
        self.assertGreaterEqual(len(calls), 3, calls)
        self.assertEqual(set(due.mapped("state")), {"sent"})
        self.assertEqual(set(stale.mapped("state")), {"expired"})
        self.assertTrue(all(unanswered.mapped("reminder_date")))
        for request in due | unanswered:
            self.assertEqual(len(self.mails(request)), 1, "one email each, never two")
        self.assertFalse(self.mails(stale))
        self.assertEqual(Request._cron_send_due(), 0, "a rerun finds nothing")

    def test_relationship_nps_calls_end_as_one_run(self):
        with freeze_time(self.env.cr.now(), tick=True):
            self.company_b.write(
                {
                    "satisfaction_relationship_trigger": True,
                    "satisfaction_relationship_months": 6,
                    "satisfaction_relationship_daily_cap": 100,
                }
            )
            customers = self.customers(7, "Loyal")
            product = self.env["product.product"].create({"name": "Chair", "list_price": 50})
            for customer in customers:
                order = (
                    self.env["sale.order"]
                    .with_company(self.company_b)
                    .create(
                        {
                            "partner_id": customer.id,
                            "company_id": self.company_b.id,
                            "order_line": [(0, 0, {"product_id": product.id})],
                        }
                    )
                )
                order.action_confirm()
            with tiny_cron_limits():
                calls = call_until_done(self, RELATIONSHIP, "_cron_relationship_nps", batch_size=2)
            self.assertGreaterEqual(len(calls), 4, calls)
            requests = self.env["satisfaction.request"].search(
                [("partner_id", "in", customers.ids), ("trigger", "=", "relationship")]
            )
            self.assertEqual(sorted(requests.partner_id.ids), sorted(customers.ids))
            self.assertEqual(len(requests), 7, "each customer asked once")
            self.assertFalse(
                self.env["satisfaction.request"]
                ._cron_relationship_nps()
                .filtered(lambda r: r.partner_id in customers)
            )
