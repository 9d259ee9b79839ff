from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount

# Score a repair or financial gesture gets from a high (2) or very high (3) priority ticket.
SEVERITY_SCORE = {2: 10, 3: 25}


class LoyaltyGesturePortrait(models.Model):
    """A named customer profile ("Portrait de Gestes Commerciaux").

    A customer matches a portrait when all its criteria hold on the customer's metrics
    (``res.partner._care_metrics``); the portrait's gesture types then rank higher.
    """

    _name = "loyalty.gesture.portrait"
    _description = "Customer portrait"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share it between companies.",
    )
    description = fields.Text(translate=True)
    criterion_ids = fields.One2many(
        "loyalty.gesture.portrait.criterion", "portrait_id", string="Criteria", copy=True
    )
    type_ids = fields.Many2many(
        "loyalty.gesture.type",
        string="Suitable gestures",
        check_company=True,
        help="Gesture types that suit customers of this portrait; they are recommended first.",
    )
    weight = fields.Integer(
        default=10, help="Score a suitable gesture type gets from this portrait when ranking."
    )

    _sql_constraints = [
        ("weight_positive", "CHECK(weight >= 0)", "A portrait's weight cannot be negative."),
    ]

    # --- Matching ---

    @api.model
    def _match_partners(self, partners=None, metrics=None):
        """Portraits of each customer: ``{commercial_partner_id: portraits}``.

        :param metrics: figures already computed by ``res.partner._care_metrics``
        """
        if metrics is None:
            metrics = partners._care_metrics()
        company = self.env.company
        portraits = self.search(
            [("company_id", "in", [company.id, False]), ("criterion_ids", "!=", False)]
        )
        return {
            partner_id: portraits.filtered(
                lambda p, row=row: all(c._holds(row) for c in p.criterion_ids)
            )
            for partner_id, row in metrics.items()
        }

    # --- Recommendation ---

    @api.model
    def _recommend(self, partner, ticket=None, channel=None, company=None, gesture_types=None):
        """Every gesture type for this customer and ticket, best first.

        :return: list of dicts ``type``, ``score``, ``reasons`` (sentences), ``allowed``,
            ``value`` (default value capped by the charter), ``evaluation``, ``portraits``
            (the customer's)
        """
        charter = self.env["loyalty.gesture.charter"]
        ticket = ticket or self.env["helpdesk.ticket"]
        context = charter._evaluation_context(partner, ticket, channel, company)
        company = context["company"]
        if gesture_types is None:
            gesture_types = self.env["loyalty.gesture.type"].search(
                [("company_id", "in", [company.id, False])]
            )
        priority = int(ticket.priority or 0) if ticket else None
        recommendations = []
        for gesture_type in gesture_types:
            score, reasons = 0, []
            for portrait in context["portraits"]:
                if gesture_type in portrait.type_ids:
                    score += portrait.weight
                    reasons.append(self.env._('Suits the portrait "%(name)s".', name=portrait.name))
            if (
                priority is not None
                and priority >= 2
                and gesture_type.category
                in (
                    "repair",
                    "financial",
                )
            ):
                score += SEVERITY_SCORE[priority]
                reasons.append(
                    self.env._("A high-priority ticket calls for repair or compensation.")
                )
            elif priority is not None and priority == 0 and gesture_type.category == "attentive":
                score += 5
                reasons.append(self.env._("A minor issue calls for an attentive gesture."))
            rule = context["rule"]
            if rule and gesture_type in rule.allowed_type_ids:
                score += 5
            evaluation = charter._evaluate_in_context(
                context, gesture_type, gesture_type.default_value
            )
            value = gesture_type.default_value
            if evaluation["max_value"] is not None:
                value = min(value, evaluation["max_value"])
            if not evaluation["allowed"] and value != gesture_type.default_value:
                # The default value is over a cap: the capped value may still be allowed.
                capped = charter._evaluate_in_context(context, gesture_type, value)
                evaluation = capped if capped["allowed"] else evaluation
            recommendations.append(
                {
                    "type": gesture_type,
                    "score": score,
                    "reasons": reasons + evaluation["reasons"],
                    "allowed": evaluation["allowed"],
                    "value": value,
                    "evaluation": evaluation,
                    "portraits": context["portraits"],
                }
            )
        recommendations.sort(key=lambda r: (not r["allowed"], -r["score"], r["type"].sequence))
        return recommendations

    @api.model
    def _rank_gesture_types(self, partner, ticket=None, channel=None, company=None):
        """Allowed gesture types for this customer and ticket, best first.

        :return: list of ``(gesture_type, score, reasons)``
        """
        return [
            (r["type"], r["score"], r["reasons"])
            for r in self._recommend(partner, ticket=ticket, channel=channel, company=company)
            if r["allowed"]
        ]

    @api.model
    def _recommendation_html(self, partner, ticket=None, company=None):
        """The recommendation as the agent reads it: portraits, ranked and blocked gestures."""
        recommendations = self._recommend(partner, ticket=ticket, company=company)
        if not recommendations:
            return False
        evaluation = recommendations[0]["evaluation"]
        company = company or (ticket and ticket.company_id) or self.env.company
        portraits = recommendations[0]["portraits"]
        parts = []
        if portraits:
            parts.append(
                Markup("<p><strong>%s</strong> %s</p>")
                % (self.env._("Portraits:"), ", ".join(portraits.mapped("name")))
            )
        if evaluation["metrics"].get("gesture_abuse"):
            parts.append(
                Markup('<p class="alert alert-warning">%s</p>')
                % self.env._(
                    "This customer collects far more gestures than other customers: "
                    "a manager approves their gestures."
                )
            )

        def item(rec, reasons):
            value = format_amount(self.env, rec["value"], company.currency_id)
            return Markup("<li><strong>%s</strong> (%s)<ul>%s</ul></li>") % (
                rec["type"].display_name,
                value,
                Markup().join(Markup("<li>%s</li>") % reason for reason in reasons),
            )

        allowed = [r for r in recommendations if r["allowed"]]
        blocked = [r for r in recommendations if not r["allowed"]]
        if allowed:
            parts.append(
                Markup("<p><strong>%s</strong></p>") % self.env._("Recommended, best first:")
            )
            parts.append(
                Markup("<ol>%s</ol>") % Markup().join(item(r, r["reasons"]) for r in allowed)
            )
        if blocked:
            parts.append(Markup("<p><strong>%s</strong></p>") % self.env._("Not allowed here:"))
            parts.append(
                Markup('<ul class="text-muted">%s</ul>')
                % Markup().join(item(r, r["evaluation"]["blocked_reasons"]) for r in blocked)
            )
        return Markup().join(parts)
