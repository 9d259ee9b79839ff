from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    care_return_window_days = fields.Integer(
        related="company_id.care_return_window_days", readonly=False
    )
    care_exploration_rate = fields.Float(related="company_id.care_exploration_rate", readonly=False)
    care_effects_computed_on = fields.Datetime(related="company_id.care_effects_computed_on")
