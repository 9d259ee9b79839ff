from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.addons.loyalty_gesture.tests.common import load_migration
from odoo.addons.mail.tests.common import MockEmail
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from ..models import mailing_mailing
from ..models.winback_campaign_member_offer import SAMPLE_CODE
from . import common


class MailingCase(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign = cls._sleeper_campaign(
            "Sleeper {:02d}", 6, name="Come back by email", reminder_days=3
        )

    def _logs(self, state="sent"):
        return self.env["care.contact.log"].search(
            [
                ("kind", "=", "winback"),
                ("state", "=", state),
                ("res_model", "=", "winback.campaign.member"),
                ("res_id", "in", self.campaign.member_ids.ids),
            ]
        )


@tagged("post_install", "-at_install")
class TestStepMailings(MockEmail, MailingCase):
    def test_d0_goes_through_the_mailing_queue(self):
        self.campaign.with_user(self.manager).action_start()
        for _call in range(5):
            self.env["winback.campaign"]._cron_process_campaigns()
        members = self.campaign.member_ids
        self.assertEqual(len(members), 6)
        mailing = self.campaign.sudo().mailing_ids
        self.assertEqual(len(mailing), 1, "one mailing for the D0 step")
        self.assertRecordValues(
            mailing,
            [{"winback_step": "d0", "state": "in_queue", "mailing_model_real": members._name}],
        )
        self.assertEqual(members.d0_mailing_id, mailing, "every member queued on it")
        self.assertTrue(all(members.gesture_id.mapped("coupon_code")), "offers exist first")
        self.assertFalse(self._traces(self.campaign), "nothing sent before the queue runs")
        self.assertFalse(self._logs(), "the contact log waits for what was really sent")
        # Email Marketing's queue and the mail queue send it; the job records it
        with self.mock_mail_gateway():
            self._send_queued_mailings()
        traces = self._traces(self.campaign)
        self.assertEqual(sorted(traces.mapped("res_id")), sorted(members.ids))
        self.assertEqual(set(traces.mapped("trace_status")), {"sent"})
        by_email = {mail["email_to"][0]: mail for mail in self._mails}
        self.assertEqual(len(set(members.partner_id.mapped("email_formatted")) & set(by_email)), 6)
        member = members[0]
        sent = by_email[member.partner_id.email_formatted]
        self.assertIn(member.gesture_id.coupon_code, sent["body"], "their own coupon")
        self.assertIn(member.partner_id.name, sent["body"])
        self.assertIn("unsubscribe", sent["body"], "an unsubscribe link in every email")
        self.env["winback.campaign"]._cron_process_campaigns()
        self.assertEqual(len(self._logs()), 6, "one contact logged per email sent")
        self.assertTrue(all(traces.mapped("winback_synced")))
        for trace in traces:
            self.assertEqual(members.browse(trace.res_id).contact_date, trace.sent_datetime)
        # nothing twice when the job and the queues run again
        self._run_campaign_job()
        self.assertEqual(self._traces(self.campaign), traces)
        self.assertEqual(len(self._logs()), 6)

    def test_a_step_goes_out_a_slice_per_pass_of_the_queue(self):
        """Email Marketing renders every remaining recipient in one call of its cron (a
        big campaign's D0 would outlast a cron worker's limits): a step mailing gives it
        a slice, then waits in the queue for the next pass."""
        self.campaign.with_user(self.manager).action_start()
        for _call in range(5):
            self.env["winback.campaign"]._cron_process_campaigns()
        mailing = self.campaign.sudo().mailing_ids
        self.assertEqual(len(self.campaign.member_ids.filtered("d0_mailing_id")), 6)
        queue = self.env["mailing.mailing"].sudo()
        with patch.object(mailing_mailing, "SEND_SLICE", 4), self.mock_mail_gateway():
            queue._process_mass_mailing_queue()
            self.assertEqual(len(self._traces(self.campaign)), 4, "one slice")
            self.assertEqual(mailing.state, "in_queue", "back in the queue for the rest")
            queue._process_mass_mailing_queue()
            self.assertEqual(len(self._traces(self.campaign)), 6)
            self.assertEqual(mailing.state, "done", "nothing left: out of the queue")
            queue._process_mass_mailing_queue()
        traces = self._traces(self.campaign)
        self.assertEqual(sorted(traces.mapped("res_id")), sorted(self.campaign.member_ids.ids))
        self.assertEqual(len(self._mails), 6, "each member once")

    def test_policy_applies_when_the_step_goes(self):
        """A customer blacklisted or bounced between the offer and the email gets no
        email; the member leaves the campaign with the reason."""
        self.campaign.with_user(self.manager).action_start()
        for _call in range(5):
            self.env["winback.campaign"]._cron_process_campaigns()
        blocked, bounced = self.campaign.member_ids[:2]
        self.env["mail.blacklist"].sudo()._add(blocked.partner_id.email)
        bounced.partner_id.sudo().message_bounce = 1
        self._run_campaign_job()
        traces = self._traces(self.campaign)
        self.assertNotIn(blocked.id, traces.mapped("res_id"))
        self.assertNotIn(bounced.id, traces.mapped("res_id"))
        self.assertEqual(len(traces), 4)
        self.assertRecordValues(
            blocked | bounced,
            [
                {"state": "excluded", "exclude_reason": "contact_refused", "contacted": False},
                {"state": "excluded", "exclude_reason": "contact_refused", "contacted": False},
            ],
        )
        skipped = self._logs("skipped")
        self.assertEqual(
            sorted(skipped.mapped("skip_reason")), ["blacklisted", "bounced"], "logged as such"
        )

    def test_a_server_error_is_no_answer_about_the_customer(self):
        """A mail server that cannot be reached leaves the member waiting for Email
        Marketing's retry; an invalid address takes them out of the campaign."""
        self.campaign.with_user(self.manager).action_start()
        for _call in range(5):
            self.env["winback.campaign"]._cron_process_campaigns()
        self._send_queued_mailings()
        traces = self._traces(self.campaign).sorted("res_id")
        outage, invalid = traces[:2]
        outage.write({"trace_status": "error", "failure_type": "mail_smtp"})
        invalid.write({"trace_status": "error", "failure_type": "mail_email_invalid"})
        self.env["winback.campaign"]._cron_process_campaigns()
        members = self.env["winback.campaign.member"]
        waiting, gone = members.browse(outage.res_id), members.browse(invalid.res_id)
        self.assertRecordValues(waiting, [{"state": "contacted", "contacted": True}])
        self.assertFalse(outage.winback_synced, "left for the retry")
        self.assertRecordValues(
            gone,
            [{"state": "excluded", "exclude_reason": "undeliverable", "contacted": False}],
        )
        self.assertEqual(len(self._logs()), 4, "only the emails that went out are logged")
        self.assertNotIn(waiting.id, self._logs().mapped("res_id"))
        # Email Marketing's retry sends it: then it is logged
        outage.set_sent()
        self.env["winback.campaign"]._cron_process_campaigns()
        self.assertIn(waiting.id, self._logs().mapped("res_id"))

    def test_stop_takes_the_emails_out_of_the_queue(self):
        self.campaign.with_user(self.manager).action_start()
        for _call in range(5):
            self.env["winback.campaign"]._cron_process_campaigns()
        mailing = self.campaign.sudo().mailing_ids
        self.assertEqual(mailing.state, "in_queue")
        self.campaign.with_user(self.manager).action_stop()
        self.assertEqual(mailing.state, "draft")
        self._run_campaign_job()
        self.assertFalse(self._traces(self.campaign), "nothing sent after Stop")
        self.assertEqual(mailing.state, "draft", "and the job does not queue it again")

    def test_the_step_email_is_edited_not_retargeted(self):
        action = self.campaign.with_user(self.manager).action_open_step_email()
        mailing = self.env["mailing.mailing"].with_user(self.manager).browse(action["res_id"])
        self.assertEqual(mailing.winback_campaign_id, self.campaign)
        mailing.subject = "We miss you"
        self.assertEqual(mailing.subject, "We miss you", "the content is the manager's")
        for values in (
            {"mailing_domain": "[]"},
            {"mailing_model_id": self.env["ir.model"]._get_id("res.partner")},
            {"state": "in_queue"},
            {"schedule_date": fields.Datetime.now()},
        ):
            with self.assertRaises(UserError, msg=f"{values} is the campaign's"):
                mailing.write(values)
        for button in ("action_launch", "action_put_in_queue"):
            with self.assertRaises(UserError):
                getattr(mailing, button)()
        with self.assertRaises(AccessError):
            self.env["mailing.mailing"].with_user(self.agent).browse(mailing.id).subject = "x"
        # the same button twice opens the same email
        again = self.campaign.with_user(self.manager).action_open_step_email()
        self.assertEqual(again["res_id"], mailing.id)

    def test_test_send_renders_a_sample_member(self):
        self._start_campaign(self.campaign)
        codes = self.campaign.member_ids.gesture_id.mapped("coupon_code")
        self.assertTrue(all(codes))
        mailing = self.campaign.sudo().mailing_ids.filtered(lambda m: m.winback_step == "d0")
        wizard = (
            self.env["mailing.mailing.test"]
            .with_user(self.manager)
            .create({"email_to": "boss@example.com", "mass_mailing_id": mailing.id})
        )
        partners = self.env["res.partner"].search_count([])
        with self.mock_mail_gateway():
            wizard.send_mail_test()
        self.assertEqual(len(self._mails), 1)
        body = self._mails[0]["body"]
        self.assertIn(SAMPLE_CODE, body)
        self.assertIn("Sample Customer", body)
        for code in codes:
            self.assertNotIn(code, body, "never a real customer's live coupon")
        for name in self.campaign.member_ids.partner_id.mapped("name"):
            self.assertNotIn(name, body)
        self.assertEqual(self.env["res.partner"].search_count([]), partners, "nothing left")
        self.assertIn("boss@example.com", mailing.message_ids[:1].body, "the test is logged")


@tagged("post_install", "-at_install")
class TestUnsubscribe(HttpCase, MailingCase):
    def test_unsubscribe_route_stops_the_reminder_and_attentions(self):
        self._start_campaign(self.campaign)
        d0 = self.campaign.sudo().mailing_ids
        quitter = self.campaign.member_ids[0]
        email = quitter.partner_id.email_normalized
        self.authenticate(None, None)  # the customer's mail client: a public visitor
        response = self.url_open(
            f"/mailing/{d0.id}/unsubscribe_oneclick",
            data={
                "document_id": quitter.id,
                "email": email,
                "hash_token": d0._generate_mailing_recipient_token(quitter.id, email),
            },
        )
        self.assertEqual(response.status_code, 200, response.text[:3000])
        self.assertTrue(quitter.partner_id.is_blacklisted, "Odoo's route blacklists the address")
        # D+4: the reminder goes to the others only
        self.campaign.member_ids.sudo().write(
            {"contact_date": fields.Datetime.now() - timedelta(days=4)}
        )
        self._run_campaign_job()
        reminders = self._traces(self.campaign, "reminder")
        self.assertEqual(len(reminders), 5)
        self.assertNotIn(quitter.id, reminders.mapped("res_id"))
        self.assertFalse(quitter.reminder_sent)
        # and no automatic attention either: the shared contact policy refuses them
        self.assertEqual(
            self.env["care.contact.log"]._contact_refusal(quitter.partner_id, self.company),
            "blacklisted",
        )


@tagged("post_install", "-at_install")
class TestStepEmailsMigration(MailingCase):
    def test_templates_of_the_previous_release_take_the_placeholders(self):
        """18.0.1.3.0 post-step_emails: the default emails as 18.0.1.2.0 stored them (their
        offer read through ``object.gesture_id``, an expression only Mail Template Editors
        may keep) take the new wording in every language; a rewritten one is left alone."""
        migration = load_migration("winback", "18.0.1.3.0", "post-step_emails")
        offer = self.env.ref("winback.mail_template_winback_offer")
        reminder = self.env.ref("winback.mail_template_winback_reminder")
        old = '<p>Dear <t t-out="object.partner_id.name"/>: <t t-out="object.gesture_id.coupon_code"/></p>'
        offer.with_context(lang="en_US").body_html = old
        offer.with_context(lang="fr_FR").body_html = old.replace("Dear", "Cher")
        reminder.with_context(lang="en_US").body_html = "<p>Our own reminder</p>"
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.2.0")
        migration.migrate(self.env.cr, "18.0.1.2.0")  # idempotent
        self.env.invalidate_all()
        english = offer.with_context(lang="en_US").body_html
        french = offer.with_context(lang="fr_FR").body_html
        self.assertIn("object.offer_code_line", english)
        self.assertIn("Dear", english)
        self.assertIn("object.offer_code_line", french)
        self.assertIn("Bonjour", french, "the French wording comes from the translations")
        self.assertNotIn("gesture_id", english + french)
        mailing = self.campaign._step_mailing("d0")
        self.assertFalse(mailing._has_unsafe_expression(), "a Care manager may edit its email")
        self.assertEqual(reminder.with_context(lang="en_US").body_html, "<p>Our own reminder</p>")
