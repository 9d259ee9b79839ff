from datetime import timedelta

from odoo import fields, models


class LoyaltyGesture(models.Model):
    """Telling the customer and following up: the gesture email and the follow-up."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _send_gesture_email(self):
        """Email the gesture from its type's template, within the contact policy.

        The gesture is done whatever happens: a refused email is logged with its reason.
        """
        self.ensure_one()
        template = self._get_mail_template()
        if not template:
            return
        logs = self.env["care.contact.log"]
        if logs._log_contact(self.partner_id, "gesture", record=self, company=self.company_id):
            self.with_context(mail_notify_author=True).message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                email_layout_xmlid="loyalty_gesture.mail_layout_care",
            )
            return
        # agents read the logs of their companies: no sudo needed
        log = logs.search([("res_model", "=", self._name), ("res_id", "=", self.id)], limit=1)
        reason = dict(log._fields["skip_reason"]._description_selection(self.env)).get(
            log.skip_reason, ""
        )
        self.message_post(
            body=self.env._("The gesture email was not sent: %(reason)s.", reason=reason)
        )

    def _get_mail_template(self):
        """The email sent to the customer when the gesture is fulfilled (hook)."""
        self.ensure_one()
        return self.type_id.mail_template_id

    def _schedule_follow_ups(self):
        """A follow-up activity for the requester of each gesture, due after the company's
        delay: one create per delay and requester."""
        today = fields.Date.context_today(self)
        groups = self.grouped(
            lambda g: (g.company_id.care_follow_up_days, g.requested_by_id or self.env.user)
        )
        for (days, user), gestures in groups.items():
            deadline = today + timedelta(days=days)
            gestures.sudo().activity_schedule(  # sudo: assigns to the requester
                "loyalty_gesture.mail_activity_type_gesture_follow_up",
                date_deadline=deadline,
                user_id=user.id,
            )
            gestures._write_workflow({"follow_up_date": deadline})

    def _on_follow_up_done(self):
        """Called when a follow-up activity is marked done."""
        self.filtered(lambda g: g.state == "done")._set_state("followed_up")
