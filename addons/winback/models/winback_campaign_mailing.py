from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .mailing_mailing import MEMBER_MODEL, STEP_LINKS

# Trace statuses: the email went out / it will not go to this address. An error of the
# sending side (the mail server unreachable, no sender) is no answer about the customer:
# Email Marketing's *Retry* sends it again, so it is left for a later pass.
SENT_STATUSES = ("pending", "sent", "open", "reply")
FAILED_STATUSES = ("bounce", "cancel")
ADDRESS_ERRORS = ("mail_email_invalid", "mail_email_missing", "mail_bounce")


class WinbackCampaign(models.Model):
    """The campaign's emails are Email Marketing mailings, one per step (and per offer
    variant): the manager edits them in Odoo's mail editor, the campaign queues them once
    the members' offers exist, Odoo's mailing queue sends them in batches, and their
    traces say who was really contacted (the contact log is written from them)."""

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    mailing_ids = fields.One2many(
        "mailing.mailing",
        "winback_campaign_id",
        string="Emails",
        readonly=True,
        groups="mass_mailing.group_mass_mailing_user",
    )

    # --- the step's mailing ---

    def _step_template(self, step):
        return self.email_template_id if step == "d0" else self.reminder_template_id

    def _mailing_utm_values(self, step, variant=False):
        """UTM campaign, source and medium of a step's mailing (see the UTM file)."""
        return {}

    def _step_mailing(self, step, variant=False):
        """The mailing of ``step`` (and offer ``variant``), created from the step's
        template the first time it is asked for."""
        self.ensure_one()
        domain = [
            ("winback_campaign_id", "=", self.id),
            ("winback_step", "=", step),
            ("winback_variant", "=", variant),
        ]
        # sudo: the job (the cron's user) and managers alike find the campaign's own mailing
        mailing = self.env["mailing.mailing"].sudo().search(domain, limit=1)
        if mailing:
            return mailing.with_env(self.env)
        # Email Marketing renders a mailing in its responsible's language: its content too
        responsible = self.user_id or self.env.user
        template = self._step_template(step).with_context(lang=responsible.lang)
        if not template:
            raise UserError(self.env._("Choose the email of this campaign step first."))
        # the campaign's words in the email's language
        campaign = self.with_context(lang=responsible.lang)
        body = Markup('<div class="o_layout o_basic_theme">%s%s%s</div>') % (
            template.body_html or "",
            campaign._call_to_action(),
            campaign._unsubscribe_footer(),
        )
        model = self.env["ir.model"]._get(MEMBER_MODEL)
        sender = self._step_sender()
        mailing = (
            self.env["mailing.mailing"]
            .sudo()  # sudo: the campaign creates its step mailings (users may not)
            .create(
                {
                    "subject": template.subject or self.name,
                    "body_arch": body,
                    "body_html": body,
                    "mailing_type": "mail",
                    "mailing_model_id": model.id,
                    "mailing_domain": "[('id', '=', 0)]",
                    "reply_to_mode": "update",
                    "user_id": responsible.id,
                    "winback_campaign_id": self.id,
                    "winback_step": step,
                    "winback_variant": variant,
                    "email_from": sender,
                    **self._mailing_utm_values(step, variant),
                }
            )
        )
        # the step's recipients: the members the campaign queued on this very mailing
        mailing.mailing_domain = repr([(STEP_LINKS[step], "=", mailing.id)])
        return mailing.with_env(self.env)

    def _step_sender(self):
        """Who the campaign's emails come from: the company, else the responsible, else
        the database's default sender (the template's sender is an expression, which only
        Mail Template Editors may keep in a mailing)."""
        self.ensure_one()
        sender = (
            self.company_id.email_formatted
            or (self.user_id or self.env.user).email_formatted
            # sudo: the outgoing mail settings are the administrator's
            or self.env["ir.mail_server"].sudo()._get_default_from_address()
        )
        if not sender:
            raise UserError(
                self.env._(
                    "Give %(company)s an email address: the campaign's emails need a sender.",
                    company=self.company_id.name,
                )
            )
        return sender

    def _call_to_action(self):
        """A button to the company's website (or its email): written into the mailing as
        it is, a link the manager edits and Email Marketing tracks."""
        company = self.company_id
        url = company.website or (company.email and f"mailto:{company.email}")
        if not url:
            return ""
        label = self.env._("Come back and see us") if company.website else self.env._("Write to us")
        return Markup(
            '<p style="margin: 24px 0px; text-align: center;"><a href="%s" style="display: '
            "inline-block; padding: 10px 20px; background-color: #875A7B; color: #ffffff; "
            'text-decoration: none; border-radius: 4px; font-weight: bold;">%s</a></p>'
        ) % (url, label)

    def _unsubscribe_footer(self):
        return Markup(
            '<p style="font-size: 12px; color: #888888; text-align: center;">%s '
            '<a href="/unsubscribe_from_list" style="color: #888888;">%s</a></p>'
        ) % (
            self.env._("You no longer wish to receive our offers?"),
            self.env._("Unsubscribe"),
        )

    def _queue_step(self, members, step):
        """Queue ``members`` (their offers exist) on the step's mailing of their variant
        and put it in Email Marketing's queue."""
        self.ensure_one()
        variant_of = {member.id: member.offer_variant for member in members}
        for variant in set(variant_of.values()):
            mailing = self._step_mailing(step, variant)
            chunk = members.filtered(lambda m, v=variant: variant_of[m.id] == v)
            chunk._link_each(STEP_LINKS[step], mailing.browse([mailing.id] * len(chunk)))
            mailing._winback_queue()

    def action_stop(self):
        """Stopping a campaign also takes its emails out of Email Marketing's queue (one
        already sending finishes its batch)."""
        result = super().action_stop()
        domain = [("winback_campaign_id", "in", self.ids), ("state", "=", "in_queue")]
        # sudo: the campaign's own mailings, which users cannot put in or out of the queue
        queued = self.env["mailing.mailing"].sudo().search(domain)
        queued.write({"state": "draft"})
        return result

    def action_open_step_email(self):
        """Open the step's email in Odoo's mail editor (created from the template on
        first use)."""
        self.ensure_one()
        self._check_manager()
        step = self.env.context.get("winback_step", "d0")
        # an A/B test has an email per offer (its members' offer_variant)
        variant = self.env.context.get("winback_variant") or ("a" if self.ab_test else False)
        mailing = self._step_mailing(step, variant)
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": mailing.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    # --- the job: what was really sent ---

    def _job_sync_query(self):
        """Traces of the campaigns' mailings whose outcome the job has not recorded."""
        return SQL(
            """
            SELECT t.id FROM mailing_trace t
              JOIN mailing_mailing mm ON mm.id = t.mass_mailing_id
             WHERE mm.winback_campaign_id IS NOT NULL
               AND t.model = %(model)s AND t.winback_synced IS NOT TRUE
               AND (t.trace_status IN %(final)s
                    OR (t.trace_status = 'error' AND t.failure_type IN %(address)s))
             ORDER BY t.id
            """,
            model=MEMBER_MODEL,
            final=SENT_STATUSES + FAILED_STATUSES,
            address=ADDRESS_ERRORS,
        )

    def _job_requeue_query(self):
        """Step mailings of running campaigns that went out while the campaign was still
        queuing members on them: they go back to the mailing queue for the members they
        missed (a stopped campaign sends nothing more)."""
        return SQL(
            """
            SELECT mm.id FROM mailing_mailing mm
              JOIN winback_campaign c ON c.id = mm.winback_campaign_id AND c.state = 'running'
             WHERE mm.state NOT IN ('in_queue', 'sending')
               AND EXISTS (
                   SELECT 1 FROM winback_campaign_member m
                    WHERE (m.d0_mailing_id = mm.id OR m.reminder_mailing_id = mm.id)
                      AND NOT EXISTS (
                          SELECT 1 FROM mailing_trace t
                           WHERE t.mass_mailing_id = mm.id AND t.model = %(model)s
                             AND t.res_id = m.id))
             ORDER BY mm.id
            """,
            model=MEMBER_MODEL,
        )

    def _job_requeue_chunk(self, limit):
        ids = self._claim(self._job_requeue_query(), limit, "mm")
        mailings = self.env["mailing.mailing"].browse(ids)
        mailings._winback_queue()
        return len(mailings)

    def _job_sync_chunk(self, limit):
        """Record what the mailing queue really sent: the member's contact date and the
        contact log for each email that went out; a D0 that could not go (bounced,
        blacklisted, invalid address) takes the member out of the campaign."""
        ids = self._claim(self._job_sync_query(), limit, "t")
        if not ids:
            return 0
        # sudo: the job records every company's emails; traces are Email Marketing's
        traces = self.env["mailing.trace"].sudo().browse(ids)
        # sudo: members are written by the campaign's steps only
        members = self.env[MEMBER_MODEL].sudo().browse(traces.mapped("res_id")).exists()
        by_id = {m.id: m for m in members}
        sent = members.browse()
        sent_dates = {}
        for trace in traces:
            member = by_id.get(trace.res_id)
            if not member:
                continue
            step = trace.mass_mailing_id.winback_step
            if trace.trace_status in SENT_STATUSES:
                sent |= member
                if step == "d0":
                    sent_dates.setdefault(trace.sent_datetime or fields.Datetime.now(), []).append(
                        member.id
                    )
            elif step == "d0":
                member._write_step(
                    {
                        "state": "excluded",
                        "contacted": False,
                        "exclude_reason": "no_contact"
                        if trace.trace_status == "cancel"
                        else "undeliverable",
                    }
                )
            else:
                member._write_step({"reminder_sent": False})
        for date, member_ids in sent_dates.items():
            sent.browse(member_ids)._write_step({"contact_date": date})
        for company, chunk in sent.grouped("company_id").items():
            self.env["care.contact.log"]._log_contacts(
                chunk.partner_id.browse([m.partner_id.id for m in chunk]),
                "winback",
                records=chunk,
                company=company,
                refusals=[False] * len(chunk),
            )
        traces.write({"winback_synced": True})
        return len(traces)
