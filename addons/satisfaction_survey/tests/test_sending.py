from datetime import timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests.cron_common import tiny_cron_limits
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestSending(common.SatisfactionCase):
    def _mails(self, request):
        return self.env["mail.mail"].search(
            [("model", "=", "satisfaction.request"), ("res_id", "=", request.id)]
        )

    def _logs(self, partner):
        return self.env["care.contact.log"].search(
            [("partner_id", "=", partner.id), ("kind", "=", "survey")]
        )

    def _cron(self, **kwargs):
        self.env["satisfaction.request"]._cron_send_due(**kwargs)

    def test_cron_sends_due_requests_once(self):
        due = self.make_request(state="pending")
        later = self.make_request(
            partner=self.customer_2,
            state="pending",
            scheduled_date=fields.Datetime.now() + timedelta(days=3),
        )
        self._cron()
        self._cron()
        self.assertEqual(due.state, "sent")
        self.assertTrue(due.expiry_date > fields.Datetime.now() + timedelta(days=29))
        self.assertEqual(later.state, "pending", "not due yet")
        mail = self._mails(due)
        self.assertEqual(len(mail), 1, "run twice, sent once")
        self.assertIn(f"/satisfaction/{due.access_token}/10", mail.body_html)
        self.assertIn(f"/satisfaction/{due.access_token}/0", mail.body_html)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertRecordValues(self._logs(self.customer), [{"state": "sent"}])
        self.assertFalse(self._mails(later))

    def test_email_speaks_the_customer_language(self):
        self.customer.lang = "fr_FR"
        request = self.make_request(state="pending", survey=self.csat)
        self._cron()
        mail = self._mails(request)
        self.assertIn("Bonjour", mail.body_html)
        self.assertIn("Êtes-vous satisfait", mail.subject)
        self.assertIn(f"/satisfaction/{request.access_token}/5", mail.body_html)
        self.assertNotIn(f"/satisfaction/{request.access_token}/6", mail.body_html)

    def test_cron_works_in_batches(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Batch {i}", "email": f"batch{i}@example.com"} for i in range(5)]
        )
        requests = self.env["satisfaction.request"]
        for partner in partners:
            requests |= self.make_request(partner=partner, state="pending")
        with tiny_cron_limits():  # one batch per call: the call's time is up after it
            self._cron(batch_size=2)
            self.assertEqual(requests.mapped("state").count("sent"), 2)
            self._cron(batch_size=2)
            self._cron(batch_size=2)
            self._cron(batch_size=2)
        self.assertEqual(set(requests.mapped("state")), {"sent"})
        self.assertEqual(
            len(
                self.env["mail.mail"].search(
                    [("res_id", "in", requests.ids), ("model", "=", requests._name)]
                )
            ),
            5,
        )

    def test_skips_record_why(self):
        opted_out = self.env["res.partner"].create(
            {"name": "Opted Out", "email": "out@example.com", "care_opt_out": True}
        )
        blacklisted = self.env["res.partner"].create(
            {"name": "Black Listed", "email": "black@example.com"}
        )
        self.env["mail.blacklist"].create({"email": "black@example.com"})
        no_email = self.env["res.partner"].create({"name": "No Email"})
        cases = {
            opted_out: "opt_out",
            blacklisted: "blacklisted",
            no_email: "no_email",
        }
        requests = {
            partner: self.make_request(partner=partner, state="pending") for partner in cases
        }
        self._cron()
        for partner, reason in cases.items():
            with self.subTest(reason=reason):
                self.assertRecordValues(
                    requests[partner], [{"state": "skipped", "skip_reason": reason}]
                )
                self.assertFalse(self._mails(requests[partner]))
                self.assertRecordValues(
                    self._logs(partner), [{"state": "skipped", "skip_reason": reason}]
                )

    def test_contact_cap_throttles_surveys(self):
        self.company.write({"care_contact_max": 1, "satisfaction_window_days": 0})
        self.env["care.contact.log"]._log_contact(self.customer, "gesture")
        request = self.make_request(state="pending")
        self._cron()
        self.assertRecordValues(request, [{"state": "skipped", "skip_reason": "throttled"}])
        self.assertFalse(self._mails(request))

    def test_one_survey_per_customer_per_window(self):
        self.make_request(survey=self.csat, sent_date=fields.Datetime.now() - timedelta(days=10))
        recent = self.make_request(state="pending")
        self._cron()
        self.assertRecordValues(recent, [{"state": "skipped", "skip_reason": "survey_window"}])
        self.assertRecordValues(
            self._logs(self.customer), [{"state": "skipped", "skip_reason": "survey_window"}]
        )
        # Outside the window, the customer is asked again.
        self.company.satisfaction_window_days = 5
        again = self.make_request(state="pending", survey=self.csat)
        self._cron()
        self.assertEqual(again.state, "sent")

    def test_two_triggers_for_one_customer_in_one_batch_send_one_survey(self):
        first = self.make_request(state="pending", survey=self.csat)
        second = self.make_request(state="pending", survey=self.nps)
        self._cron()
        self.assertEqual(first.state, "sent")
        self.assertRecordValues(second, [{"state": "skipped", "skip_reason": "survey_window"}])

    def test_expired_links_are_closed_by_the_cron(self):
        stale = self.make_request(expiry_date=fields.Datetime.now() - timedelta(hours=1))
        fresh = self.make_request(partner=self.customer_2)
        self._cron()
        self.assertEqual(stale.state, "expired")
        self.assertEqual(fresh.state, "sent")

    def test_manager_sends_now_and_cancels(self):
        request = self.make_request(
            state="pending", scheduled_date=fields.Datetime.now() + timedelta(days=9)
        )
        request.with_user(self.manager).action_send_now()
        self.assertEqual(request.state, "sent")
        self.assertEqual(len(self._mails(request)), 1)
        request.with_user(self.manager).action_skip()
        self.assertRecordValues(request, [{"state": "skipped", "skip_reason": "manual"}])

    def test_one_reminder_at_most_after_n_days(self):
        self.company.satisfaction_reminder_days = 3
        self.customer.lang = "en_US"
        old = self.make_request(sent_date=fields.Datetime.now() - timedelta(days=4))
        recent = self.make_request(
            partner=self.customer_2, sent_date=fields.Datetime.now() - timedelta(days=1)
        )
        answered = self.make_request(
            partner=self.customer_2,
            survey=self.csat,
            sent_date=fields.Datetime.now() - timedelta(days=5),
        )
        answered._record_answer(5)
        self._cron()
        self._cron()
        reminder = self.env.ref("satisfaction_survey.mail_template_satisfaction_reminder")
        mails = self._mails(old)
        self.assertEqual(len(mails), 1, "one reminder, even when the cron runs twice")
        self.assertIn("Reminder", mails.subject)
        self.assertIn(f"/satisfaction/{old.access_token}/7", mails.body_html)
        self.assertTrue(old.reminder_date)
        self.assertFalse(self._mails(recent) | self._mails(answered))
        self.assertFalse(any((recent | answered).mapped("reminder_date")))
        self.assertTrue(reminder)

    def test_reminder_respects_the_contact_policy(self):
        self.company.write({"satisfaction_reminder_days": 2, "care_contact_max": 1})
        request = self.make_request(sent_date=fields.Datetime.now() - timedelta(days=3))
        self.env["care.contact.log"]._log_contact(self.customer, "survey")
        self._cron()
        self.assertFalse(self._mails(request))
        self.assertTrue(request.reminder_date, "refused once, never retried")
        self.assertEqual(self._logs(self.customer)[0].skip_reason, "throttled")
        self.company.care_contact_max = 10
        self._cron()
        self.assertFalse(self._mails(request))

    def test_no_reminder_when_disabled(self):
        self.company.satisfaction_reminder_days = 0
        request = self.make_request(sent_date=fields.Datetime.now() - timedelta(days=20))
        self._cron()
        self.assertFalse(self._mails(request))
        self.assertFalse(request.reminder_date)
