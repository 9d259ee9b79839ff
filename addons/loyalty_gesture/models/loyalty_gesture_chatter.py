from odoo import models


class LoyaltyGesture(models.Model):
    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _creation_message(self):
        # mail builds "<model description> created" from ir.model's name, which has no
        # translation yet while the module installs (its demo gestures): a whole sentence
        # from this module's translations instead, never half French, half English
        return self.env._("Gesture created")
