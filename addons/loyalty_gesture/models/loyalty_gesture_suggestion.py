from odoo import api, fields, models
from odoo.exceptions import UserError

# Set by the grant wizard on the server (``_record_suggestion``), never by a client.
SUGGESTION_FIELDS = {
    "suggested_type_id",
    "suggested_by_exploration",
    "suggestion_probability",
    "suggestion_followed",
}


class LoyaltyGesture(models.Model):
    """What the grant wizard suggested, so that exploration can be measured."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    suggested_type_id = fields.Many2one(
        "loyalty.gesture.type", string="Suggested gesture", readonly=True, copy=False
    )
    suggested_by_exploration = fields.Boolean(
        string="Suggested to explore",
        readonly=True,
        copy=False,
        help="The wizard suggested the second-best gesture so that its effect keeps being "
        "measured (exploration share in the settings).",
    )
    suggestion_probability = fields.Float(
        string="Suggestion probability",
        readonly=True,
        copy=False,
        digits=(16, 3),
        help="Probability that the wizard suggested this gesture type in this case.",
    )
    suggestion_followed = fields.Boolean(
        string="Suggestion followed",
        readonly=True,
        copy=False,
        help="The agent granted the gesture the wizard suggested.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(SUGGESTION_FIELDS & vals.keys() for vals in vals_list):
            raise UserError(self._suggestion_refusal())
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and SUGGESTION_FIELDS & vals.keys():
            raise UserError(self._suggestion_refusal())
        return super().write(vals)

    def _suggestion_refusal(self):
        return self.env._("What the wizard suggested is recorded by the wizard itself.")

    def _record_suggestion(self, suggestion):
        """Store the wizard's suggestion (``grant.wizard._get_suggestion``) on the gesture."""
        self.ensure_one()
        # sudo: server-set fields, refused to every client (see SUGGESTION_FIELDS)
        self.sudo().write(
            {
                "suggested_type_id": suggestion["type"].id,
                "suggested_by_exploration": suggestion["exploration"],
                "suggestion_probability": suggestion["probability"],
                "suggestion_followed": suggestion["type"] == self.type_id,
            }
        )
