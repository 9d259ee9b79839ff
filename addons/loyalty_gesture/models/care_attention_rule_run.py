from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .care_attention_rule import ORDER_EVENTS


class CareAttentionRule(models.Model):
    """Running the rules (scheduled action and *Run now*) and delivering each attention:
    a gesture through the charter, or a message, within the contact policy."""

    _inherit = "care.attention.rule"  # pylint: disable=consider-merging-classes-inherited

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
