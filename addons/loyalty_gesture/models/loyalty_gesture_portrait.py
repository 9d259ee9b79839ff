from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount

from .care_helpers import search_prefetched
from .loyalty_gesture import SEVERITY_FROM_PRIORITY
from .loyalty_gesture_effect import MIN_CASES, REPEAT_COMPLAINTS, cell_key

# Score a repair or financial gesture gets from a high (2) or very high (3) priority ticket.
SEVERITY_SCORE = {2: 10, 3: 25}


class LoyaltyGesturePortrait(models.Model):
    """A named customer profile ("Portrait de Gestes Commerciaux").

    A customer matches a portrait when all its criteria hold on the customer's metrics
    (``res.partner._care_metrics``); the portrait's gesture types then rank higher.
    """

    _name = "loyalty.gesture.portrait"
    _inherit = ["care.number.guard"]
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
        portraits = search_prefetched(
            self, [("company_id", "in", [company.id, False]), ("criterion_ids", "!=", False)]
        )
        # every portrait's criteria in one query (the portraits' ``criterion_ids``)
        criteria = search_prefetched(
            self.env["loyalty.gesture.portrait.criterion"], [("portrait_id", "in", portraits.ids)]
        ).grouped("portrait_id")
        return {
            partner_id: portraits.filtered(
                lambda p, row=row: all(c._holds(row) for c in criteria.get(p, ()))
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
        cache = self.env.context.get("care_evaluation_cache")
        if gesture_types is None and isinstance(cache, dict):
            # one form refresh ranks the customer's gestures once (types, default, text)
            key = ("recommend", partner.commercial_partner_id.id, ticket.id if ticket else 0)
            key += (channel.id if channel else 0, company.id if company else 0)
            if key not in cache:
                cache[key] = self._recommend_all(partner, ticket, channel, company, None)
            return cache[key]
        return self._recommend_all(partner, ticket, channel, company, gesture_types)

    @api.model
    def _recommend_all(self, partner, ticket, channel, company, gesture_types):
        charter = self.env["loyalty.gesture.charter"]
        ticket = ticket or self.env["helpdesk.ticket"]
        context = charter._evaluation_context(partner, ticket, channel, company)
        company = context["company"]
        if gesture_types is None:
            gesture_types = search_prefetched(
                self.env["loyalty.gesture.type"], [("company_id", "in", [company.id, False])]
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
        if self._apply_effects(context, ticket, recommendations):
            # learned: the charter and the agent's limit first, then the expected net value
            recommendations.sort(
                key=lambda r: (
                    not r["allowed"],
                    r["evaluation"]["needs_approval"],
                    -r["effect"]["net_value"],
                    -r["score"],
                    r["type"].sequence,
                )
            )
        else:
            recommendations.sort(key=lambda r: (not r["allowed"], -r["score"], r["type"].sequence))
        return recommendations

    @api.model
    def _case_key(self, context, ticket):
        """The kind of case of the customer in front of the agent, from the metrics registry
        (tier, tickets over 12 months and, with satisfaction_survey, the detractor flag)."""
        metrics = context["metrics"]
        return cell_key(
            SEVERITY_FROM_PRIORITY.get(ticket.priority, "medium") if ticket else "medium",
            ticket.team_id.id if ticket else 0,
            metrics.get("tier"),
            metrics.get("is_detractor"),
            (metrics.get("ticket_count_12m") or 0) >= REPEAT_COMPLAINTS,
        )

    @api.model
    def _apply_effects(self, context, ticket, recommendations):
        """Put on each recommendation what similar past cases say (``effect``): the shrunk
        return rate, the baseline, the cost and the expected net value per case.

        :return: whether there is enough history to rank by it (else the charter's order)
        """
        company = context["company"]
        key = self._case_key(context, ticket)
        cache = self.env.context.get("care_evaluation_cache")
        cache = cache if isinstance(cache, dict) else {}
        if ("effects", company.id, key) not in cache:
            cache["effects", company.id, key] = self.env[
                "loyalty.gesture.effect"
            ]._effects_for_case(company, key)
        effects = cache["effects", company.id, key]
        overall = [e["type"] for e in effects.values() if e["type"]]
        total = sum(e.case_count for e in overall)
        history = sum(e.case_count for e in overall if e.type_id)
        global_rate = 100.0 * sum(e.return_count for e in overall) / total if total else 0.0
        baseline = effects.get(0) or {}
        base = baseline.get("case") or baseline.get("type")
        return_value = overall[0].return_value if overall else 0.0
        for rec in recommendations:
            found = effects.get(rec["type"].id) or {}
            effect = found.get("case") or found.get("type")
            rate = effect.return_rate if effect else global_rate
            base_rate = base.return_rate if base else None
            cost = rec["value"] + rec["type"].unit_cost
            rec["effect"] = {
                "rate": rate,
                "low": effect.return_rate_low if effect else None,
                "high": effect.return_rate_high if effect else None,
                "cases": found["case"].case_count if found.get("case") else 0,
                "type_cases": found["type"].case_count if found.get("type") else 0,
                "baseline": base_rate,
                "baseline_cases": base.case_count if base else 0,
                "cost": cost,
                "net_value": (rate - (base_rate or 0.0)) / 100.0 * return_value - cost,
                "history": history,
                "learned": history >= MIN_CASES,
            }
        return history >= MIN_CASES

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
    def _recommendation_html(self, partner, ticket=None, company=None, top=3):
        """The recommendation as the agent reads it: the best ``top`` gestures with what
        similar past cases say, why the others are lower, and what the charter forbids."""
        recommendations = self._recommend(partner, ticket=ticket, company=company)
        if not recommendations:
            return False
        evaluation = recommendations[0]["evaluation"]
        company = company or (ticket and ticket.company_id) or self.env.company
        portraits = recommendations[0]["portraits"]
        learned = recommendations[0]["effect"]["learned"]
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
        allowed = [r for r in recommendations if r["allowed"]]
        blocked = [r for r in recommendations if not r["allowed"]]
        best, lower = allowed[:top], allowed[top:]
        if learned and best:
            parts.append(self._learned_summary(best, company))
        elif allowed:
            parts.append(
                Markup('<p class="text-muted">%s</p>')
                % self.env._(
                    "Too little history to learn from (%(count)s past gestures with a known "
                    "outcome, %(min)s needed): the gestures follow the charter's order.",
                    count=recommendations[0]["effect"]["history"],
                    min=MIN_CASES,
                )
            )

        def item(rec, reasons):
            value = format_amount(self.env, rec["value"], company.currency_id)
            return Markup("<li><strong>%s</strong> (%s)<ul>%s</ul></li>") % (
                rec["type"].display_name,
                value,
                Markup().join(Markup("<li>%s</li>") % reason for reason in reasons),
            )

        if best:
            parts.append(
                Markup("<p><strong>%s</strong></p>") % self.env._("Recommended, best first:")
            )
            parts.append(
                Markup("<ol>%s</ol>")
                % Markup().join(
                    item(r, ([self._effect_sentence(r, company)] if learned else []) + r["reasons"])
                    for r in best
                )
            )
        if lower:
            parts.append(Markup("<p><strong>%s</strong></p>") % self.env._("Lower:"))
            parts.append(
                Markup('<ul class="text-muted">%s</ul>')
                % Markup().join(item(r, [self._lower_reason(r, best, company)]) for r in lower)
            )
        if blocked:
            parts.append(Markup("<p><strong>%s</strong></p>") % self.env._("Not allowed here:"))
            parts.append(
                Markup('<ul class="text-muted">%s</ul>')
                % Markup().join(item(r, r["evaluation"]["blocked_reasons"]) for r in blocked)
            )
        return Markup().join(parts)

    def _percent(self, rate):
        return "%d" % round(rate or 0.0)

    @api.model
    def _learned_summary(self, best, company):
        """ "Customers like this one came back 62 % of the time after X, 41 % after Y." """
        first, *others = best
        sentence = self.env._(
            "Customers like this one came back %(rate)s %% of the time after %(type)s",
            rate=self._percent(first["effect"]["rate"]),
            type=first["type"].display_name,
        )
        for rec in others:
            sentence += ", " + self.env._(
                "%(rate)s %% after %(type)s",
                rate=self._percent(rec["effect"]["rate"]),
                type=rec["type"].display_name,
            )
        effect = first["effect"]
        if effect["baseline"] is not None:
            sentence += "; " + self.env._(
                "%(rate)s %% of similar tickets without a gesture (%(count)s tickets)",
                rate=self._percent(effect["baseline"]),
                count=effect["baseline_cases"],
            )
        caveat = self.env._(
            "Observed in the company's past cases: an association, not a proven cause."
        )
        return Markup('<p>%s.<br/><span class="text-muted">%s</span></p>') % (sentence, caveat)

    @api.model
    def _effect_sentence(self, rec, company):
        """One gesture's figures in words, with the number of cases they rest on."""
        effect = rec["effect"]
        money = company.currency_id
        if not effect["type_cases"]:
            return self.env._(
                "Never granted yet: counted at the average return rate of %(rate)s %%; "
                "costs %(cost)s.",
                rate=self._percent(effect["rate"]),
                cost=format_amount(self.env, effect["cost"], money),
            )
        return self.env._(
            "Came back %(rate)s %% of the time (95 %% interval %(low)s to %(high)s %%); costs "
            "%(cost)s; expected net value %(net)s per case — based on %(cases)s past cases "
            "like this one, %(total)s in all.",
            rate=self._percent(effect["rate"]),
            low=self._percent(effect["low"]),
            high=self._percent(effect["high"]),
            cost=format_amount(self.env, effect["cost"], money),
            net=format_amount(self.env, effect["net_value"], money),
            cases=effect["cases"],
            total=effect["type_cases"],
        )

    @api.model
    def _lower_reason(self, rec, best, company):
        """Why a gesture allowed here is not among the first ones."""
        effect = rec["effect"]
        if rec["evaluation"]["needs_approval"] and not any(
            r["evaluation"]["needs_approval"] for r in best
        ):
            return rec["evaluation"]["approval_reasons"][0]
        if not effect["learned"]:
            return self.env._("Fits this case less well in the charter's order.")
        if not effect["type_cases"]:
            return self.env._("Never granted yet: no figures of its own.")
        return self.env._(
            "Lower expected net value: came back %(rate)s %% of the time, costs %(cost)s, "
            "%(net)s per case (%(cases)s past cases).",
            rate=self._percent(effect["rate"]),
            cost=format_amount(self.env, effect["cost"], company.currency_id),
            net=format_amount(self.env, effect["net_value"], company.currency_id),
            cases=effect["type_cases"],
        )
