from odoo import api, fields, models
from odoo.exceptions import ValidationError

NUMERIC = ("integer", "float", "monetary")
TRUE_WORDS = ("1", "true", "yes", "y")


class LoyaltyGesturePortraitCriterion(models.Model):
    """A condition on one customer metric (``res.partner._care_metric_definitions``).

    The metric list grows with the installed modules: satisfaction_survey adds the last
    NPS/CSAT, winback the customer status and churn risk.
    """

    _name = "loyalty.gesture.portrait.criterion"
    _inherit = ["care.number.guard"]
    _description = "Customer portrait criterion"
    _order = "portrait_id, id"

    portrait_id = fields.Many2one(
        "loyalty.gesture.portrait", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="portrait_id.company_id", store=True, index=True)
    metric = fields.Selection(selection="_selection_metric", required=True)
    operator = fields.Selection(
        [
            (">=", "at least"),
            (">", "more than"),
            ("<=", "at most"),
            ("<", "less than"),
            ("=", "is"),
            ("!=", "is not"),
        ],
        required=True,
        default=">=",
    )
    value = fields.Char(required=True, help="A number, yes/no, or the value of a list.")
    metric_type = fields.Char(compute="_compute_metric_type")

    @api.model
    def _selection_metric(self):
        definitions = self.env["res.partner"]._care_metric_definitions()
        return [(key, label) for key, (label, _type) in definitions.items()]

    @api.depends("metric")
    def _compute_metric_type(self):
        definitions = self.env["res.partner"]._care_metric_definitions()
        for criterion in self:
            criterion.metric_type = definitions.get(criterion.metric, (None, False))[1]

    @api.constrains("metric", "operator", "value")
    def _check_value(self):
        for criterion in self:
            if criterion.metric_type in NUMERIC:
                try:
                    float(criterion.value)
                except (TypeError, ValueError) as error:
                    raise ValidationError(
                        self.env._(
                            "%(metric)s is a number: write a number, not %(value)s.",
                            metric=criterion._metric_label(),
                            value=criterion.value,
                        )
                    ) from error
            elif criterion.operator not in ("=", "!="):
                raise ValidationError(
                    self.env._(
                        "%(metric)s can only be compared with “is” or “is not”.",
                        metric=criterion._metric_label(),
                    )
                )

    def _metric_label(self):
        return dict(self._selection_metric()).get(self.metric, self.metric)

    def _holds(self, row):
        """Whether the criterion holds on one customer's metrics (unknown figure: no)."""
        self.ensure_one()
        actual = row.get(self.metric)
        if actual is None:
            return False
        if self.metric_type in NUMERIC:
            expected = float(self.value)
            actual = float(actual)
        elif self.metric_type == "boolean":
            expected = self.value.strip().lower() in TRUE_WORDS
            actual = bool(actual)
        else:
            expected, actual = self.value.strip(), str(actual)
        return {
            ">=": lambda: actual >= expected,
            ">": lambda: actual > expected,
            "<=": lambda: actual <= expected,
            "<": lambda: actual < expected,
            "=": lambda: actual == expected,
            "!=": lambda: actual != expected,
        }[self.operator]()
