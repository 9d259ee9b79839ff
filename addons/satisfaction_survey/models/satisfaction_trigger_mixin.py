from odoo import models


class SatisfactionTriggerMixin(models.AbstractModel):
    """A record whose event (ticket closed, gesture done) asks its customer for a survey.

    The model names its trigger in ``_survey_trigger`` and says, in
    ``_satisfaction_reaching``, which records a write brings to the event: their
    requests are created once the write is done.
    """

    _name = "satisfaction.trigger.mixin"
    _description = "Asks for a satisfaction survey after an event"
    _survey_trigger = None

    def _satisfaction_reaching(self, vals):
        """The records of ``self`` that writing ``vals`` brings to the event."""
        return self.browse()

    def _satisfaction_request_values(self):
        """Who a satisfaction request about this record goes to, and who owns it."""
        self.ensure_one()
        return {"partner_id": self.partner_id.id, "company_id": self.company_id.id}

    def write(self, vals):
        reaching = self._satisfaction_reaching(vals)
        res = super().write(vals)
        if reaching:
            self.env["satisfaction.request"]._create_from_trigger(self._survey_trigger, reaching)
        return res
