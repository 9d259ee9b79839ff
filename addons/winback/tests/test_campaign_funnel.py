from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.addons.loyalty_gesture.tests import screens
from odoo.modules import module
from odoo.tests import HttpCase, tagged, warmup
from odoo.tools import float_round

from . import common, smtp_sink

MEMBER = "winback.campaign.member"
LINK = "https://www.example.com/coffee"


class FunnelCase(common.WinbackCase):
    """A started campaign whose contacted members get a real Email Marketing mailing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a holdout at 30 % of 40: never empty
        cls.campaign = cls._sleeper_campaign(
            "Funnel Sleeper {:02d}", 40, name="Funnel", holdout_percent=30, window_days=90
        )
        cls.campaign.action_start()
        campaigns = cls.env["winback.campaign"]
        for _call in range(100):
            campaigns._cron_process_campaigns()
            if not campaigns._job_remaining():
                break
        cls.contacted = cls.campaign.member_ids.filtered(lambda m: m.state == "contacted")
        cls.holdout = cls.campaign.member_ids.filtered("is_holdout")
        # mailings wait for the mail queue (as over 100 recipients), which sends them to
        # a local SMTP server
        cls.env["ir.config_parameter"].set_param("mail.mail.force.send.limit", 0)
        cls.smtp = smtp_sink.SmtpSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.env["ir.mail_server"].search([]).action_archive()
        cls.env["ir.mail_server"].create(
            {
                "name": "Funnel test SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": cls.smtp.port,
                "smtp_encryption": "none",
            }
        )

    def _send_mailing(self):
        """A mailing on the contacted members, sent as Odoo sends one: the composer
        creates the emails and their traces, then the mail queue sends them."""
        self.assertGreaterEqual(len(self.contacted), 5, "enough contacted members")
        self.assertTrue(self.holdout, "and a holdout group")
        mailing = self.env["mailing.mailing"].create(
            {
                "name": "Funnel D0",
                "subject": "We miss you",
                "mailing_type": "mail",
                "mailing_model_id": self.env["ir.model"]._get_id(MEMBER),
                "mailing_domain": repr(
                    [("campaign_id", "=", self.campaign.id), ("state", "=", "contacted")]
                ),
                "email_from": "roastery@example.com",
                "body_html": f'<p>Your coupon is waiting: <a href="{LINK}">come back</a></p>',
            }
        )
        mailing.action_send_mail()
        mails = self.env["mail.mail"].search([("mailing_id", "=", mailing.id)])
        self.assertEqual(len(mails), len(self.contacted), "one email per contacted member")
        traces = self.env["mailing.trace"].search([("mass_mailing_id", "=", mailing.id)])
        self.assertEqual(set(traces.mapped("model")), {MEMBER})
        self.assertEqual(set(traces.mapped("res_id")), set(self.contacted.ids))
        self.assertEqual(set(traces.mapped("trace_status")), {"outgoing"})
        self.assertEqual(set(self.contacted.mapped("mailing_last_event")), {"queued"})
        # the link goes through Odoo's link tracker
        tracker = self.env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)])
        self.assertEqual(tracker.url, LINK)
        self.assertIn(f"/r/{tracker.code}", mails[0].body_html)
        self.smtp.messages.clear()
        mails.send()
        self.env.invalidate_all()
        if not module.current_test:  # Odoo's own test runner does not reach SMTP servers
            self.assertEqual(len(self.smtp.messages), len(mails), "really sent")
        self.assertEqual(set(traces.mapped("trace_status")), {"sent"})
        self.assertTrue(all(traces.mapped("sent_datetime")))
        return mailing, traces.sorted(lambda t: self.contacted.ids.index(t.res_id)), tracker

    def _sent_email(self, member):
        """The email ``member`` received from the SMTP server, if it reached it."""
        email = member.partner_id.email_normalized
        received = [m for m in self.smtp.messages if email in m["To"]]
        return received[-1] if received else None

    def _member_figures(self, members):
        return members.read(
            [
                "mailing_sent_count",
                "mailing_opened",
                "mailing_clicked",
                "mailing_replied",
                "mailing_bounced",
                "mailing_last_event",
            ],
            load=False,
        )


@tagged("post_install", "-at_install")
class TestCampaignFunnel(FunnelCase):
    def test_gateway_reply_and_bounce(self):
        mailing, traces, _tracker = self._send_mailing()
        replier, bouncer, opener, clicker = self.contacted[:4]
        # a reply through the mail gateway: the customer answers the email
        reply_to = traces[0].message_id
        self.env["mail.thread"].message_process(
            False,
            f"From: {replier.partner_id.email}\r\n"
            f"To: roastery@example.com\r\n"
            f"Subject: Re: We miss you\r\n"
            f"Message-ID: <reply-{replier.id}@example.com>\r\n"
            f"In-Reply-To: {reply_to}\r\n"
            f"References: {reply_to}\r\n"
            "Content-Type: text/plain\r\n\r\nI will come back soon.\r\n",
        )
        # a bounce, as the gateway hands it over
        bounced_message = self.env["mail.message"].search(
            [("message_id", "=", traces[1].message_id)]
        )
        self.env["mail.thread"]._routing_handle_bounce(
            False,
            {
                "bounced_email": bouncer.partner_id.email_normalized,
                "bounced_partner": bouncer.partner_id,
                "bounced_msg_ids": [traces[1].message_id],
                "bounced_message": bounced_message,
                "body": "550 mailbox unavailable",
                "email_from": "MAILER-DAEMON@example.com",
                "to": "bounce@example.com",
                "message_id": f"<bounce-{bouncer.id}@example.com>",
            },
        )
        # an open and a click recorded by Email Marketing's own methods
        traces[2].set_opened()
        traces[3].set_opened()
        traces[3].set_clicked()
        self.env.invalidate_all()
        self.assertEqual(traces[0].trace_status, "reply")
        self.assertEqual(replier.state, "responded", "the reply marks the member responded")
        self.assertEqual(traces[1].trace_status, "bounce")
        self.assertEqual(
            self._member_figures(replier | bouncer | opener | clicker | self.contacted[4]),
            [
                {
                    "id": member.id,
                    "mailing_sent_count": 1,
                    "mailing_opened": member in (replier | opener | clicker),
                    "mailing_clicked": member == clicker,
                    "mailing_replied": member == replier,
                    "mailing_bounced": member == bouncer,
                    "mailing_last_event": event,
                }
                for member, event in zip(
                    replier | bouncer | opener | clicker | self.contacted[4],
                    ("replied", "bounced", "opened", "clicked", "sent"),
                    strict=True,
                )
            ],
        )
        self.assertTrue(clicker.mailing_last_event_date)
        self.assertFalse(self.holdout[0].mailing_last_event, "the holdout gets no email")
        # the members' filters
        Member = self.env[MEMBER].with_user(self.agent)
        in_campaign = [("campaign_id", "=", self.campaign.id)]
        self.assertEqual(
            Member.search(in_campaign + [("mailing_opened", "=", True)]),
            replier | opener | clicker,
        )
        self.assertEqual(Member.search(in_campaign + [("mailing_clicked", "=", True)]), clicker)
        self.assertEqual(Member.search(in_campaign + [("mailing_bounced", "=", True)]), bouncer)
        self.assertEqual(Member.search(in_campaign + [("mailing_replied", "=", True)]), replier)
        self.assertEqual(
            Member.search(in_campaign + [("mailing_opened", "=", False)]),
            self.campaign.member_ids - (replier | opener | clicker),
        )
        # the step's figures (Email Marketing's) and the campaign's
        sent = len(self.contacted)
        self.assertRecordValues(
            mailing,
            [
                {
                    "sent": sent,
                    "delivered": sent - 1,
                    "opened": 3,
                    "clicked": 1,
                    "replied": 1,
                    "bounced": 1,
                    "winback_unsubscribed_count": 0,
                }
            ],
        )
        # the clicker orders: reactivated, at the end of the funnel
        self._order_on(clicker.partner_id, fields.Datetime.now(), 80)
        self.campaign._update_results()
        self.campaign.invalidate_recordset()
        self.assertTrue(clicker.reactivated)
        self.assertRecordValues(
            self.campaign.with_user(self.agent),
            [
                {
                    "mail_sent_count": sent,
                    "mail_delivered_count": sent - 1,
                    "mail_opened_count": 3,
                    "mail_clicked_count": 1,
                    "mail_replied_count": 1,
                    "mail_bounced_count": 1,
                    "mail_unsubscribed_count": 0,
                    "funnel_contacted_count": sent,
                    "funnel_opened_count": 3,
                    "funnel_clicked_count": 1,
                    "funnel_ordered_count": 1,
                    "funnel_opened_rate": 300.0 / sent,
                    "funnel_clicked_rate": 100.0 / sent,
                    "funnel_ordered_rate": 100.0 / sent,
                    "holdout_rate": 0.0,
                }
            ],
        )

    def test_default_recipients(self):
        """A new mailing on members proposes neither the holdout group nor the excluded."""
        mailing = self.env["mailing.mailing"].new(
            {"mailing_type": "mail", "mailing_model_id": self.env["ir.model"]._get_id(MEMBER)}
        )
        self.assertEqual(
            self.env[MEMBER].search(
                [("campaign_id", "=", self.campaign.id), *mailing._parse_mailing_domain()]
            ),
            self.campaign.member_ids.filtered(lambda m: m.state not in ("holdout", "excluded")),
        )

    @warmup
    def test_figures_in_one_query(self):
        """The members list reads every member's figures in one query."""
        _mailing, traces, _tracker = self._send_mailing()
        traces[:2].set_opened()
        members = self.env[MEMBER].search([("campaign_id", "=", self.campaign.id)])
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            figures = members.mapped("mailing_last_event")
        self.assertEqual(figures.count("opened"), 2)
        with self.assertQueryCount(1):
            self.assertEqual(self.campaign.funnel_opened_count, 2)


