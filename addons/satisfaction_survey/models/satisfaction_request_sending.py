import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.care_helpers import CronClock, commit_cron_chunk
from odoo.exceptions import UserError
from odoo.tools import SQL

# The answer links carry an uuid4 token (see ``_new_token``): anything else is refused
# before any search.
TOKEN_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class SatisfactionRequest(models.Model):
    """Sending: the answer links and their tokens, the survey and reminder emails under
    the contact policy, and the scheduled job that sends due requests."""

    _inherit = "satisfaction.request"  # pylint: disable=consider-merging-classes-inherited

    def action_send_now(self):
        """Send the pending requests at once (still under the contact policy)."""
        pending = self.filtered(lambda request: request.state == "pending")
        if not pending:
            raise UserError(self.env._("Only a pending survey request can be sent."))
        pending.write({"scheduled_date": fields.Datetime.now()})
        pending._send()

    @api.model
    def _get_by_token(self, token):
        """The request of the answer link's ``token``, as superuser, or an empty one."""
        # the visitor is usually public and has no access right; the exact,
        # unguessable token designates the one request they may see and answer.
        requests_sudo = self.sudo()  # sudo: public visitor, see above
        if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
            return requests_sudo
        survey_request = requests_sudo.search([("access_token", "=", token)])
        return survey_request if len(survey_request) == 1 else requests_sudo

    def _get_answer_url(self, score):
        self.ensure_one()
        return f"{self.get_base_url()}/satisfaction/{self.access_token}/{score}"

    def _get_answer_links(self):
        """``[(score, url)]`` for the score buttons of the email."""
        self.ensure_one()
        low, high = self._get_score_range()
        return [(score, self._get_answer_url(score)) for score in range(low, high + 1)]

    def _is_answerable(self):
        """Whether the answer link still works (sent or answered, not expired)."""
        self.ensure_one()
        return self.state in ("sent", "answered") and (
            not self.expiry_date or self.expiry_date > fields.Datetime.now()
        )

    def _send(self):
        self.sudo()._send_sudo()  # sudo: sending writes protected fields, see write

    def _send_sudo(self):
        """Send due requests, or skip them with the reason; one batch, in order.

        The survey window (one survey per customer per X days) is checked first, then
        the suite's contact policy, which logs every attempt in the contact log.
        """
        requests = self.filtered(lambda request: request.state == "pending")
        if not requests:
            return
        template = self.env.ref("satisfaction_survey.mail_template_satisfaction_request")
        recent = self._recently_surveyed(requests)
        logs = self.env["care.contact.log"]
        now = fields.Datetime.now()
        for request in requests:
            key = (request.commercial_partner_id.id, request.company_id.id)
            if key in recent:
                logs.sudo().create(  # sudo: the cron logs for every module
                    {
                        "partner_id": request.commercial_partner_id.id,
                        "company_id": request.company_id.id,
                        "kind": "survey",
                        "state": "skipped",
                        "skip_reason": "survey_window",
                        "res_model": request._name,
                        "res_id": request.id,
                    }
                )
                request.write({"state": "skipped", "skip_reason": "survey_window"})
                continue
            if not logs._log_contact(
                request.partner_id, "survey", record=request, company=request.company_id
            ):
                reason = logs._contact_refusal(request.partner_id, request.company_id)
                request.write({"state": "skipped", "skip_reason": reason or "throttled"})
                continue
            request.write(
                {
                    "state": "sent",
                    "sent_date": now,
                    "expiry_date": now
                    + timedelta(days=request.company_id.satisfaction_token_days or 30),
                }
            )
            template.send_mail(request.id, email_layout_xmlid="loyalty_gesture.mail_layout_care")
            recent.add(key)

    @api.model
    def _recently_surveyed(self, requests):
        """``{(commercial partner id, company id)}`` surveyed within their company window."""
        windows = {company: company.satisfaction_window_days for company in requests.company_id}
        longest = max(windows.values(), default=0)
        if not longest:
            return set()
        since = fields.Datetime.now() - timedelta(days=longest)
        groups = self.sudo()._read_group(  # sudo: the window counts every request
            [
                ("commercial_partner_id", "in", requests.commercial_partner_id.ids),
                ("company_id", "in", requests.company_id.ids),
                ("sent_date", ">=", since),
            ],
            ["commercial_partner_id", "company_id"],
            ["sent_date:max"],
        )
        now = fields.Datetime.now()
        return {
            (partner.id, company.id)
            for partner, company, last_sent in groups
            if windows[company] and last_sent >= now - timedelta(days=windows[company])
        }

    @api.model
    def _cron_send_due(self, batch_size=200):
        """Expire stale links, send due requests and reminders, batch after batch for the
        time of a cron pass (:class:`CronClock`, one batch at least); reports what is left
        so that Odoo calls it again.

        Safe to rerun and to run on several cron workers at once (copies of the action):
        each batch claims its rows (``SKIP LOCKED``) and a request leaves its state when
        handled; as a scheduled action each batch is committed.
        """
        clock = CronClock(self.env)
        if clock.hand_over():
            return 0
        done = 0
        while True:
            handled = (
                len(self._expire_overdue(batch_size))
                + len(self._send_batch(batch_size))
                + len(self._send_reminders(batch_size))
            )
            done += handled
            if handled:
                commit_cron_chunk(self.env)
            if not handled or clock.expired():
                break
        self.env["ir.cron"]._notify_progress(done=done, remaining=self._count_due())
        return done

    @api.model
    def _claim(self, where, order, limit):
        """Ids of up to ``limit`` requests matching the SQL ``where`` that no other worker
        holds, locked until the commit."""
        self.flush_model(["state", "scheduled_date", "sent_date", "expiry_date", "reminder_date"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM satisfaction_request WHERE %s ORDER BY %s LIMIT %s "
                "FOR UPDATE SKIP LOCKED",
                where,
                order,
                limit,
            )
        )
        # sudo: the cron handles every request
        return self.sudo().browse([row[0] for row in rows])

    @api.model
    def _send_batch(self, batch_size=200):
        """One batch of due requests, claimed and sent."""
        batch = self._claim(
            SQL("state = 'pending' AND scheduled_date <= %s", fields.Datetime.now()),
            SQL("scheduled_date, id"),
            batch_size,
        )
        batch._send()
        return batch

    @api.model
    def _count_due(self):
        """Requests left to send, expire and remind now."""
        now = fields.Datetime.now()
        # sudo: the cron counts every request
        requests_sudo = self.sudo()
        count = requests_sudo.search_count(
            [("state", "=", "pending"), ("scheduled_date", "<=", now)]
        ) + requests_sudo.search_count([("state", "=", "sent"), ("expiry_date", "<", now)])
        for company in self._reminding_companies():
            count += requests_sudo.search_count(self._reminder_domain(company, now))
        return count

    @api.model
    def _reminding_companies(self):
        # sudo: the cron reminds in every company
        return self.env["res.company"].sudo().search([("satisfaction_reminder_days", ">", 0)])

    @api.model
    def _reminder_domain(self, company, now):
        return [
            ("company_id", "=", company.id),
            ("state", "=", "sent"),
            ("reminder_date", "=", False),
            ("sent_date", "<=", now - timedelta(days=company.satisfaction_reminder_days)),
            ("expiry_date", ">", now),
        ]

    @api.model
    def _send_reminders(self, batch_size=200):
        """One reminder at most, N days (per company) after an unanswered survey.

        The reminder is an automatic message like any other: it goes through the
        contact policy; refused, it is not retried (the request keeps its link). Each
        batch claims its requests (``SKIP LOCKED``).
        """
        now = fields.Datetime.now()
        template = self.env.ref("satisfaction_survey.mail_template_satisfaction_reminder")
        logs = self.env["care.contact.log"]
        reminded = self.sudo()  # sudo: reminders write protected fields, see write
        for company in self._reminding_companies():
            if len(reminded) >= batch_size:
                break
            due = self._claim(
                SQL(
                    """company_id = %s AND state = 'sent' AND reminder_date IS NULL
                       AND sent_date <= %s AND expiry_date > %s""",
                    company.id,
                    now - timedelta(days=company.satisfaction_reminder_days),
                    now,
                ),
                SQL("sent_date, id"),
                batch_size - len(reminded),
            )
            for request in due:
                request.reminder_date = now
                if logs._log_contact(request.partner_id, "survey", record=request, company=company):
                    template.send_mail(
                        request.id, email_layout_xmlid="loyalty_gesture.mail_layout_care"
                    )
            reminded |= due
        return reminded

    @api.model
    def _expire_overdue(self, batch_size=200):
        overdue = self._claim(
            SQL("state = 'sent' AND expiry_date < %s", fields.Datetime.now()),
            SQL("expiry_date, id"),
            batch_size,
        )
        overdue.write({"state": "expired"})  # sudo (from _claim): see write
        return overdue
