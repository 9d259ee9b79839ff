"""*Run now* queues the rules for the scheduled action, which runs in chunks."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from . import attention_common
from .cron_common import call_until_done, new_cron_pass, tiny_cron_limits

CRON = "loyalty_gesture.ir_cron_care_attentions"


@tagged("post_install", "-at_install")
class TestAttentionRunInBackground(attention_common.AttentionCase):
    def triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.env.ref(CRON).id)])

    def run_as_cron(self):
        """One call of the scheduled action as Odoo makes it on a trigger (its planned
        time tomorrow), with the limits lowered: one batch per call."""
        cron = self.env.ref(CRON)
        cron.nextcall = fields.Datetime.now() + timedelta(days=1)
        new_cron_pass(self.env)
        with tiny_cron_limits():
            return self.Rule.with_context(cron_id=cron.id)._cron_process()

    def test_run_now_queues_then_the_cron_runs_the_rule_first(self):
        other = self.make_rule(name="Not asked", sequence=1)
        asked = self.make_rule(name="Asked", sequence=2)
        self.make_order(self.customer)
        before = self.triggers()
        action = asked.with_user(self.manager).action_run_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(len(self.triggers() - before), 1, "the scheduled action is triggered")
        self.assertEqual(asked.run_state, "pending")
        self.assertFalse(self.Attention.search([("rule_id", "in", (asked | other).ids)]))

        self.assertEqual(self.run_as_cron(), 1, "the asked rule first")
        self.assertRecordValues(
            asked, [{"run_state": "idle", "last_run_reached": 1, "run_requested_at": False}]
        )
        self.assertTrue(asked.last_run_at)
        self.assertFalse(self.attentions(other), "the other rules after it")
        self.assertEqual(self.run_as_cron(), 1, "the triggered pass goes on with the others")
        self.assertEqual(len(self.attentions(other)), 1)
        self.assertEqual(self.run_as_cron(), 0, "each rule once per pass")
        self.assertEqual(len(self.attentions(asked)), 1)

    def test_planned_run_takes_rules_not_run_since_it_was_due(self):
        rule = self.make_rule()
        self.make_order(self.customer)
        cron = self.env.ref(CRON)
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        cron.nextcall = fields.Datetime.now() + timedelta(hours=1)
        Rule = self.Rule.with_context(cron_id=cron.id)
        self.assertEqual(Rule._cron_process(), 0, "neither planned nor triggered: nothing")
        cron.nextcall = fields.Datetime.now() - timedelta(hours=1)
        self.assertEqual(Rule._cron_process(), 1)
        self.assertEqual(rule.last_run_reached, 1)
        self.make_order(self.make_customer("Later"))
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        self.assertEqual(Rule._cron_process(), 0, "run already in this pass")

    def test_run_now_refused_to_agents_and_archived_rules_not_queued(self):
        rule = self.make_rule()
        before = self.triggers()
        with self.assertRaises(UserError):
            rule.with_user(self.agent).action_run_now()
        with self.assertRaises(UserError):
            rule.with_user(self.internal_user).action_run_now()
        self.assertEqual(self.triggers(), before)
        self.assertEqual(rule.run_state, "idle")
        rule.action_archive()
        rule.with_user(self.manager).action_run_now()
        self.assertFalse(rule.run_requested_at)

    def test_a_running_rule_shows_its_progress(self):
        rule = self.make_rule()
        customers = [self.make_customer(f"Progress {i}") for i in range(3)]
        for customer in customers:
            self.make_order(customer)
        since = fields.Datetime.now()
        with tiny_cron_limits():
            self.assertEqual(self.Rule._cron_process(batch_size=2, since=since), 2)
        self.assertRecordValues(rule, [{"run_state": "running", "run_reached": 2}])
        self.assertFalse(rule.last_run_at)
        with tiny_cron_limits():
            self.assertEqual(self.Rule._cron_process(batch_size=2, since=since), 1)
        self.assertRecordValues(
            rule, [{"run_state": "idle", "run_reached": 0, "last_run_reached": 3}]
        )

    def test_chunked_calls_end_as_one_big_run(self):
        """Calls of one batch each, until nothing is left: every due attention once."""
        rules = self.make_rule(name="Thanks A") | self.make_rule(name="Thanks B")
        customers = self.customer
        for index in range(6):
            customers |= self.make_customer(f"Chunk {index}")
        for customer in customers:
            self.make_order(customer)
        due = {
            (rule.id, partner_id, occurrence)
            for rule in rules
            for partner_id, occurrence, __ in rule._find_candidates(limit=1000)
        }
        self.assertEqual(len(due), 14)
        since = fields.Datetime.now()
        with tiny_cron_limits():
            calls = call_until_done(self, CRON, "_cron_process", batch_size=3, since=since)
        self.assertGreaterEqual(len(calls), 6, calls)
        attentions = self.Attention.search([("rule_id", "in", rules.ids)])
        fired = [(a.rule_id.id, a.partner_id.id, a.occurrence) for a in attentions]
        self.assertEqual(len(fired), len(set(fired)), "nothing twice")
        self.assertEqual(set(fired), due, "nothing lost")
        self.assertEqual(set(attentions.mapped("state")), {"done"})
        for customer in customers:
            self.assertEqual(len(self.mails_to(customer)), 2)
        self.assertEqual(rules.mapped("last_run_reached"), [7, 7])
        self.assertEqual(self.Rule._cron_process(since=since), 0, "a rerun finds nothing")
