from odoo import fields, models


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("service_task", "Service task")],
        ondelete={"service_task": "set default"},
    )


class LoyaltyGesture(models.Model):
    """Service task: a to-do for the requester to provide the service."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _fulfil_service_task(self):
        self._schedule_tasks(
            lambda g: g.env._("Provide the service: %(type)s", type=g.type_id.name)
        )

    def _undo_service_task(self):
        self._undo_tasks()
