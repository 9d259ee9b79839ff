from odoo import fields, models


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("letter", "Apology or thank-you letter")],
        ondelete={"letter": "set default"},
    )


class LoyaltyGesture(models.Model):
    """Letter: a to-do for the requester to write and send it."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _fulfil_letter(self):
        self._schedule_tasks(lambda g: g.env._("Write and send: %(type)s", type=g.type_id.name))

    def _undo_letter(self):
        self._undo_tasks()
