from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a gesture's follow-up activity done sets the gesture followed up."""
        follow_up_type = self.env.ref(
            "loyalty_gesture.mail_activity_type_gesture_follow_up", raise_if_not_found=False
        )
        gesture_ids = [
            activity.res_id
            for activity in self
            if activity.res_model == "loyalty.gesture"
            and activity.activity_type_id == follow_up_type
        ]
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if gesture_ids:
            self.env["loyalty.gesture"].browse(gesture_ids).exists()._on_follow_up_done()
        return result
