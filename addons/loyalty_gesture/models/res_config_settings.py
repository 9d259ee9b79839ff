from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    care_agent_gesture_limit = fields.Monetary(
        related="company_id.care_agent_gesture_limit", readonly=False
    )
    care_gift_value_source = fields.Selection(
        related="company_id.care_gift_value_source", readonly=False
    )
    care_follow_up_days = fields.Integer(related="company_id.care_follow_up_days", readonly=False)
    care_points_program_id = fields.Many2one(
        related="company_id.care_points_program_id",
        readonly=False,
        domain="[('program_type', '=', 'loyalty'), ('company_id', 'in', (company_id, False))]",
    )
    care_contact_max = fields.Integer(related="company_id.care_contact_max", readonly=False)
    care_contact_window_days = fields.Integer(
        related="company_id.care_contact_window_days", readonly=False
    )
    care_tier_silver_revenue = fields.Monetary(
        related="company_id.care_tier_silver_revenue", readonly=False
    )
    care_tier_gold_revenue = fields.Monetary(
        related="company_id.care_tier_gold_revenue", readonly=False
    )
    care_tier_vip_revenue = fields.Monetary(
        related="company_id.care_tier_vip_revenue", readonly=False
    )
    care_abuse_factor = fields.Float(related="company_id.care_abuse_factor", readonly=False)
    care_abuse_min_count = fields.Integer(related="company_id.care_abuse_min_count", readonly=False)
