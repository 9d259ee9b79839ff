from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .loyalty_gesture_charter_rule import TIER_RANK, TIERS

EVENTS = [
    ("order_confirmed", "Order confirmed (thank-you)"),
    ("order_followup", "Some time after the last order (check-in)"),
    ("birthday", "Customer birthday"),
    ("purchase_anniversary", "Anniversary of the first purchase"),
    ("tier_reached", "Tier reached (VIP offer)"),
    ("referral", "Referred customer's first order (referral reward)"),
]
ORDER_EVENTS = ("order_confirmed", "order_followup")
# Days before the birthday a newly set or changed birthdate must be known.
BIRTHDATE_NOTICE_DAYS = 30


class CareAttentionRule(models.Model):
    """An automatic attention: when an event happens to a customer, a gesture or a message.

    The scheduled action finds the due attentions of every rule with one query per rule
    and logs each one in ``care.attention``, whose unique key (rule, customer, occurrence)
    makes reruns harmless.

    Configuration: only Customer Care managers may create or write rules (ACLs), so no
    field allow-list (``care.field.policy``) is needed; the gesture a rule grants goes
    through the gesture's own create and submit, its value through the charter.
    """

    _name = "care.attention.rule"
    _inherit = ["care.number.guard"]
    _description = "Automatic attention rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    event = fields.Selection(EVENTS, required=True, default="order_confirmed")
    delay_days = fields.Integer(
        string="Delay (days)",
        default=0,
        help="Days after the event: after the order's confirmation, the birthday, the "
        "purchase anniversary, the tier crossing or the referred customer's first order. "
        "For a check-in, e.g. 21 for three weeks after the last order.",
    )
    grace_days = fields.Integer(
        string="Catch-up (days)",
        default=7,
        help="An attention still goes out this many days late (e.g. the scheduled action "
        "did not run); older events are ignored, so a new rule never reaches back further.",
    )
    action = fields.Selection(
        [("gesture", "Grant a gesture"), ("message", "Send a message only")],
        required=True,
        default="message",
    )
    gesture_type_id = fields.Many2one(
        "loyalty.gesture.type",
        check_company=True,
        domain="[('company_id', 'in', (company_id, False))]",
        help="The gesture granted; it goes through the charter, caps and approval like "
        "any gesture.",
    )
    gesture_value = fields.Monetary(
        string="Gesture value",
        currency_field="currency_id",
        help="Leave empty to use the gesture type's default value.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email template",
        domain="[('model', '=', 'loyalty.gesture' if action == 'gesture' else 'res.partner')]",
        help="Message only: a template on contacts. Gesture: a template on gestures, "
        "instead of the gesture type's email.",
    )
    tier = fields.Selection(
        TIERS,
        help="Tier reached: the tier whose reaching triggers the attention. Other events: "
        "only customers at this tier or above (revenue of the last 12 months).",
    )
    min_order_amount = fields.Monetary(
        string="Minimum order amount",
        currency_field="currency_id",
        help="Order events: only orders of at least this untaxed amount.",
    )
    partner_domain = fields.Char(
        string="Customers",
        default="[]",
        help="Only the customers in this filter get the attention.",
    )
    min_days_between = fields.Integer(
        string="Minimum days between two",
        default=0,
        help="A customer gets this rule's attention at most once in this many days "
        "(0: no limit besides the company's contact cap).",
    )
    attention_ids = fields.One2many("care.attention", "rule_id", string="Attentions")
    attention_count = fields.Integer(compute="_compute_attention_count")

    # --- Computes and constraints ---

    def _compute_attention_count(self):
        counts = dict(
            self.env["care.attention"]._read_group(
                [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.attention_count = counts.get(rule, 0)

    @api.constrains(
        "delay_days", "grace_days", "min_days_between", "gesture_value", "min_order_amount"
    )
    def _check_numbers(self):
        for rule in self:
            if min(rule.delay_days, rule.grace_days, rule.min_days_between) < 0:
                raise ValidationError(self.env._("Delays and days cannot be negative."))
            if rule.grace_days > 60:
                raise ValidationError(self.env._("The catch-up is at most 60 days."))
            if max(rule.delay_days, rule.min_days_between) > 3650:
                raise ValidationError(self.env._("Delays and days are at most ten years."))
            if rule.gesture_value < 0 or rule.min_order_amount < 0:
                raise ValidationError(self.env._("Amounts cannot be negative."))

    @api.constrains("event", "action", "gesture_type_id", "mail_template_id", "tier")
    def _check_configuration(self):
        for rule in self:
            if rule.action == "gesture" and not rule.gesture_type_id:
                raise ValidationError(
                    self.env._("Rule %(rule)s grants a gesture: choose its type.", rule=rule.name)
                )
            if rule.action == "message" and not rule.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s sends a message: choose its email template.",
                        rule=rule.name,
                    )
                )
            expected = "loyalty.gesture" if rule.action == "gesture" else "res.partner"
            if rule.mail_template_id and rule.mail_template_id.model != expected:
                raise ValidationError(
                    self.env._(
                        "The email template of rule %(rule)s must be a template on %(model)s.",
                        rule=rule.name,
                        model=self.env[expected]._description,
                    )
                )
            if rule.event == "tier_reached" and rule.tier in (False, "standard"):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s fires when a tier is reached: choose Silver, Gold or VIP.",
                        rule=rule.name,
                    )
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for rule in self:
            try:
                domain = safe_eval(rule.partner_domain or "[]")
                self.env["res.partner"].search_count(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The customer filter of attention rule %(rule)s is invalid.",
                        rule=rule.name,
                    )
                ) from error

    # --- Actions ---

    def action_view_attentions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_gesture.care_attention_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_run_now(self):
        """Process this company's due attentions now (managers; same code as the cron)."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise UserError(self.env._("Only a Customer Care manager can run attention rules."))
        self.check_access("write")
        # sudo: gestures and messages go out as the system, like the scheduled action
        done = self.sudo()._process(self.filtered("active").sudo(), batch_size=1000)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("%(count)s attentions processed.", count=done),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # --- Scheduled action ---

    @api.model
    def _cron_process(self, batch_size=200, commit=False):
        """Fire the due attentions of every active rule, one batch of customers at a time.

        With ``commit`` (the scheduled action), each batch is committed: a crash loses at
        most the batch in progress, and the rerun skips what was committed (unique key).
        """
        rules = self.search([("active", "=", True)])
        return self._process(rules, batch_size=batch_size, commit=commit)

    @api.model
    def _process(self, rules, batch_size=200, commit=False):
        done = 0
        for rule in rules:
            while True:
                rule._lock_for_run()
                rows = rule._find_candidates(limit=batch_size)
                if not rows:
                    break
                rule._fire(rows)
                done += len(rows)
                if commit:
                    # the scheduled action only: a crash then loses one batch, never repeats one
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                if len(rows) < batch_size:
                    break
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        return done

    def _lock_for_run(self):
        """Two runs of a rule at once (the cron and *Run now*) must not fire twice.

        Touching the rule's row makes the later transaction wait, then fail to serialize;
        Odoo retries it on a fresh snapshot, where the first run's attentions are seen.
        """
        self.env.cr.execute(
            SQL("UPDATE care_attention_rule SET write_date = write_date WHERE id = %s", self.id)
        )

    # --- Candidates ---

    def _window(self, today=None):
        """First and last day an event may have happened for its attention to be due now."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        stop = today - timedelta(days=self.delay_days)
        return stop - timedelta(days=self.grace_days), stop

    def _utc_bounds(self, start, stop):
        """The window's local days as UTC datetimes: orders are stored in UTC."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")

        def utc(day):
            return (
                tz.localize(datetime.combine(day, time.min))
                .astimezone(pytz.utc)
                .replace(tzinfo=None)
            )

        return utc(start), utc(stop + timedelta(days=1))

    def _anniversary_days(self, start, stop):
        """``[(MM-DD, day)]`` of each day of the window; Feb 29 falls on Feb 28 otherwise."""
        days = []
        day = start
        while day <= stop:
            days.append((day.strftime("%m-%d"), day))
            leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
            if day.month == 2 and day.day == 28 and not leap:
                days.append(("02-29", day))
            day += timedelta(days=1)
        return SQL(", ").join(SQL("(%s, %s::date)", mmdd, when) for mmdd, when in days)

    def _tier_threshold(self, tier):
        company = self.company_id
        return {
            "silver": company.care_tier_silver_revenue,
            "gold": company.care_tier_gold_revenue,
            "vip": company.care_tier_vip_revenue,
        }.get(tier, 0.0)

    def _customer_of_company(self, alias):
        """SQL: the commercial partner ``alias`` has a confirmed order in the rule's company."""
        return SQL(
            """EXISTS (SELECT 1 FROM sale_order cso JOIN res_partner csp ON csp.id = cso.partner_id
                        WHERE csp.commercial_partner_id = %s AND cso.state = 'sale'
                          AND cso.company_id = %s)""",
            SQL.identifier(alias, "commercial_partner_id"),
            self.company_id.id,
        )

    def _event_sql(self, start, stop):
        """SQL of the events due: rows (partner_id, occurrence, order_id)."""
        self.ensure_one()
        company = self.company_id.id
        begin, end = self._utc_bounds(start, stop)
        if self.event in ORDER_EVENTS:
            later = SQL()
            if self.event == "order_followup":
                later = SQL(
                    """AND NOT EXISTS (
                        SELECT 1 FROM sale_order lso
                          JOIN res_partner lp ON lp.id = lso.partner_id
                          JOIN res_partner op ON op.id = so.partner_id
                         WHERE lp.commercial_partner_id = op.commercial_partner_id
                           AND lso.state = 'sale' AND lso.company_id = so.company_id
                           AND lso.date_order > so.date_order)"""
                )
            return SQL(
                """SELECT so.partner_id, 'order:' || so.id AS occurrence, so.id AS order_id
                     FROM sale_order so
                    WHERE so.state = 'sale' AND so.company_id = %(company)s
                      AND so.date_order >= %(begin)s AND so.date_order < %(end)s
                      AND so.amount_untaxed >= %(amount)s %(later)s""",
                company=company,
                begin=begin,
                end=end,
                amount=self.min_order_amount or 0.0,
                later=later,
            )
        if self.event == "birthday":
            return SQL(
                """SELECT bp.id, 'birthday:' || EXTRACT(YEAR FROM d.day)::int, NULL::int
                     FROM res_partner bp
                     JOIN (VALUES %(days)s) AS d(mmdd, day)
                       ON to_char(bp.birthdate_date, 'MM-DD') = d.mmdd
                    WHERE bp.birthdate_date IS NOT NULL AND bp.birthdate_date < d.day
                      AND (bp.care_birthdate_changed_on IS NULL
                           OR bp.care_birthdate_changed_on <= d.day - %(notice)s)
                      AND %(customer)s""",
                days=self._anniversary_days(start, stop),
                notice=BIRTHDATE_NOTICE_DAYS,
                customer=self._customer_of_company("bp"),
            )
        if self.event == "purchase_anniversary":
            return SQL(
                """SELECT f.partner_id, 'anniversary:' || EXTRACT(YEAR FROM d.day)::int, NULL::int
                     FROM (SELECT fp.commercial_partner_id AS partner_id,
                                  MIN(fso.date_order)::date AS first_date
                             FROM sale_order fso JOIN res_partner fp ON fp.id = fso.partner_id
                            WHERE fso.state = 'sale' AND fso.company_id = %(company)s
                         GROUP BY fp.commercial_partner_id) f
                     JOIN (VALUES %(days)s) AS d(mmdd, day)
                       ON to_char(f.first_date, 'MM-DD') = d.mmdd
                    WHERE EXTRACT(YEAR FROM f.first_date) < EXTRACT(YEAR FROM d.day)""",
                company=company,
                days=self._anniversary_days(start, stop),
            )
        if self.event == "tier_reached":
            threshold = self._tier_threshold(self.tier)
            return SQL(
                """SELECT tp.commercial_partner_id, 'tier:' || %(tier)s, NULL::int
                     FROM sale_order tso JOIN res_partner tp ON tp.id = tso.partner_id
                    WHERE tso.state = 'sale' AND tso.company_id = %(company)s
                      AND tso.date_order >= %(year_ago)s AND tso.date_order < %(end)s
                      AND %(threshold)s > 0
                 GROUP BY tp.commercial_partner_id
                   HAVING SUM(tso.amount_untaxed) >= %(threshold)s
                      AND COALESCE(SUM(tso.amount_untaxed)
                                   FILTER (WHERE tso.date_order < %(begin)s), 0) < %(threshold)s""",
                tier=self.tier,
                company=company,
                year_ago=end - relativedelta(years=1),
                begin=begin,
                end=end,
                threshold=threshold,
            )
        # referral: the referrer, once the referred customer's first order is confirmed
        return SQL(
            """SELECT c.care_referred_by_id, 'referral:' || c.id, NULL::int
                 FROM (SELECT rp.commercial_partner_id AS referred_id,
                              MIN(rso.date_order) AS first_date
                         FROM sale_order rso JOIN res_partner rp ON rp.id = rso.partner_id
                        WHERE rso.state = 'sale' AND rso.company_id = %(company)s
                          AND rp.commercial_partner_id IN (
                              SELECT id FROM res_partner WHERE care_referred_by_id IS NOT NULL)
                     GROUP BY rp.commercial_partner_id) f
                 JOIN res_partner c ON c.id = f.referred_id
                 JOIN res_partner r ON r.id = c.care_referred_by_id
                WHERE f.first_date >= %(begin)s AND f.first_date < %(end)s
                  AND r.commercial_partner_id != c.commercial_partner_id""",
            company=company,
            begin=begin,
            end=end,
        )

    def _eligibility_sql(self):
        """SQL conditions on the target partner ``p``: company, filter, minimum tier, pacing."""
        self.ensure_one()
        conditions = [
            SQL("p.active"),
            SQL("(p.company_id IS NULL OR p.company_id = %s)", self.company_id.id),
        ]
        domain = safe_eval(self.partner_domain or "[]")
        if domain:
            query = self.env["res.partner"].with_company(self.company_id)._search(domain)
            conditions.append(SQL("p.id IN %s", query.subselect()))
        if self.tier and self.event != "tier_reached" and TIER_RANK[self.tier]:
            conditions.append(
                SQL(
                    """p.commercial_partner_id IN (
                        SELECT ep.commercial_partner_id
                          FROM sale_order eso JOIN res_partner ep ON ep.id = eso.partner_id
                         WHERE eso.state = 'sale' AND eso.company_id = %s
                           AND eso.date_order >= %s
                      GROUP BY ep.commercial_partner_id
                        HAVING SUM(eso.amount_untaxed) >= %s)""",
                    self.company_id.id,
                    fields.Datetime.now() - relativedelta(years=1),
                    self._tier_threshold(self.tier),
                )
            )
        if self.min_days_between:
            conditions.append(
                SQL(
                    """NOT EXISTS (SELECT 1 FROM care_attention pa
                                    WHERE pa.rule_id = %s AND pa.partner_id = p.id
                                      AND pa.state = 'done' AND pa.date >= %s)""",
                    self.id,
                    fields.Datetime.now() - timedelta(days=self.min_days_between),
                )
            )
        return SQL(" AND ").join(conditions)

    def _find_candidates(self, limit=200, today=None):
        """Due attentions of this rule not fired yet: ``[(partner_id, occurrence, order_id)]``.

        One query whatever the number of customers; at most one occurrence per customer
        and query (the next query takes the next one, unless the rule's minimum days
        between two attentions holds it back).
        """
        self.ensure_one()
        self.env["sale.order"].flush_model(
            ["partner_id", "state", "amount_untaxed", "date_order", "company_id"]
        )
        self.env["res.partner"].flush_model(
            [
                "commercial_partner_id",
                "active",
                "company_id",
                "birthdate_date",
                "care_birthdate_changed_on",
                "care_referred_by_id",
            ]
        )
        self.env["care.attention"].flush_model()
        start, stop = self._window(today)
        return self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (c.partner_id) c.partner_id, c.occurrence, c.order_id
                  FROM (%(events)s) AS c(partner_id, occurrence, order_id)
                  JOIN res_partner p ON p.id = c.partner_id
                 WHERE %(eligible)s
                   AND NOT EXISTS (SELECT 1 FROM care_attention a
                                    WHERE a.rule_id = %(rule)s AND a.partner_id = c.partner_id
                                      AND a.occurrence = c.occurrence)
              ORDER BY c.partner_id, c.occurrence
                 LIMIT %(limit)s
                """,
                events=self._event_sql(start, stop),
                eligible=self._eligibility_sql(),
                rule=self.id,
                limit=limit,
            )
        )

    # --- Firing ---

    def _fire(self, rows):
        """Log and deliver one attention per row; a refusal by the charter is logged, not raised."""
        self.ensure_one()
        attentions = self.env["care.attention"].create(
            [
                {
                    "rule_id": self.id,
                    "company_id": self.company_id.id,
                    "partner_id": partner_id,
                    "occurrence": occurrence,
                    "sale_order_id": order_id,
                }
                for partner_id, occurrence, order_id in rows
            ]
        )
        for attention in attentions:
            try:
                with self.env.cr.savepoint():
                    self._deliver(attention)
            except (UserError, ValidationError) as error:
                attention.write({"state": "failed", "note": str(error)})
        return attentions

    def _deliver(self, attention):
        """Within the contact policy, grant the gesture or send the message."""
        logs = self.env["care.contact.log"]
        partner, company = attention.partner_id, self.company_id
        refusal = logs._contact_refusal(partner, company)
        if refusal:
            logs._log_contact(partner, "attention", record=attention, company=company)
            attention.write({"state": "skipped", "skip_reason": refusal})
            return
        if self.action == "message":
            logs._log_contact(partner, "attention", record=attention, company=company)
            self.mail_template_id.with_company(company).send_mail(
                partner.id, email_layout_xmlid="loyalty_gesture.mail_layout_care"
            )
            attention.write({"state": "done"})
            return
        gesture = self._create_gesture(attention)
        attention.write({"state": "done", "gesture_id": gesture.id})
        gesture.action_submit()
        if not gesture._get_mail_template():
            # no email goes with this gesture: the attention still counts in the pressure
            logs._log_contact(partner, "attention", record=attention, company=company)

    def _create_gesture(self, attention):
        values = {
            "partner_id": attention.partner_id.id,
            "company_id": self.company_id.id,
            "type_id": self.gesture_type_id.id,
            "care_attention_rule_id": self.id,
            "reason": self.name,
        }
        if self.gesture_value:
            values["value"] = self.gesture_value
        if attention.sale_order_id and self.event in ORDER_EVENTS:
            values["sale_order_id"] = attention.sale_order_id.id
        return self.env["loyalty.gesture"].with_company(self.company_id).create(values)
