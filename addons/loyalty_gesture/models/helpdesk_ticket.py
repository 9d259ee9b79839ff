from odoo import fields, models
from odoo.exceptions import UserError

from .care_helpers import count_by, dialog_action, window_action


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    gesture_ids = fields.One2many("loyalty.gesture", "ticket_id", string="Gestures")
    gesture_count = fields.Integer(compute="_compute_gesture_count")

    def _compute_gesture_count(self):
        counts = count_by(self.env["loyalty.gesture"], "ticket_id", self)
        for ticket in self:
            ticket.gesture_count = counts.get(ticket, 0)

    def action_grant_gesture(self):
        """Open the *Grant a gesture* wizard prefilled from the ticket."""
        self.ensure_one()
        self.check_access("read")
        if not self.partner_id:
            raise UserError(self.env._("Set the ticket's customer before granting a gesture."))
        return dialog_action(
            self.env,
            "loyalty_gesture.loyalty_gesture_grant_wizard_action",
            {"default_ticket_id": self.id},
        )

    def action_view_gestures(self):
        self.ensure_one()
        return window_action(
            self.env,
            "loyalty_gesture.loyalty_gesture_action",
            domain=[("ticket_id", "=", self.id)],
            context={"default_ticket_id": self.id, "default_partner_id": self.partner_id.id},
        )