@tagged("post_install", "-at_install")
class TestCampaignFunnelRoutes(screens.ScreensMixin, HttpCase, FunnelCase):
    """Opens, clicks and unsubscriptions through Odoo's public routes, as a customer's
    mail client reaches them."""

    def test_open_click_and_unsubscribe_routes(self):
        mailing, traces, tracker = self._send_mailing()
        opener, clicker, leaver = self.contacted[:3]
        # the tracking pixel of the opener's email
        mail_id = traces[0].mail_mail_id_int
        token = self.env["mail.mail"]._generate_mail_recipient_token(mail_id)
        pixel_path = f"/mail/track/{mail_id}/{token}/blank.gif"
        click_path = f"/r/{tracker.code}/m/{traces[1].id}"
        email = leaver.partner_id.email_normalized
        unsubscribe_values = {
            "document_id": str(leaver.id),
            "email": email,
            "hash_token": mailing._generate_mailing_recipient_token(leaver.id, email),
        }
        if self.smtp.messages:  # the very links of the emails sent
            self.assertIn(pixel_path, self._sent_email(opener).get_body(("html",)).get_content())
            self.assertIn(click_path, self._sent_email(clicker).get_body(("html",)).get_content())
            header = urlsplit(self._sent_email(leaver)["List-Unsubscribe"].strip("<>"))
            self.assertEqual(header.path, f"/mailing/{mailing.id}/unsubscribe_oneclick")
            self.assertEqual(
                {key: value[0] for key, value in parse_qs(header.query).items()},
                unsubscribe_values,
            )
        pixel = self.url_open(pixel_path)
        self.assertEqual(pixel.status_code, 200)
        self.assertEqual(pixel.headers["Content-Type"], "image/gif")
        # the clicker follows the tracked link of their email
        click = self.url_open(click_path, allow_redirects=False)
        self.assertEqual(click.status_code, 301)
        self.assertTrue(click.headers["Location"].startswith(f"{LINK}?utm_source="))
        # the leaver uses the one-click unsubscribe of their mail client (List-Unsubscribe)
        unsubscribe = self.url_open(
            f"/mailing/{mailing.id}/unsubscribe_oneclick", data=unsubscribe_values
        )
        self.assertEqual(unsubscribe.status_code, 200)
        other = self.contacted[3]
        self.env.invalidate_all()
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", email)]))
        self.assertEqual(traces[0].trace_status, "open")
        self.assertTrue(traces[1].links_click_datetime)
        self.assertEqual(
            self._member_figures(opener | clicker | leaver | other),
            [
                {
                    "id": member.id,
                    "mailing_sent_count": 1,
                    "mailing_opened": member in (opener | clicker),
                    "mailing_clicked": member == clicker,
                    "mailing_replied": False,
                    "mailing_bounced": False,
                    "mailing_last_event": event,
                }
                for member, event in zip(
                    opener | clicker | leaver | other,
                    ("opened", "clicked", "unsubscribed", "sent"),
                    strict=True,
                )
            ],
        )
        sent = len(self.contacted)
        self.assertRecordValues(
            mailing,
            [
                {
                    "sent": sent,
                    "delivered": sent,
                    "opened": 2,
                    "clicked": 1,
                    "winback_unsubscribed_count": 1,
                }
            ],
        )
        self.assertRecordValues(
            self.campaign,
            [
                {
                    "mail_sent_count": sent,
                    "mail_opened_count": 2,
                    "mail_clicked_count": 1,
                    "mail_unsubscribed_count": 1,
                    "funnel_contacted_count": sent,
                    "funnel_opened_count": 2,
                    "funnel_clicked_count": 1,
                    "funnel_ordered_count": 0,
                }
            ],
        )
        # a second step: an unsubscription after it counts for it, not for the first
        reminder = mailing.copy({"name": "Funnel reminder"})
        reminder.action_send_mail()
        self.env["mail.mail"].search([("mailing_id", "=", reminder.id)]).send()
        late = self.contacted[4]
        late_email = late.partner_id.email_normalized
        self.url_open(
            f"/mailing/{reminder.id}/unsubscribe_oneclick",
            data={
                "document_id": late.id,
                "email": late_email,
                "hash_token": reminder._generate_mailing_recipient_token(late.id, late_email),
            },
        )
        self.env.invalidate_all()
        reminder_traces = self.env["mailing.trace"].search([("mass_mailing_id", "=", reminder.id)])
        left = reminder_traces.filtered(lambda t: t.res_id == leaver.id)
        self.assertRecordValues(left, [{"trace_status": "cancel", "failure_type": "mail_bl"}])
        self.assertEqual(leaver.mailing_sent_count, 1, "no reminder after unsubscribing")
        self.assertEqual(leaver.mailing_last_event, "unsubscribed")
        self.assertEqual(late.mailing_sent_count, 2)
        self.assertEqual(late.mailing_last_event, "unsubscribed")
        self.assertEqual(
            (mailing | reminder).mapped("winback_unsubscribed_count"),
            [1, 1],
            "each unsubscription counts for the last email sent before it",
        )
        self.assertEqual(self.campaign.mail_unsubscribed_count, 2)
        self.assertEqual(self.campaign.funnel_contacted_count, sent)
        # what a Care manager (no Email Marketing rights) sees: the funnel on the
        # campaign, each member's last event in the list
        # rounded half up, as the web client shows it (Python's format rounds 6.25 to 6.2)
        opened_share = float_round(100.0 * 2 / sent, precision_digits=1)
        opened_digits = f"{opened_share:.1f}".replace(".", "")
        campaigns = self.env.ref("winback.winback_campaign_action")
        self.screen(
            f"/odoo/action-{campaigns.id}/{self.campaign.id}",
            "(() => { const funnel = document.querySelector('.o_winback_funnel_opened');"
            " funnel?.scrollIntoView({block: 'center'});"
            # the count and its share, whatever the user's decimal separator
            f" return funnel?.textContent.replace(/\\D/g, '') === '2{opened_digits}';"
            " })()",
            "13_campaign_funnel",
            login="wb_manager",
        )
        members = self.env.ref("winback.winback_campaign_member_action")
        self.screen(
            f"/odoo/action-{members.id}",
            # the two unsubscribed members' badges are red (in any language)
            "document.querySelectorAll("
            "'.o_data_cell[name=mailing_last_event] .text-bg-danger').length === 2",
            "14_campaign_members_events",
            login="wb_manager",
        )
