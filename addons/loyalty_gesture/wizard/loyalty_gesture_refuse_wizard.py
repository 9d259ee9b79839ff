from odoo import api, fields, models


class LoyaltyGestureRefuseWizard(models.TransientModel):
    """Refuse gestures waiting for approval, saying why (posted on each gesture)."""

    _name = "loyalty.gesture.refuse.wizard"
    _description = "Refuse a gesture"

    gesture_ids = fields.Many2many("loyalty.gesture", string="Gestures", required=True)
    reason = fields.Text(required=True, help="Told to the agent who asked for the gesture.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "gesture_ids" in fields_list and self.env.context.get("active_model") == (
            "loyalty.gesture"
        ):
            values["gesture_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_refuse(self):
        """Refuse through the gesture's own action, then tell why in its chatter."""
        self.ensure_one()
        self.gesture_ids.action_refuse()
        for gesture in self.gesture_ids:
            gesture.message_post(
                body=self.env._("Refused: %(reason)s", reason=self.reason),
                partner_ids=gesture.requested_by_id.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
        return {"type": "ir.actions.act_window_close"}
