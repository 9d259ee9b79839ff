from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """Settings of the recommendations that learn from past gestures."""

    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    care_effects_computed_on = fields.Datetime(
        string="Gesture effects computed on",
        readonly=True,
        copy=False,
        help="When the measured effects of the gestures were last computed (nightly, or "
        "Recompute now, in the background).",
    )
    care_return_window_days = fields.Integer(
        string="Return window (days)",
        default=90,
        help="A customer who orders again within this many days after a gesture (or a "
        "ticket) counts as having come back.",
    )
    care_exploration_rate = fields.Float(
        string="Exploration share (%)",
        default=0.0,
        help="Share of cases where the grant wizard suggests the second-best allowed "
        "gesture instead of the best, so that the effects of every gesture keep being "
        "measured. 0 turns exploration off.",
    )

    @api.constrains("care_return_window_days", "care_exploration_rate")
    def _check_recommendation_settings(self):
        if any(c.care_return_window_days < 1 or c.care_return_window_days > 730 for c in self):
            raise ValidationError(self.env._("The return window is between 1 and 730 days."))
        if any(not 0.0 <= c.care_exploration_rate <= 100.0 for c in self):
            raise ValidationError(
                self.env._("The exploration share is between 0 and 100 % of the cases.")
            )
