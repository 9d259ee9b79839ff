"""Two redemptions at the same time on committed data, with separate connections.

A TransactionCase's cursors share one connection and never commit, so the row lock on
the card cannot be shown there: each thread here opens its own cursor on the registry.
"""

import threading
from functools import partial

from odoo import SUPERUSER_ID
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from .concurrency import committed_env, run_twice_at_once


@tagged("post_install", "-at_install")
class TestPointsConcurrency(TransactionCase):
    def test_two_concurrent_debits_never_overdraw(self):
        registry = self.registry
        self.assertFalse(registry.test_cr, "threads need their own connections")
        with committed_env(registry) as env:
            program = env["loyalty.program"].create(
                {"name": "Race points", "program_type": "loyalty"}
            )
            partner = env["res.partner"].create({"name": "Race customer"})
            card = env["loyalty.card"].create(
                {"program_id": program.id, "partner_id": partner.id, "points": 100}
            )
            ids = (program.id, partner.id, card.id)
        try:
            barrier = threading.Barrier(2)
            outcomes = []
            seen = []

            def redeem():
                with committed_env(registry) as env:
                    thread_card = env["loyalty.card"].browse(ids[2])
                    seen.append(thread_card.points)
                    barrier.wait()
                    debit = partial(thread_card._care_debit_points, 70, "Race redemption")
                    try:
                        # as Odoo runs an RPC call: a serialization failure is retried
                        retrying(lambda: debit() and None, env)
                        outcomes.append("debited")
                    except UserError:
                        env.cr.rollback()
                        outcomes.append("refused")
                    except Exception as error:
                        env.cr.rollback()
                        outcomes.append(repr(error))

            run_twice_at_once(redeem)
            self.assertEqual(seen, [100, 100], "both saw the full balance before the race")
            self.assertEqual(sorted(outcomes), ["debited", "refused"])
            with committed_env(registry) as env:
                final = env["loyalty.card"].browse(ids[2])
                self.assertEqual(final.points, 30)
                self.assertEqual(sum(final.history_ids.mapped("used")), 70)
        finally:
            with committed_env(registry) as env:
                env["loyalty.card"].browse(ids[2]).unlink()
                program = env["loyalty.program"].browse(ids[0])
                program.active = False
                program.unlink()
                env["res.partner"].browse(ids[1]).unlink()

    def test_two_workers_fulfil_the_same_gesture_once(self):
        """A double click reaching two workers: one coupon, the other call is a no-op."""
        registry = self.registry
        with committed_env(registry) as env:
            archived = {}  # the race is about fulfilment, not the charter
            for model in ("loyalty.gesture.charter", "loyalty.gesture.portrait"):
                if model in env:
                    records = env[model].search([])
                    archived[model] = records.ids
                    records.write({"active": False})
            partner = env["res.partner"].create(
                {"name": "Double click", "email": "double.click@example.com"}
            )
            gesture_type = env["loyalty.gesture.type"].create(
                {
                    "name": "Race coupon",
                    "fulfilment": "coupon",
                    "default_value": 10,
                    # an email per fulfilment: a second fulfilment would log a second contact
                    "mail_template_id": env.ref("loyalty_gesture.mail_template_gesture").id,
                }
            )
            gesture = env["loyalty.gesture"].create(  # superuser: straight to approved
                {
                    "partner_id": partner.id,
                    "type_id": gesture_type.id,
                    "state": "approved",
                    "approved_by_id": SUPERUSER_ID,
                }
            )
            ids = (partner.id, gesture_type.id, gesture.id)
        try:
            barrier = threading.Barrier(2)
            outcomes = []

            def fulfil():
                with committed_env(registry) as env:
                    barrier.wait()
                    try:
                        retrying(env["loyalty.gesture"].browse(ids[2]).action_done, env)
                        outcomes.append("ok")
                    except Exception as error:
                        env.cr.rollback()
                        outcomes.append(repr(error))

            run_twice_at_once(fulfil)
            self.assertEqual(outcomes, ["ok", "ok"], "the second click is a quiet no-op")
            with committed_env(registry) as env:
                cards = env["loyalty.card"].search([("partner_id", "=", ids[0])])
                self.assertEqual(len(cards), 1, "one coupon only")
                self.assertEqual(env["loyalty.gesture"].browse(ids[2]).state, "done")
                logs = env["care.contact.log"].search(
                    [("res_model", "=", "loyalty.gesture"), ("res_id", "=", ids[2])]
                )
                self.assertEqual(len(logs), 1, "one gesture email, logged once")
        finally:
            with committed_env(registry) as env:
                gesture = env["loyalty.gesture"].browse(ids[2])
                env["loyalty.card"].search([("partner_id", "=", ids[0])]).unlink()
                gesture.write({"state": "cancelled"})
                gesture.unlink()
                env["loyalty.gesture.type"].browse(ids[1]).unlink()
                env["res.partner"].browse(ids[0]).unlink()
                for model, record_ids in archived.items():
                    env[model].browse(record_ids).write({"active": True})
