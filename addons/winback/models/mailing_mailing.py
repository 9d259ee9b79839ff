import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

MEMBER_MODEL = "winback.campaign.member"
# The member's link to the mailing of each step: the step's recipients are exactly the
# members the campaign queued on it (members emailed before the steps were mailings
# have none, and are never emailed twice).
STEP_LINKS = {"d0": "d0_mailing_id", "reminder": "reminder_mailing_id"}
# Recipients one pass of Email Marketing's queue renders for a step mailing: Odoo renders
# every remaining recipient in one call of its cron, 100,000 emails of a big campaign in
# ten minutes, past a cron worker's limits. A slice takes two or three seconds (the
# composer took 4 ms an email in the D0 benchmark); the mailing then goes back to the
# queue for the rest.
SEND_SLICE = 500
# What a user may change on a campaign step's mailing: its content and sender. Who gets
# it (model, domain, lists), when it goes and which campaign step it is belong to the
# campaign, which queues it once the members' offers exist.
STEP_CONTENT_FIELDS = frozenset(
    {
        "subject",
        "preview",
        "body_arch",
        "body_html",
        "email_from",
        "reply_to",
        "attachment_ids",
        "mail_server_id",
        "keep_archives",
        "favorite",
        "color",
    }
)


# Which campaign step a mailing is: set by the campaign only.
STEP_FIELDS = frozenset({"winback_campaign_id", "winback_step", "winback_variant"})


class MailingMailing(models.Model):
    """A win-back campaign's email steps are Email Marketing mailings on the campaign's
    members: edited in Odoo's mail editor, sent by the mailing queue, measured by their
    traces."""

    _inherit = "mailing.mailing"

    winback_campaign_id = fields.Many2one(
        "winback.campaign", string="Win-back campaign", index="btree_not_null", readonly=True
    )
    winback_step = fields.Selection(
        [("d0", "D0 offer"), ("reminder", "Reminder")], string="Win-back step", readonly=True
    )
    winback_variant = fields.Selection(
        [("a", "Offer A"), ("b", "Offer B")], string="Offer variant", readonly=True
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(set(vals) & STEP_FIELDS for vals in vals_list):
            raise UserError(self.env._("Only a win-back campaign creates its emails."))
        return super().create(vals_list)

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        refused = set(vals) & STEP_FIELDS
        if self.filtered("winback_campaign_id"):
            refused |= set(vals) - STEP_CONTENT_FIELDS
        if refused:
            raise UserError(
                self.env._(
                    "The recipients and the sending of a win-back email are set by its "
                    "campaign; only its content can be edited (not: %(fields)s).",
                    fields=", ".join(sorted(refused)),
                )
            )
        return super().write(vals)

    def _check_not_winback_step(self):
        if self.filtered("winback_campaign_id"):
            raise UserError(
                self.env._(
                    "A win-back email is sent by its campaign, once the members' offers "
                    "exist: start the campaign instead."
                )
            )

    def action_launch(self):
        self._check_not_winback_step()
        return super().action_launch()

    def action_schedule(self):
        self._check_not_winback_step()
        return super().action_schedule()

    def action_put_in_queue(self):
        if not self.env.context.get("winback_step_queue"):
            self._check_not_winback_step()
        return super().action_put_in_queue()

    def copy_data(self, default=None):
        # a copy is an ordinary mailing, not a second step of the campaign
        vals_list = super().copy_data(default=default)
        for vals in vals_list:
            for field in STEP_FIELDS:
                vals.pop(field, None)
        return vals_list

    @api.ondelete(at_uninstall=False)
    def _unlink_except_winback_step(self):
        if self.filtered(
            lambda m: m.winback_campaign_id and m.winback_campaign_id.state != "draft"
        ):
            raise UserError(self.env._("The email of a started win-back campaign is kept."))

    def _winback_queue(self):
        """Put the campaign's step mailings in Email Marketing's queue (its cron sends
        them in batches), unless they are there already.

        A mailing another worker holds (the queue sending a slice of it, another chunk
        of the campaign job queuing it) is left to that worker, instead of failing this
        chunk on the concurrent update: the job's requeue chunk takes any mailing left
        out of the queue with members still to email."""
        waiting = self.filtered(lambda m: m.state not in ("in_queue", "sending"))
        if not waiting:
            return
        try:
            with self.env.cr.savepoint():  # flushes first
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM mailing_mailing WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                        tuple(waiting.ids),
                    ),
                    log_exceptions=False,
                )
                # sudo: the campaign job queues its steps; users cannot (action_put_in_queue)
                waiting.sudo().with_context(winback_step_queue=True).action_put_in_queue()
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            return

    def _get_remaining_recipients(self):
        """A step's recipients not emailed yet, a slice at a time (``SEND_SLICE``, in one
        query on the member's link and the traces' index). The contact policy applies
        at the time the email goes: a customer who unsubscribed, bounced, opted out or
        reached the contact cap since the offer was granted is left out (and recorded so
        on the member)."""
        if not self.winback_campaign_id:
            return super()._get_remaining_recipients()
        res_ids = self._winback_unsent(SEND_SLICE)
        if not res_ids:
            return res_ids
        # sudo: the mailing queue runs for every company's campaign; the policy is global
        members = self.env[MEMBER_MODEL].sudo().browse(res_ids)
        return members._winback_step_recipients(self).ids

    def _winback_unsent(self, limit):
        """Ids of up to ``limit`` members queued on this step mailing without a trace."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.id FROM winback_campaign_member m
                 WHERE m.%(link)s = %(mailing)s
                   AND NOT EXISTS (SELECT 1 FROM mailing_trace t
                                    WHERE t.model = %(model)s AND t.res_id = m.id
                                      AND t.mass_mailing_id = %(mailing)s)
                 ORDER BY m.id LIMIT %(limit)s
                """,
                link=SQL.identifier(STEP_LINKS[self.winback_step]),
                mailing=self.id,
                model=MEMBER_MODEL,
                limit=limit,
            )
        )
        return [member_id for (member_id,) in rows]

    def _action_send_mail(self, res_ids=None):
        """A step mailing of a running campaign with recipients left after its slice goes
        back to the queue (whose next pass sends the next slice)."""
        result = super()._action_send_mail(res_ids)
        if not res_ids:
            self.filtered(
                lambda m: m.winback_campaign_id.state == "running" and m._winback_unsent(1)
            )._winback_queue()
        return result
