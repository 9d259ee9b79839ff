from odoo import api, fields, models
from odoo.exceptions import UserError

MEMBER_MODEL = "winback.campaign.member"
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
        them in batches), unless they are there already."""
        waiting = self.filtered(lambda m: m.state not in ("in_queue", "sending"))
        # sudo: the campaign job queues its steps; users cannot (action_put_in_queue)
        waiting.sudo().with_context(winback_step_queue=True).action_put_in_queue()

    def _get_remaining_recipients(self):
        """The contact policy applies to a step's recipients at the time it goes: a
        customer who unsubscribed, bounced, opted out or reached the contact cap since
        the offer was granted is left out (and recorded so on the member)."""
        res_ids = super()._get_remaining_recipients()
        if not self.winback_campaign_id or not res_ids:
            return res_ids
        # sudo: the mailing queue runs for every company's campaign; the policy is global
        members = self.env[MEMBER_MODEL].sudo().browse(res_ids)
        return members._winback_step_recipients(self).ids
