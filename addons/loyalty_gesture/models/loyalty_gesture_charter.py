from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .care_constants import COUNTED_STATES

# what an evaluation reads of the customer's figures besides the matching rule (see
# _evaluate_caps and _evaluate_approval): cases with the same rule and these figures
# have the same evaluation
EVALUATED_METRICS = (
    "gesture_count_12m",
    "gesture_value_12m",
    "days_since_last_gesture",
    "gesture_abuse",
    "gesture_median_count_12m",
)


class LoyaltyGestureCharter(models.Model):
    """The company's "Charte des Attentions Commerciales": ordered rules deciding which
    gestures an agent may grant, up to what value, how often, and when a manager approves.
    """

    _name = "loyalty.gesture.charter"
    _description = "Gesture charter"
    _inherit = ["mail.thread"]
    _order = "company_id, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    description = fields.Html(
        translate=True, help="The spirit of the charter, as agents should read it."
    )
    rule_ids = fields.One2many(
        "loyalty.gesture.charter.rule", "charter_id", string="Rules", copy=True
    )
    rule_count = fields.Integer(compute="_compute_rule_count")

    @api.depends("rule_ids")
    def _compute_rule_count(self):
        for charter in self:
            charter.rule_count = len(charter.rule_ids)

    @api.constrains("active", "company_id")
    def _check_one_active_charter_per_company(self):
        groups = self.with_context(active_test=True)._read_group(
            [("company_id", "in", self.company_id.ids), ("active", "=", True)],
            ["company_id"],
            ["__count"],
        )
        if any(count > 1 for _company, count in groups):
            raise ValidationError(
                self.env._("A company can have only one active charter; archive the other one.")
            )

    # --- Evaluation ---

    @api.model
    def _get_for_company(self, company):
        """The company's active charter (sudo: enforcement never depends on who asks)."""
        # sudo: enforcement never depends on who asks
        return self.sudo().search([("company_id", "=", company.id)], limit=1)

    @api.model
    def _evaluate(
        self,
        partner,
        gesture_type,
        value,
        ticket=None,
        channel=None,
        company=None,
        gesture=None,
    ):
        """Evaluate a proposed gesture against the company's charter.

        :param gesture: the gesture being evaluated, left out of the customer's figures
        :return: dict with ``allowed``, ``max_value`` (None: no maximum),
            ``cap_count_left`` / ``cap_value_left`` (None: no cap), ``needs_approval``,
            ``reasons`` (sentences, blocking ones first after the rule), ``blocked_reasons``,
            ``approval_reasons``, ``rule`` and the customer's ``metrics``
        """
        context = self._evaluation_context(partner, ticket, channel, company, gesture)
        return self._evaluate_in_context(context, gesture_type, value)

    @api.model
    def _evaluate_gesture(self, gesture):
        """Evaluate an existing gesture, leaving it out of the customer's figures."""
        gesture.ensure_one()
        return self._evaluate_gestures(gesture)[gesture.id]

    @api.model
    def _evaluate_gestures(self, gestures):
        """Evaluate existing gestures: ``{gesture id: evaluation}``.

        The customers' figures are computed once per company for the whole batch, the
        batch left out of them; gestures of the batch already waiting or approved count
        for their siblings of the same customer.
        """
        results = {}
        no_portrait = self.env["loyalty.gesture.portrait"]
        for company in gestures.company_id:
            batch = gestures.filtered(lambda g, c=company: g.company_id == c)
            metrics = (
                # sudo: charter metrics count every record
                batch.partner_id.commercial_partner_id.sudo()
                .with_company(company)
                .with_context(care_exclude_gesture_ids=batch.ids)
                ._care_metrics()
            )
            # sudo: portraits apply whoever asks
            portraits = no_portrait.sudo().with_company(company)._match_partners(metrics=metrics)
            charter = self._get_for_company(company)
            # the rules' filters, descriptions and matches, worked out once for the batch
            customers = batch.partner_id.commercial_partner_id
            in_filter, descriptions, memo = charter.rule_ids._partners_in_filters(customers), {}, {}
            counted = defaultdict(list)  # customer: gestures of the batch that count
            for gesture in batch:
                if gesture.state in COUNTED_STATES:
                    counted[gesture.partner_id.commercial_partner_id.id].append(gesture)
            for gesture in batch:
                partner = gesture.partner_id.commercial_partner_id
                row = dict(metrics.get(partner.id, {}))
                siblings = self.env["loyalty.gesture"].union(
                    *(g for g in counted.get(partner.id, ()) if g != gesture)
                )
                if siblings:
                    row["gesture_count_12m"] = row.get("gesture_count_12m", 0) + len(siblings)
                    row["gesture_value_12m"] = row.get("gesture_value_12m", 0.0) + sum(
                        siblings.mapped("value")
                    )
                    row["days_since_last_gesture"] = 0
                context = self._make_context(
                    partner,
                    company,
                    gesture.ticket_id,
                    gesture.ticket_id.channel_id,
                    row,
                    portraits.get(partner.id, no_portrait),
                    charter,
                    in_filter=in_filter,
                    memo=memo,
                )
                context["descriptions"] = descriptions
                results[gesture.id] = self._evaluate_in_context(
                    context, gesture.type_id, gesture.value
                )
        return results

    @api.model
    def _check_gestures(self, gestures):
        """Refuse gestures the charter blocks, whatever the path (form, wizard, import, RPC).

        Called on create/write of a gesture and before it is submitted, approved or
        fulfilled. Data files loaded at install time are trusted. Returns the evaluation.
        """
        if self.env.context.get("install_module"):
            return {}
        gestures = gestures.filtered(lambda g: g.state in ("draft", "to_approve", "approved"))
        if not gestures:
            return {}
        self._serialize_customers(gestures.partner_id.commercial_partner_id)
        results = self._evaluate_gestures(gestures)
        for gesture in gestures:
            result = results[gesture.id]
            if not result["allowed"]:
                raise UserError(
                    "\n".join(
                        [
                            self.env._(
                                "The charter does not allow this gesture for %(customer)s:",
                                customer=gesture.partner_id.display_name,
                            )
                        ]
                        + result["blocked_reasons"]
                    )
                )
        return results

    @api.model
    def _check_batch(self, gestures, partners, gesture_type, value, company):
        """:meth:`_check_gestures` (or, at install, :meth:`_evaluate_gestures`) for a batch
        of draft gestures of one type, value and company, without ticket or channel, one
        per customer (``partners``, parallel to ``gestures``): the same refusal, and the
        evaluations as a list in the order of ``gestures``.

        Set-based: the customers' figures, portraits and rule filters once for the batch,
        the evaluation once per distinct case (the matching rule and the figures it reads),
        nothing read through the gestures' records (100,000 of them would fill the cache).
        The gestures of one case share their evaluation, without the customer's
        ``metrics``.
        """
        customers = self.env["res.partner"].browse(
            self._batch_customers(partners)
        )  # parallel to partners
        checked = not self.env.context.get("install_module")
        if checked and gestures:
            self._serialize_customers(customers)
        unique = customers.browse(dict.fromkeys(customers.ids))
        metrics = (
            # sudo: charter metrics count every record
            unique.sudo()
            .with_company(company)
            .with_context(care_exclude_gesture_ids=gestures.ids)
            ._care_metrics()
        )
        no_portrait = self.env["loyalty.gesture.portrait"]
        # sudo: portraits apply whoever asks
        portraits = no_portrait.sudo().with_company(company)._match_partners(metrics=metrics)
        charter = self._get_for_company(company)
        in_filter, descriptions, memo = charter.rule_ids._partners_in_filters(unique), {}, {}
        no_ticket = self.env["helpdesk.ticket"]
        evaluations = {}  # (rule, the figures the evaluation reads): evaluation
        results = []
        for customer in customers:
            row = metrics.get(customer.id, {})
            context = self._make_context(
                customer,
                company,
                no_ticket,
                no_ticket.channel_id,
                row,
                portraits.get(customer.id, no_portrait),
                charter,
                in_filter=in_filter,
                memo=memo,
            )
            context["descriptions"] = descriptions
            key = (context["rule"].id, *(row.get(name) for name in EVALUATED_METRICS))
            if key not in evaluations:
                evaluation = self._evaluate_in_context(context, gesture_type, value)
                evaluation.pop("metrics")  # the case's, not one customer's
                evaluations[key] = evaluation
            results.append(evaluations[key])
        if checked:
            for partner, result in zip(partners, results, strict=True):
                if not result["allowed"]:
                    raise UserError(
                        "\n".join(
                            [
                                self.env._(
                                    "The charter does not allow this gesture for %(customer)s:",
                                    customer=partner.display_name,
                                )
                            ]
                            + result["blocked_reasons"]
                        )
                    )
        return results

    @api.model
    def _batch_customers(self, partners):
        """The commercial partner id of each of ``partners``, in order, in one query."""
        partners.flush_model(["commercial_partner_id"])
        rows = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, commercial_partner_id FROM res_partner WHERE id = ANY(%s)",
                    list(set(partners.ids)),
                )
            )
        )
        return [rows[partner_id] for partner_id in partners.ids]

    @api.model
    def _serialize_customers(self, partners):
        """Two transactions granting gestures to one customer must not both fit the cap.

        Touching the customer's row makes the later transaction fail to serialize; Odoo
        retries it on a fresh snapshot, where it sees the other gesture.
        """
        self.env.cr.execute(
            SQL(
                "UPDATE res_partner SET write_date = write_date WHERE id IN %s",
                tuple(partners.ids),
            )
        )

    @api.model
    def _request_approval(self, gestures):
        """Ask the company's care managers, never the requester, to approve (activities)."""
        # sudo: agents cannot read group members
        managers = self.env.ref("loyalty_gesture.group_care_manager").sudo().users
        managers = managers.filtered(lambda u: u.active and not u.share) - self.env.ref(
            "base.user_root"
        )
        results = self._evaluate_gestures(gestures)
        for gesture in gestures:
            approvers = managers.filtered(
                lambda u, g=gesture: g.company_id in u.company_ids and u != g.requested_by_id
            )
            reasons = results[gesture.id]["approval_reasons"]
            note = Markup("<ul>%s</ul>") % Markup().join(
                Markup("<li>%s</li>") % reason for reason in reasons
            )
            for user in approvers:
                gesture.sudo().activity_schedule(  # sudo: activities for other users
                    "loyalty_gesture.mail_activity_type_gesture_approval",
                    user_id=user.id,
                    note=note,
                )

    @api.model
    def _close_approval(self, gestures, approved):
        """Approved: the managers' activities are done; refused: they are removed."""
        xmlid = "loyalty_gesture.mail_activity_type_gesture_approval"
        if approved:
            gestures.sudo().activity_feedback([xmlid])  # sudo: other managers' activities
        else:
            gestures.sudo().activity_unlink([xmlid])  # sudo: other managers' activities

    @api.model
    def _evaluation_context(self, partner, ticket=None, channel=None, company=None, gesture=None):
        """What does not depend on the gesture type: figures, portraits, the matching rule.

        Within one form refresh (``care_evaluation_cache`` in the context, see the grant
        wizard's ``onchange``) the context of a customer is computed once.
        """
        ticket = ticket or self.env["helpdesk.ticket"]
        company = company or ticket.company_id or self.env.company
        partner = partner.commercial_partner_id
        channel = channel or ticket.channel_id
        cache = self.env.context.get("care_evaluation_cache")
        if isinstance(cache, dict):
            key = (partner.id, ticket.id, channel.id, company.id, gesture.ids if gesture else ())
            key = (key[:4], tuple(key[4]))
            if key not in cache:
                cache[key] = self.with_context(care_evaluation_cache=None)._evaluation_context(
                    partner, ticket, channel, company, gesture
                )
            return cache[key]
        metrics = (
            partner.sudo()  # sudo: charter metrics count every record
            .with_company(company)
            .with_context(care_exclude_gesture_ids=gesture.ids if gesture else [])
            ._care_metrics()
            .get(partner.id, {})
        )
        portraits = (
            self.env["loyalty.gesture.portrait"]
            .sudo()  # sudo: portraits apply whoever asks
            .with_company(company)
            ._match_partners(metrics={partner.id: metrics})
            .get(partner.id, self.env["loyalty.gesture.portrait"])
        )
        charter = self._get_for_company(company)
        return self._make_context(partner, company, ticket, channel, metrics, portraits, charter)

    @api.model
    def _make_context(self, partner, company, ticket, channel, metrics, portraits, charter, **kw):
        rule = charter.rule_ids._first_match(partner, metrics, ticket, channel, portraits, **kw)
        return {
            "partner": partner,
            "company": company,
            "ticket": ticket,
            "channel": channel,
            "metrics": metrics,
            "portraits": portraits,
            "charter": charter,
            "rule": rule,
        }
