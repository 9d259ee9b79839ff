from odoo import fields, models
from odoo.exceptions import UserError


class LoyaltyGestureType(models.Model):
    _inherit = "loyalty.gesture.type"  # pylint: disable=consider-merging-classes-inherited

    fulfilment = fields.Selection(
        selection_add=[("points", "Loyalty points credit")], ondelete={"points": "set default"}
    )

    def _fulfilment_traits(self):
        return {**super()._fulfilment_traits(), "points": {"valued"}}


class LoyaltyGesture(models.Model):
    """Points: loyalty points credited to the customer's card (see ``_compute_points``)."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _check_grantable_points(self):
        """A points gesture needs a program whose reward says what a point is worth."""
        program = self.company_id._care_points_program()
        if not program:
            raise UserError(
                self.env._("Choose the loyalty program holding customer points in the settings.")
            )
        if not program._care_point_worth(self.currency_id, self.company_id):
            raise UserError(
                self.env._(
                    "The points of %(program)s have no worth: give the program a discount "
                    "reward per point or a fixed-amount discount reward, so that points "
                    "gestures can be valued.",
                    program=self._care_name_for_user(program),
                )
            )
        if self.points <= 0:
            raise UserError(
                self.env._(
                    "%(value)s is worth less than one point of %(program)s.",
                    value=self.currency_id.format(self.value),
                    program=self._care_name_for_user(program),
                )
            )

    def _fulfil_points(self):
        for gesture in self.filtered(lambda g: not g.points_history_id):
            card = gesture.company_id._care_points_card(gesture.partner_id)
            history = card._care_credit_points(
                gesture.points, self.env._("Gesture %(name)s", name=gesture.name), gesture
            )
            gesture._write_workflow({"points_history_id": history.id})

    def _undo_points(self):
        self._reverse_points(
            "points_history_id", lambda g: g.env._("Gesture %(name)s cancelled", name=g.name)
        )
