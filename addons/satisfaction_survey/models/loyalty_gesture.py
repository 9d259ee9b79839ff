from odoo import models


class LoyaltyGesture(models.Model):
    _name = "loyalty.gesture"
    # the mixin first: its write runs where this file's own override used to
    _inherit = ["satisfaction.trigger.mixin", "loyalty.gesture"]
    _survey_trigger = "gesture"

    def _satisfaction_reaching(self, vals):
        """The gestures that become done."""
        if vals.get("state") == "done":
            return self.filtered(lambda gesture: gesture.state != "done")
        return self.browse()

    def _satisfaction_request_values(self):
        """The gesture's customer; the ticket's agent, else who asked for it, owns it."""
        owner = self.ticket_id.user_id or self.requested_by_id
        return dict(
            super()._satisfaction_request_values(), ticket_id=self.ticket_id.id, user_id=owner.id
        )

    def _care_batch_done(self):
        """Gestures made done set-based (loyalty_gesture_bulk.py): their survey requests,
        as the ORM path's ``write`` creates them."""
        result = super()._care_batch_done()
        self.env["satisfaction.request"]._care_insert_from_trigger(self._survey_trigger, self)
        return result
