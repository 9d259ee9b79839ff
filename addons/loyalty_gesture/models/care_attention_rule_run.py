from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .care_attention_rule import ORDER_EVENTS
from .care_helpers import CronClock, background_notice, cron_due_since


class CareAttentionRule(models.Model):
    """Running the rules (scheduled action, *Run now* through it) and delivering each
    attention: a gesture through the charter, or a message, within the contact policy."""

    _inherit = "care.attention.rule"  # pylint: disable=consider-merging-classes-inherited

    def action_run_now(self):
        """Ask the scheduled action to run these rules first, in the background (managers)."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise UserError(self.env._("Only a Customer Care manager can run attention rules."))
        self.check_access("write")
        rules = self.filtered("active")
        # sudo: the run's bookkeeping, not a setting managers write (care.field.policy)
        rules.sudo().write({"run_requested_at": fields.Datetime.now()})
        # sudo: managers cannot read scheduled actions; queuing this one is what the button does
        self.env.ref("loyalty_gesture.ir_cron_care_attentions").sudo()._trigger()
        return background_notice(
            self.env._(
                "The run is queued: it goes on in the background and the rule shows "
                "its result when it is done."
            )
        )

    # --- Scheduled action ---

    @api.model
    def _cron_process(self, batch_size=200, commit=False, since=None):
        """One chunk of the attentions due: the rules asked for by *Run now* first, then
        every active rule not run since ``since`` (the pass's start: planned time or
        earliest trigger).

        Each batch of customers is a sub-batch: with ``commit`` (the scheduled action) it
        is committed, and the call stops once its time is up (:class:`CronClock`), after
        one batch at least, and reports the rules left so that Odoo calls it again.
        Several cron workers (copies of the action) share the rules: each batch claims its
        rule (``SKIP LOCKED``). Returns the number of attentions logged.
        """
        if since is None:
            since = self._attention_pass_start()
        clock = CronClock(self.env)
        if clock.hand_over():
            return 0
        fired, ended = 0, []
        while True:
            rule = self._claim_rule(since, exclude=ended)
            if not rule:
                break
            count, over = rule._run_batch(batch_size)
            fired += count
            if over:
                ended.append(rule.id)  # once per call, even if ``since`` is still ahead
            if commit:
                # the scheduled action only: a crash then loses one batch, never repeats one
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if clock.expired():
                break
        remaining = self.search_count(self._attention_due_domain(since))
        self.env["ir.cron"]._notify_progress(done=fired + len(ended), remaining=remaining)
        return fired

    @api.model
    def _attention_pass_start(self):
        """Since when a run of every rule is due: the action's planned time, or its
        earliest trigger (*Run now*, an order confirmed for a thank-you); rules run since
        then are done for this pass."""
        return cron_due_since(self.env)

    @api.model
    def _attention_due_domain(self, since):
        """The active rules with work left in this pass (see :meth:`_cron_process`)."""
        pending = [("run_requested_at", "!=", False), ("run_started_at", "!=", False)]
        if since:
            pending += [("last_run_at", "=", False), ("last_run_at", "<", since)]
        return [("active", "=", True), "|"] + ["|"] * (len(pending) - 2) + pending

    @api.model
    def _claim_rule(self, since, rules=None, exclude=()):
        """The next rule with work left (or of ``rules``) that no other worker holds,
        locked until the commit."""
        self.flush_model(["active", "run_requested_at", "run_started_at", "last_run_at"])
        if rules is not None:
            due = SQL("id IN %s", tuple(rules.ids) or (0,))
        else:
            due = SQL(" OR ").join(
                [SQL("run_requested_at IS NOT NULL"), SQL("run_started_at IS NOT NULL")]
                + ([SQL("(last_run_at IS NULL OR last_run_at < %s)", since)] if since else [])
            )
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM care_attention_rule
                    WHERE active AND (%s) AND id != ALL(%s)
                 ORDER BY run_requested_at NULLS LAST, sequence, id
                    LIMIT 1
                      FOR NO KEY UPDATE SKIP LOCKED""",
                due,
                list(exclude),
            )
        )
        rule = self.browse(rows[0][0]) if rows else self.browse()
        rule.invalidate_recordset()  # another worker may have run it since this cache was read
        return rule

    def _run_batch(self, batch_size):
        """Fire one batch of this rule's due attentions and record the run's progress;
        the run ends with a short batch. Returns (attentions logged, 1 if the run ended).

        Writing the rule's row also makes a worker that claims it next on an older
        snapshot fail to serialize instead of firing the same attentions again.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        rows = self._find_candidates(limit=batch_size)
        attentions = self._fire(rows) if rows else self.env["care.attention"]
        reached = self.run_reached + len(attentions.filtered(lambda a: a.state == "done"))
        values = {"run_reached": reached, "run_started_at": self.run_started_at or now}
        ended = len(rows) < batch_size
        if ended:
            values = {
                "run_requested_at": False,
                "run_started_at": False,
                "run_reached": 0,
                "last_run_at": now,
                "last_run_reached": reached,
            }
        self.sudo().write(values)  # sudo: the run's progress, not a setting
        return len(rows), int(ended)

    @api.model
    def _process(self, rules, batch_size=200, commit=False):
        """Run ``rules`` to the end, batch after batch (a rule another run holds is skipped)."""
        done = 0
        for rule in rules:
            while self._claim_rule(None, rules=rule):
                count, ended = rule._run_batch(batch_size)
                done += count
                if commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                if ended:
                    break
        return done

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
