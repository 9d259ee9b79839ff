from odoo import api, models
from odoo.tools import format_amount


class LoyaltyGestureCharter(models.Model):
    """One evaluation of the charter for one case: the matching rule's allowed gestures and
    maximum value, the customer's caps over 12 months, and whether a manager approves."""

    _inherit = "loyalty.gesture.charter"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _evaluate_in_context(self, context, gesture_type, value):
        """Evaluate one gesture type and value in a context from :meth:`_evaluation_context`."""
        result = {
            "allowed": True,
            "max_value": gesture_type.max_value or None,
            "cap_count_left": None,
            "cap_value_left": None,
            "needs_approval": False,
            "reasons": [],
            "blocked_reasons": [],
            "approval_reasons": [],
            "rule": context["rule"],
            "metrics": context["metrics"],
        }
        info = []
        rule = context["rule"]
        if rule:
            descriptions = context.get("descriptions", {})  # a batch's: once per rule
            if rule.id not in descriptions:
                descriptions[rule.id] = rule._describe_conditions()
            info.append(
                self.env._(
                    'Charter rule "%(rule)s" applies (%(conditions)s).',
                    rule=rule.name,
                    conditions=descriptions[rule.id],
                )
            )
        else:
            info.append(self.env._("No charter rule applies: the agent limit decides."))
        self._evaluate_value(context, gesture_type, value, result)
        if rule:
            self._evaluate_caps(context, value, result, info)
        self._evaluate_approval(context, value, result)
        result["allowed"] = not result["blocked_reasons"]
        result["needs_approval"] = bool(result["approval_reasons"])
        result["reasons"] = (
            info[:1] + result["blocked_reasons"] + result["approval_reasons"] + info[1:]
        )
        return result

    def _money(self, context, amount):
        return format_amount(self.env, amount, context["company"].currency_id)

    @api.model
    def _evaluate_value(self, context, gesture_type, value, result):
        """The gesture type and its value: type's maximum, allowed types, rule's maximum."""
        rule, blocked = context["rule"], result["blocked_reasons"]
        if value < 0:
            blocked.append(self.env._("Blocked: a gesture cannot have a negative value."))
        if gesture_type.max_value and value > gesture_type.max_value:
            blocked.append(
                self.env._(
                    'Blocked: %(value)s is above the maximum of %(max)s for "%(type)s".',
                    value=self._money(context, value),
                    max=self._money(context, gesture_type.max_value),
                    type=gesture_type.display_name,
                )
            )
        if not rule:
            return
        allowed_types = rule.with_context(active_test=False).allowed_type_ids
        if allowed_types and gesture_type not in allowed_types:
            blocked.append(
                self.env._(
                    'Blocked: the charter does not allow "%(type)s" in this case '
                    "(allowed: %(types)s).",
                    type=gesture_type.display_name,
                    types=", ".join(allowed_types.mapped("display_name")),
                )
            )
        if rule.allowed_category and gesture_type.category != rule.allowed_category:
            categories = dict(rule._fields["allowed_category"]._description_selection(self.env))
            blocked.append(
                self.env._(
                    "Blocked: the charter allows only %(category)s gestures in this case.",
                    category=categories[rule.allowed_category].lower(),
                )
            )
        if rule.max_value:
            result["max_value"] = min(result["max_value"] or rule.max_value, rule.max_value)
            if value > rule.max_value:
                blocked.append(
                    self.env._(
                        "Blocked: %(value)s is above the charter's maximum of %(max)s.",
                        value=self._money(context, value),
                        max=self._money(context, rule.max_value),
                    )
                )

    @api.model
    def _evaluate_caps(self, context, value, result, info):
        """Caps per customer over a rolling 12 months, and the delay between two gestures."""
        rule, metrics, blocked = context["rule"], context["metrics"], result["blocked_reasons"]
        count = metrics.get("gesture_count_12m", 0)
        granted = metrics.get("gesture_value_12m", 0.0)
        if rule.cap_count:
            left = result["cap_count_left"] = max(rule.cap_count - count, 0)
            if not left:
                blocked.append(
                    self.env._(
                        "Blocked: %(count)s gestures in the last 12 months, "
                        "the charter allows %(cap)s.",
                        count=count,
                        cap=rule.cap_count,
                    )
                )
            else:
                info.append(
                    self.env._(
                        "%(count)s gestures in the last 12 months, %(left)s more allowed.",
                        count=count,
                        left=left,
                    )
                )
        if rule.cap_value:
            left = result["cap_value_left"] = max(rule.cap_value - granted, 0.0)
            result["max_value"] = min(result["max_value"] or left, left)
            if value > left:
                blocked.append(
                    self.env._(
                        "Blocked: %(granted)s already granted in the last 12 months; "
                        "%(value)s more would exceed the charter's %(cap)s.",
                        granted=self._money(context, granted),
                        value=self._money(context, value),
                        cap=self._money(context, rule.cap_value),
                    )
                )
        days = metrics.get("days_since_last_gesture")
        if rule.min_days_between and days is not None and days < rule.min_days_between:
            blocked.append(
                self.env._(
                    "Blocked: the last gesture was %(days)s days ago, the charter requires "
                    "%(min)s days between two gestures.",
                    days=days,
                    min=rule.min_days_between,
                )
            )

    @api.model
    def _evaluate_approval(self, context, value, result):
        """Whether a manager must approve: the rule, else the agent limit; the abuse guard."""
        rule, metrics, company = context["rule"], context["metrics"], context["company"]
        approval = result["approval_reasons"]
        mode = rule.approval_mode if rule else "limit"
        if mode == "always":
            approval.append(
                self.env._(
                    "Approval needed: the charter requires a manager's approval in this case."
                )
            )
        elif mode == "above" and value > rule.approval_above:
            approval.append(
                self.env._(
                    "Approval needed: the charter requires a manager's approval above %(limit)s.",
                    limit=self._money(context, rule.approval_above),
                )
            )
        elif mode == "limit" and value > company.care_agent_gesture_limit:
            approval.append(
                self.env._(
                    "Approval needed: %(value)s is above the agent limit of %(limit)s.",
                    value=self._money(context, value),
                    limit=self._money(context, company.care_agent_gesture_limit),
                )
            )
        if metrics.get("gesture_abuse"):
            approval.append(
                self.env._(
                    "Approval needed: %(count)s gestures in the last 12 months, far more "
                    "than other customers (typically %(median)s).",
                    count=metrics.get("gesture_count_12m", 0),
                    median=round(metrics.get("gesture_median_count_12m", 0.0), 1),
                )
            )
