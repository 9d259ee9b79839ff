from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    satisfaction_window_days = fields.Integer(
        related="company_id.satisfaction_window_days", readonly=False
    )
    satisfaction_token_days = fields.Integer(
        related="company_id.satisfaction_token_days", readonly=False
    )
    satisfaction_loop_days = fields.Integer(
        related="company_id.satisfaction_loop_days", readonly=False
    )
    satisfaction_repair_type_id = fields.Many2one(
        related="company_id.satisfaction_repair_type_id", readonly=False
    )
    satisfaction_ticket_trigger = fields.Boolean(
        related="company_id.satisfaction_ticket_trigger", readonly=False
    )
    satisfaction_ticket_survey_id = fields.Many2one(
        related="company_id.satisfaction_ticket_survey_id", readonly=False
    )
    satisfaction_ticket_delay = fields.Integer(
        related="company_id.satisfaction_ticket_delay", readonly=False
    )
    satisfaction_invoice_trigger = fields.Boolean(
        related="company_id.satisfaction_invoice_trigger", readonly=False
    )
    satisfaction_invoice_survey_id = fields.Many2one(
        related="company_id.satisfaction_invoice_survey_id", readonly=False
    )
    satisfaction_invoice_delay = fields.Integer(
        related="company_id.satisfaction_invoice_delay", readonly=False
    )
    satisfaction_gesture_trigger = fields.Boolean(
        related="company_id.satisfaction_gesture_trigger", readonly=False
    )
    satisfaction_gesture_survey_id = fields.Many2one(
        related="company_id.satisfaction_gesture_survey_id", readonly=False
    )
    satisfaction_gesture_delay = fields.Integer(
        related="company_id.satisfaction_gesture_delay", readonly=False
    )
    satisfaction_reminder_days = fields.Integer(
        related="company_id.satisfaction_reminder_days", readonly=False
    )
    satisfaction_relationship_trigger = fields.Boolean(
        related="company_id.satisfaction_relationship_trigger", readonly=False
    )
    satisfaction_relationship_survey_id = fields.Many2one(
        related="company_id.satisfaction_relationship_survey_id", readonly=False
    )
    satisfaction_relationship_months = fields.Integer(
        related="company_id.satisfaction_relationship_months", readonly=False
    )
    satisfaction_relationship_daily_cap = fields.Integer(
        related="company_id.satisfaction_relationship_daily_cap", readonly=False
    )
