from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Close the loop of the unhappy answers whose follow-up is done."""
        followup_type = self.env.ref(
            "satisfaction_survey.mail_activity_type_satisfaction_followup",
            raise_if_not_found=False,
        )
        followups = self.filtered(
            lambda act: (
                act.res_model == "satisfaction.request" and act.activity_type_id == followup_type
            )
        )
        request_ids = followups.mapped("res_id")
        res = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if request_ids:
            requests = (
                self.env["satisfaction.request"]
                .sudo()  # sudo: the assignee may close a follow-up without editing the request
                .browse(request_ids)
                .filtered(lambda req: req.loop_state == "open")
            )
            requests.write({"loop_state": "closed", "loop_closed_date": fields.Datetime.now()})
        return res
