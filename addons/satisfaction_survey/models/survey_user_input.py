from odoo import fields, models


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    # The request an answer belongs to: Care users see an answer through its request's
    # company (surveys have no company), see security/satisfaction_survey_security.xml.
    satisfaction_request_ids = fields.One2many(
        "satisfaction.request",
        "user_input_id",
        string="Satisfaction requests",
        readonly=True,
        groups="loyalty_gesture.group_care_agent",
    )
