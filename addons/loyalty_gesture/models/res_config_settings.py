from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    care_follow_up_days = fields.Integer(related="company_id.care_follow_up_days", readonly=False)
    care_points_program_id = fields.Many2one(
        related="company_id.care_points_program_id", readonly=False
    )
    care_agent_gesture_limit = fields.Monetary(
        related="company_id.care_agent_gesture_limit", readonly=False
    )
    care_contact_max = fields.Integer(related="company_id.care_contact_max", readonly=False)
    care_contact_window_days = fields.Integer(
        related="company_id.care_contact_window_days", readonly=False
    )
