"""A crash in the middle of the attentions' scheduled action, then a rerun: nothing twice.

On committed data (see scratch.py): the scheduled action commits each batch, a real
PostgreSQL trigger makes the second batch fail halfway through its deliveries, and the
rerun completes the work without sending anything a second time.
"""

import unittest
import uuid

import psycopg2
import scratch

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def thank_you_setup(env, run, count):
    """Other rules archived, ``count`` customers with an order today, a thank-you rule."""
    env["care.attention.rule"].search([]).action_archive()
    env.company.write({"care_contact_max": 5, "care_contact_window_days": 30})
    product = env["product.product"].create(
        {"name": f"Attention product {run}", "list_price": 50.0, "taxes_id": False}
    )
    customers = env["res.partner"].create(
        [
            {"name": f"Attention {run} {i}", "email": f"att{i}.{run}@example.com", "ref": run}
            for i in range(count)
        ]
    )
    for customer in customers:
        order = env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 50.0})],
            }
        )
        order.action_confirm()
    rule = env["care.attention.rule"].create(
        {
            "name": f"Thanks {run}",
            "event": "order_confirmed",
            "action": "message",
            "mail_template_id": env.ref("loyalty_gesture.mail_template_attention_thanks").id,
            "partner_domain": f"[('ref', '=', '{run}')]",
        }
    )
    return rule, customers


def outcome(env, rule_id, customer_ids):
    """(customers with an attention, customers mailed, mails, contact logs)."""
    attentions = env["care.attention"].search([("rule_id", "=", rule_id)])
    mails = env["mail.mail"].search([("recipient_ids", "in", customer_ids)])
    logs = env["care.contact.log"].search(
        [("partner_id", "in", customer_ids), ("kind", "=", "attention")]
    )
    return (
        sorted(attentions.partner_id.ids),
        sorted(mails.recipient_ids.ids),
        len(mails),
        len(logs),
    )


class TestAttentionCrashRerun(unittest.TestCase):
    def test_crash_after_a_committed_batch_then_rerun(self):
        registry = scratch.scratch_registry()
        run = uuid.uuid4().hex[:8]

        def prepare(env):
            rule, customers = thank_you_setup(env, run, 5)
            # the fourth customer's contact log fails: the second batch breaks halfway
            env.cr.execute(
                SQL(
                    """
                    CREATE OR REPLACE FUNCTION care_crash_%(run)s() RETURNS trigger AS $$
                    BEGIN
                        IF NEW.partner_id = %(victim)s THEN
                            RAISE EXCEPTION 'simulated crash';
                        END IF;
                        RETURN NEW;
                    END $$ LANGUAGE plpgsql;
                    CREATE TRIGGER care_crash_%(run)s BEFORE INSERT ON care_contact_log
                        FOR EACH ROW EXECUTE FUNCTION care_crash_%(run)s();
                    """,
                    run=SQL(run),
                    victim=sorted(customers.ids)[3],
                )
            )
            return rule.id, sorted(customers.ids)

        rule_id, customer_ids = scratch.setup(registry, prepare)

        def crash(env):
            rules = env["care.attention.rule"].browse(rule_id)
            env["care.attention.rule"]._process(rules, batch_size=2, commit=True)

        with self.assertRaises(psycopg2.Error):
            with registry.cursor() as cr:
                crash(api.Environment(cr, SUPERUSER_ID, {}))

        def state(env):
            return outcome(env, rule_id, customer_ids)

        self.assertEqual(
            scratch.setup(registry, state),
            (customer_ids[:2], customer_ids[:2], 2, 2),
            "the first batch was committed, the failed one entirely rolled back",
        )

        def rerun(env):
            env.cr.execute(SQL("DROP TRIGGER care_crash_%s ON care_contact_log", SQL(run)))
            return env["care.attention.rule"]._cron_process(batch_size=2, commit=True)

        self.assertEqual(scratch.setup(registry, rerun), 3)
        self.assertEqual(
            scratch.setup(registry, state),
            (customer_ids, customer_ids, 5, 5),
            "each customer thanked exactly once",
        )

        def rerun_again(env):
            return env["care.attention.rule"]._cron_process(batch_size=2, commit=True)

        self.assertEqual(scratch.setup(registry, rerun_again), 0, "nothing left, nothing twice")

        def cleanup(env):
            env["care.attention.rule"].browse(rule_id).action_archive()
            env.cr.execute(SQL("DROP FUNCTION care_crash_%s()", SQL(run)))

        scratch.setup(registry, cleanup)

    def test_two_runs_at_once_fire_once(self):
        """The cron and a manager's *Run now* at the same time: each customer thanked once."""
        registry = scratch.scratch_registry()
        run = uuid.uuid4().hex[:8]

        def prepare(env):
            rule, customers = thank_you_setup(env, run, 4)
            return rule.id, sorted(customers.ids)

        rule_id, customer_ids = scratch.setup(registry, prepare)

        def process(env):
            rules = env["care.attention.rule"].browse(rule_id)
            return env["care.attention.rule"]._process(rules, batch_size=50)

        outcomes = scratch.race(registry, [(SUPERUSER_ID, process), (SUPERUSER_ID, process)])
        self.assertEqual(sorted(outcomes), [("ok", 0), ("ok", 4)], outcomes)
        self.assertEqual(
            scratch.setup(registry, lambda env: outcome(env, rule_id, customer_ids)),
            (customer_ids, customer_ids, 4, 4),
        )
        scratch.setup(
            registry, lambda env: env["care.attention.rule"].browse(rule_id).action_archive()
        )
