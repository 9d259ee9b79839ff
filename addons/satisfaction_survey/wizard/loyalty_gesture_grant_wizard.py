from odoo import api, fields, models


class LoyaltyGestureGrantWizard(models.TransientModel):
    """The grant wizard opened from an unhappy answer: the gesture repairs that answer."""

    _inherit = "loyalty.gesture.grant.wizard"

    satisfaction_request_id = fields.Many2one(
        "satisfaction.request", string="Unhappy answer", readonly=True, check_company=True
    )

    @api.constrains("satisfaction_request_id")
    def _check_satisfaction_request_readable(self):
        """The answer a gesture repairs is one the user may read (not another company's)."""
        for wizard in self:
            wizard.satisfaction_request_id.check_access("read")

    def action_grant(self):
        action = super().action_grant()
        request = self.satisfaction_request_id
        if request and not request.gesture_id:
            request.check_access("write")
            gesture = self.env["loyalty.gesture"].browse(action["res_id"])
            if gesture.partner_id.commercial_partner_id == request.commercial_partner_id:
                # sudo: the repair link is server-set (allow-list); the user may write the
                # request and has just granted this gesture to its customer
                request.sudo().gesture_id = gesture
        return action
