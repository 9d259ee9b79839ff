from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    winback_at_risk_factor = fields.Float(
        related="company_id.winback_at_risk_factor", readonly=False
    )
    winback_at_risk_risk = fields.Integer(related="company_id.winback_at_risk_risk", readonly=False)
    winback_revenue_drop = fields.Float(related="company_id.winback_revenue_drop", readonly=False)
    winback_dormant_factor = fields.Float(
        related="company_id.winback_dormant_factor", readonly=False
    )
    winback_lost_factor = fields.Float(related="company_id.winback_lost_factor", readonly=False)
    winback_lost_risk = fields.Integer(related="company_id.winback_lost_risk", readonly=False)
    winback_horizon_days = fields.Integer(related="company_id.winback_horizon_days", readonly=False)
