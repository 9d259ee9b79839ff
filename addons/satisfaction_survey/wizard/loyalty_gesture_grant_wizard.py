from odoo import fields, models


class LoyaltyGestureGrantWizard(models.TransientModel):
    """The grant wizard opened from an unhappy answer: the gesture repairs that answer."""

    _inherit = "loyalty.gesture.grant.wizard"

    satisfaction_request_id = fields.Many2one(
        "satisfaction.request", string="Unhappy answer", readonly=True, check_company=True
    )

    def action_grant(self):
        action = super().action_grant()
        if self.satisfaction_request_id and not self.satisfaction_request_id.gesture_id:
            self.satisfaction_request_id.gesture_id = action["res_id"]
        return action
