from odoo import models


class SampleRendered(Exception):
    """Leaves the savepoint of a test send, undoing its sample customer."""


class MailingMailingTest(models.TransientModel):
    _inherit = "mailing.mailing.test"

    def send_mail_test(self):
        """A win-back email's test renders a sample member (a sample customer and an offer
        of the campaign's kind) created for the occasion and rolled back after: never a
        real customer's name or live coupon."""
        mailing = self.mass_mailing_id
        if not mailing.winback_campaign_id:
            return super().send_mail_test()
        before = mailing.message_ids[:1].id or 0
        try:
            with self.env.cr.savepoint():
                sample = self.env["winback.campaign.member"]._winback_sample(
                    mailing.winback_campaign_id
                )
                super(
                    MailingMailingTest, self.with_context(winback_sample_member=sample)
                ).send_mail_test()
                notes = [m.body for m in mailing.message_ids if m.id > before]
                raise SampleRendered(notes)
        except SampleRendered as rendered:
            notes = rendered.args[0]
        self.env.invalidate_all()
        for note in notes:
            mailing._message_log(body=note)
        return True
