"""Concurrency on committed data with separate connections (see scratch.py)."""

import unittest
import uuid

import scratch

from odoo.exceptions import UserError


class TestConcurrentApproval(unittest.TestCase):
    def test_two_managers_approve_the_same_gesture_once(self):
        registry = scratch.scratch_registry()

        run = uuid.uuid4().hex[:8]

        def prepare(env):
            users = env["res.users"].with_context(no_reset_password=True)
            group_ids = [env.ref("loyalty_gesture.group_care_manager").id]
            managers = [
                users.create(
                    {
                        "name": f"Race manager {i}",
                        "login": f"race_manager_{i}_{run}",
                        "groups_id": [(6, 0, group_ids)],
                    }
                )
                for i in (1, 2)
            ]
            agent = users.create(
                {
                    "name": "Race agent",
                    "login": f"race_agent_{run}",
                    "groups_id": [(6, 0, [env.ref("loyalty_gesture.group_care_agent").id])],
                }
            )
            gesture_type = env["loyalty.gesture.type"].create(
                {"name": "Race coupon", "default_value": 10, "max_value": 1000}
            )
            customer = env["res.partner"].create(
                {"name": "Race customer", "email": "race@example.com"}
            )
            env.company.care_agent_gesture_limit = 50
            gesture = (
                env["loyalty.gesture"]
                .with_user(agent)
                .create({"partner_id": customer.id, "type_id": gesture_type.id, "value": 500})
            )
            gesture.action_submit()
            return gesture.id, [m.id for m in managers]

        gesture_id, manager_ids = scratch.setup(registry, prepare)

        def approve(env):
            env["loyalty.gesture"].browse(gesture_id).action_approve()
            return env.uid

        outcomes = scratch.race(registry, [(uid, approve) for uid in manager_ids])
        winners = [value for kind, value in outcomes if kind == "ok"]
        errors = [value for kind, value in outcomes if kind == "error"]
        self.assertEqual(len(winners), 1, outcomes)
        self.assertEqual(len(errors), 1, outcomes)
        self.assertIsInstance(errors[0], UserError, "the loser gets a clear message, not a crash")

        def state(env):
            gesture = env["loyalty.gesture"].browse(gesture_id)
            return gesture.state, gesture.approved_by_id.id

        final_state, approver = scratch.setup(registry, state)
        self.assertIn(final_state, ("approved", "done"), "approval fulfils the gesture once")
        self.assertEqual(approver, winners[0])
