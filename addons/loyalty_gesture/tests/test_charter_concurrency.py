"""Two agents granting at the same time cannot both fit the charter's cap.

A TransactionCase's cursors share one connection and never commit: the race is shown
on committed data, each thread with its own cursor, as Odoo runs RPC calls (retrying
serialization failures). Everything created is removed at the end.
"""

import threading

from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from .concurrency import committed_env, run_twice_at_once


@tagged("post_install", "-at_install")
class TestCharterConcurrency(TransactionCase):
    def test_two_submissions_never_exceed_the_cap(self):
        registry = self.registry
        self.assertFalse(registry.test_cr, "threads need their own connections")
        with committed_env(registry) as env:
            archived = env["loyalty.gesture.charter"].search([("company_id", "=", env.company.id)])
            archived.action_archive()
            charter = env["loyalty.gesture.charter"].create(
                {
                    "name": "Race charter",
                    "rule_ids": [(0, 0, {"name": "One a year", "cap_count": 1})],
                }
            )
            gesture_type = env["loyalty.gesture.type"].create(
                {"name": "Race call", "fulfilment": "service_task", "default_value": 10}
            )
            partner = env["res.partner"].create({"name": "Race customer"})
            gestures = env["loyalty.gesture"].create(
                [{"partner_id": partner.id, "type_id": gesture_type.id} for __ in range(2)]
            )
            ids = gestures.ids
            cleanup = (archived.ids, charter.id, gesture_type.id, partner.id)
        try:
            barrier = threading.Barrier(2)
            outcomes = []

            def submit(gesture_id):
                with committed_env(registry) as env:
                    gesture = env["loyalty.gesture"].browse(gesture_id)
                    self.assertEqual(gesture.state, "draft")  # snapshot taken before the race
                    barrier.wait()
                    try:
                        retrying(gesture.action_submit, env)
                        outcomes.append("granted")
                    except UserError as error:
                        env.cr.rollback()
                        outcomes.append("refused" if "allows 1" in str(error) else repr(error))
                    except Exception as error:
                        env.cr.rollback()
                        outcomes.append(repr(error))

            run_twice_at_once(submit, *((i,) for i in ids))
            self.assertEqual(sorted(outcomes), ["granted", "refused"])
        finally:
            with committed_env(registry) as env:
                gestures = env["loyalty.gesture"].browse(ids)
                gestures.filtered(lambda g: g.state != "draft").action_cancel()
                gestures.unlink()
                archived_ids, charter_id, type_id, partner_id = cleanup
                env["loyalty.gesture.charter"].browse(charter_id).unlink()
                env["loyalty.gesture.type"].browse(type_id).unlink()
                env["res.partner"].browse(partner_id).unlink()
                env["loyalty.gesture.charter"].browse(archived_ids).action_unarchive()
