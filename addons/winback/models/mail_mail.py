from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        """Once a win-back step's emails went out, the campaign job records them (contact
        dates, contact log) without waiting for its next daily run."""
        campaign_emails = self.sudo()  # sudo: the sender may not read mailings.filtered(lambda m: m.mailing_id.winback_campaign_id)
        result = super().send(
            auto_commit=auto_commit,
            raise_exception=raise_exception,
            post_send_callback=post_send_callback,
        )
        if campaign_emails:
            self.env["winback.campaign"]._trigger_job()
        return result
