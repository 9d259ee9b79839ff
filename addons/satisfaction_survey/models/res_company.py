from odoo import fields, models

DEFAULT_SURVEYS = {
    "ticket": "satisfaction_survey.survey_csat",
    "invoice": "satisfaction_survey.survey_nps",
    "gesture": "satisfaction_survey.survey_csat",
    "relationship": "satisfaction_survey.survey_nps",
}


class ResCompany(models.Model):
    _inherit = "res.company"

    satisfaction_window_days = fields.Integer(
        string="Survey window (days)",
        default=30,
        help="At most one satisfaction survey per customer within this many days, "
        "whatever triggered it.",
    )
    satisfaction_token_days = fields.Integer(
        string="Answer link validity (days)",
        default=30,
        help="The answer links of a survey email stop working after this many days.",
    )
    satisfaction_reminder_days = fields.Integer(
        string="Reminder after (days)",
        default=3,
        help="One reminder at most, this many days after an unanswered survey. 0: none.",
    )
    satisfaction_loop_days = fields.Integer(
        string="Follow-up deadline (days)",
        default=2,
        help="An unhappy answer opens a follow-up activity due after this many days.",
    )
    satisfaction_repair_type_id = fields.Many2one(
        "loyalty.gesture.type",
        string="Suggested repair gesture",
        help="Gesture suggested to the owner of an unhappy answer. Empty: the first "
        "repair gesture type of the catalog.",
    )
    satisfaction_ticket_trigger = fields.Boolean(
        string="Survey after a closed ticket", default=True
    )
    satisfaction_ticket_survey_id = fields.Many2one(
        "survey.survey", string="Ticket survey", domain=[("satisfaction_kind", "!=", False)]
    )
    satisfaction_ticket_delay = fields.Integer(string="Ticket survey delay (days)", default=0)
    satisfaction_invoice_trigger = fields.Boolean(string="Survey after an invoiced order")
    satisfaction_invoice_survey_id = fields.Many2one(
        "survey.survey", string="Order survey", domain=[("satisfaction_kind", "!=", False)]
    )
    satisfaction_invoice_delay = fields.Integer(string="Order survey delay (days)", default=7)
    satisfaction_gesture_trigger = fields.Boolean(string="Survey after a gesture", default=True)
    satisfaction_gesture_survey_id = fields.Many2one(
        "survey.survey", string="Gesture survey", domain=[("satisfaction_kind", "!=", False)]
    )
    satisfaction_gesture_delay = fields.Integer(string="Gesture survey delay (days)", default=7)
    satisfaction_relationship_trigger = fields.Boolean(
        string="Relationship NPS", help="Ask active customers for an NPS every few months."
    )
    satisfaction_relationship_survey_id = fields.Many2one(
        "survey.survey",
        string="Relationship survey",
        domain=[("satisfaction_kind", "!=", False)],
    )
    satisfaction_relationship_months = fields.Integer(
        string="Relationship NPS every (months)", default=6
    )
    satisfaction_relationship_daily_cap = fields.Integer(
        string="Relationship NPS per day",
        default=50,
        help="Large customer bases are asked over several days instead of in one burst.",
    )

    _sql_constraints = [
        (
            "satisfaction_days_positive",
            "CHECK(satisfaction_window_days >= 0 AND satisfaction_token_days > 0 "
            "AND satisfaction_loop_days >= 0 AND satisfaction_ticket_delay >= 0 "
            "AND satisfaction_invoice_delay >= 0 AND satisfaction_gesture_delay >= 0 "
            "AND satisfaction_reminder_days >= 0 AND satisfaction_relationship_months > 0 "
            "AND satisfaction_relationship_daily_cap >= 0)",
            "Survey delays, windows and caps cannot be negative; answer links must last "
            "at least one day and relationship surveys come at least one month apart.",
        ),
    ]

    def _satisfaction_trigger(self, trigger):
        """``(active, survey, delay_days)`` of ``trigger``.

        ``trigger``: ticket, invoice, gesture or relationship (sent without delay).
        """
        self.ensure_one()
        survey = self[f"satisfaction_{trigger}_survey_id"] or self.env.ref(
            DEFAULT_SURVEYS[trigger], raise_if_not_found=False
        )
        return (
            self[f"satisfaction_{trigger}_trigger"],
            survey,
            self[f"satisfaction_{trigger}_delay"] if trigger != "relationship" else 0,
        )

    def _satisfaction_repair_type(self):
        """The gesture type suggested to repair an unhappy answer, if any."""
        self.ensure_one()
        if self.satisfaction_repair_type_id:
            return self.satisfaction_repair_type_id
        return (
            self.env["loyalty.gesture.type"]
            .sudo()  # sudo: a suggestion read by the cron or a public answer
            .search([("category", "=", "repair"), ("company_id", "in", [False, self.id])], limit=1)
        )
