from odoo import fields, models


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    satisfaction_kind = fields.Selection(
        [("csat", "CSAT (1-5)"), ("nps", "NPS (0-10)")],
        string="Satisfaction kind",
        help="Makes this survey usable for one-click satisfaction requests: its first "
        "scale question holds the score, its first text question the comment.",
    )

    def _satisfaction_questions(self):
        """The (score question, comment question) of a satisfaction survey."""
        self.ensure_one()
        questions = self.question_ids
        score = questions.filtered(lambda q: q.question_type == "scale")[:1]
        comment = questions.filtered(lambda q: q.question_type in ("text_box", "char_box"))[:1]
        return score, comment
