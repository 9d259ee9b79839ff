"""Two Confirms of the same unhappy answer at once, on committed data (see scratch.py).

Issue #17: the second click showed the customer a raw 400 ("a partner cannot follow
twice the same object") and requests got two identical notes. Both calls now run the
page's own code path (``_submit_answer``) in their own connection, released together.
"""

import unittest
import uuid

import scratch


class TestConcurrentAnswers(unittest.TestCase):
    def test_two_simultaneous_confirms_record_one_answer(self):
        registry = scratch.scratch_registry()
        run = uuid.uuid4().hex[:8]

        def prepare(env):
            owner = (
                env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    {
                        "name": f"Race owner {run}",
                        "login": f"race_owner_{run}",
                        "groups_id": [(6, 0, [env.ref("loyalty_gesture.group_care_agent").id])],
                    }
                )
            )
            customer = env["res.partner"].create(
                {"name": f"Race customer {run}", "email": f"race.{run}@example.com"}
            )
            request = env["satisfaction.request"].create(
                {
                    "partner_id": customer.id,
                    "survey_id": env.ref("satisfaction_survey.survey_nps").id,
                    "user_id": owner.id,
                }
            )
            request.write({"state": "sent", "sent_date": "2026-01-01 00:00:00"})
            return request.id, request.access_token

        request_id, token = scratch.setup(registry, prepare)
        public_uid = scratch.setup(registry, lambda env: env.ref("base.public_user").id)

        def confirm(env):
            # what POST /satisfaction/<token>/submit runs, as the public visitor
            __, outcome = env["satisfaction.request"]._submit_answer(token, "2", "Never again")
            return outcome

        outcomes = scratch.race(registry, [(public_uid, confirm), (public_uid, confirm)])
        self.assertEqual(
            sorted(value for __, value in outcomes),
            ["recorded", "unchanged"],
            f"both clicks end on the thanks page: {outcomes}",
        )

        def state(env):
            request = env["satisfaction.request"].browse(request_id)
            notes = env["mail.message"].search_count(
                [
                    ("model", "=", request._name),
                    ("res_id", "=", request_id),
                    ("author_id", "=", request.partner_id.id),
                ]
            )
            followers = env["mail.followers"].search_count(
                [
                    ("res_model", "=", request._name),
                    ("res_id", "=", request_id),
                    ("partner_id", "=", request.user_id.partner_id.id),
                ]
            )
            inputs = env["survey.user_input"].search_count(
                [("partner_id", "=", request.partner_id.id)]
            )
            return {
                "state": request.state,
                "score": request.score,
                "loop_state": request.loop_state,
                "activities": len(request.activity_ids),
                "notes": notes,
                "owner_follows": followers,
                "answers": inputs,
                "changes": request.answer_change_count,
            }

        self.assertEqual(
            scratch.setup(registry, state),
            {
                "state": "answered",
                "score": 2,
                "loop_state": "open",
                "activities": 1,
                "notes": 1,
                "owner_follows": 1,
                "answers": 1,
                "changes": 0,
            },
        )
