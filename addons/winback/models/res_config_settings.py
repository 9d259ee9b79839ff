from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    winback_at_risk_factor = fields.Float(
        related="company_id.winback_at_risk_factor", readonly=False
    )
    winback_revenue_drop = fields.Float(related="company_id.winback_revenue_drop", readonly=False)
    winback_dormant_days = fields.Integer(related="company_id.winback_dormant_days", readonly=False)
    winback_lost_days = fields.Integer(related="company_id.winback_lost_days", readonly=False)
    winback_horizon_days = fields.Integer(related="company_id.winback_horizon_days", readonly=False)
