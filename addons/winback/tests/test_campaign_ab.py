"""A/B test of offers: each member of the test draws offer A or B at targeting and gets
that offer; the others wait for the winner, which a manager sends after the observation
window; the figures per variant and their uplift over the holdout."""

import math
from datetime import timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests import screens
from odoo.addons.winback.models import winback_campaign_ab_results
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from . import common


@tagged("post_install", "-at_install")
class TestAbStatistics(common.WinbackCase):
    def test_known_case(self):
        """120 of 1,000 came back against 80 of 1,000 in the holdout: 4 points of uplift,
        standard error sqrt(.12 x .88 / 1000 + .08 x .92 / 1000) = sqrt(.0001792)."""
        uplift, low, high = winback_campaign_ab_results.uplift_interval(120, 1000, 80, 1000)
        margin = 1.96 * math.sqrt(0.0001792)  # 0.0262377
        self.assertAlmostEqual(uplift, 0.04, places=12)
        self.assertAlmostEqual(low, 0.04 - margin, places=12)
        self.assertAlmostEqual(high, 0.04 + margin, places=12)
        # in points, as the form shows them: 4.0 [1.4; 6.6]
        self.assertEqual(
            (round(100 * uplift, 1), round(100 * low, 1), round(100 * high, 1)), (4.0, 1.4, 6.6)
        )
        # a variant below the holdout: a negative uplift, the same width
        uplift, low, high = winback_campaign_ab_results.uplift_interval(80, 1000, 120, 1000)
        self.assertAlmostEqual(uplift, -0.04, places=12)
        self.assertAlmostEqual(high - low, 2 * margin, places=12)
        self.assertIsNone(winback_campaign_ab_results.uplift_interval(3, 10, 0, 0), "no holdout")
        self.assertIsNone(winback_campaign_ab_results.uplift_interval(0, 0, 3, 10), "no member")

    def test_pick_winner(self):
        pick = winback_campaign_ab_results.pick_winner
        self.assertEqual(pick({"a": (12, 100, 500.0), "b": (13, 100, 900.0)}), "b")
        # rates, not counts: 12 of 100 beat 20 of 200
        self.assertEqual(pick({"a": (12, 100, 500.0), "b": (20, 200, 100.0)}), "a")
        # a tie on the rate goes to the cheaper offer per member, then to A
        self.assertEqual(pick({"a": (10, 100, 500.0), "b": (20, 200, 600.0)}), "b")
        self.assertEqual(pick({"a": (10, 100, 500.0), "b": (20, 200, 1000.0)}), "a")


class AbCase(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gesture_type_b = cls.env["loyalty.gesture.type"].create(
            {
                "name": "Win-back big coupon",
                "category": "financial",
                "fulfilment": "coupon",
                "default_value": 25,
                "max_value": 100,
                "unit_cost": 3,
            }
        )
        cls.sleepers = cls._sleepers("Tester {:02d}", 20)
        cls.env["winback.customer.score"]._compute_company_scores(cls.company)
        cls.campaign = cls._ab_campaign(cls.sleepers)

    @classmethod
    def _ab_campaign(cls, partners, **values):
        return cls._campaign_on(
            partners,
            **{
                "name": "Which offer?",
                "contact_cost": 1,
                "ab_test": True,
                "gesture_type_b_id": cls.gesture_type_b.id,
                "ab_test_percent": 50,
                "ab_min_days": 7,
                **values,
            },
        )

    def _mails(self, members):
        """The emails the step mailings sent ``members`` (their traces)."""
        return self._traces(self.campaign).filtered(lambda t: t.res_id in members.ids)

    def _variant(self, variant):
        return self.campaign.member_ids.filtered(lambda m: m.offer_variant == variant)


@tagged("post_install", "-at_install")
class TestAbDraw(AbCase):
    def _customers(self, count, start=0):
        """``count`` lost customers with a score row of their own (no order history needed
        to be targeted), lifetime revenue 1,000 + i."""
        partners = self.env["res.partner"].create(
            [
                {"name": f"Drawn {i:03d}", "email": f"drawn.{i}@example.com"}
                for i in range(start, start + count)
            ]
        )
        self.env["winback.customer.score"].create(
            [
                {
                    "company_id": self.company.id,
                    "partner_id": partner.id,
                    "status": "lost",
                    "order_count": 3,
                    "revenue": 1000 + i,
                }
                for i, partner in enumerate(partners)
            ]
        )
        return partners

    def test_draw_proportions(self):
        partners = self._customers(400)
        campaign = self._ab_campaign(
            partners,
            holdout_percent=10,
            ab_test_percent=50,
            continuous=True,
            partner_domain="[('name', '=like', 'Drawn %')]",
        )
        campaign.action_start()
        campaign._job_target_chunk(1)
        members = campaign.member_ids
        self.assertEqual(members.partner_id, partners)
        holdout = members.filtered("is_holdout")
        self.assertTrue(20 <= len(holdout) <= 60, f"{len(holdout)} of 400 in a 10% holdout")
        self.assertFalse(any(holdout.mapped("offer_variant")), "the holdout has no variant")
        self.assertFalse(any(holdout.mapped("awaiting_winner")))
        others = members - holdout
        offer_a = others.filtered(lambda m: m.offer_variant == "a")
        offer_b = others.filtered(lambda m: m.offer_variant == "b")
        waiting = others.filtered("awaiting_winner")
        self.assertEqual(offer_a | offer_b | waiting, others, "each member: A, B or waiting")
        self.assertFalse(waiting & (offer_a | offer_b))
        # the share of the test, split half and half (exact shares, random members)
        self.assertIn(len(offer_a | offer_b), (len(others) // 2, (len(others) + 1) // 2))
        self.assertLessEqual(abs(len(offer_a) - len(offer_b)), 1)
        best = others.sorted("revenue_before", reverse=True)[:100]
        self.assertTrue(
            best & offer_a and best & offer_b and best & waiting,
            "drawn at random, not by revenue",
        )
        # a rerun of the targeting draws nobody again
        drawn = {m.id: (m.offer_variant, m.awaiting_winner) for m in members}
        campaign._target()
        members.invalidate_recordset()
        self.assertEqual({m.id: (m.offer_variant, m.awaiting_winner) for m in members}, drawn)
        # customers joining a continuous campaign later draw among themselves, the same way
        self._customers(40, start=400)
        campaign._target()
        late = campaign.member_ids - members
        self.assertEqual(len(late), 40)
        late_others = late.filtered(lambda m: not m.is_holdout)
        late_test = late_others.filtered("offer_variant")
        self.assertIn(len(late_test), (len(late_others) // 2, (len(late_others) + 1) // 2))
        self.assertEqual(late_others - late_test, late_others.filtered("awaiting_winner"))
        # once the winner is sent, newcomers get it at once
        self.assertEqual(campaign._give_winner("b"), len(waiting) + len(late_others - late_test))
        campaign.sudo().ab_winner = "b"
        self._customers(5, start=440)
        campaign._target()
        newest = campaign.member_ids - members - late
        self.assertRecordValues(
            newest.filtered(lambda m: not m.is_holdout),
            [{"offer_variant": "b", "winner_wave": True, "awaiting_winner": False}]
            * len(newest.filtered(lambda m: not m.is_holdout)),
        )
        # everyone in the test: split in two, nobody waits
        campaign.action_stop()
        everyone = self._ab_campaign(partners, name="All in", ab_test_percent=100)
        everyone.action_start()
        everyone._job_target_chunk(1)
        counts = {
            variant: len(everyone.member_ids.filtered(lambda m, v=variant: m.offer_variant == v))
            for variant in ("a", "b")
        }
        self.assertEqual(counts["a"] + counts["b"], 400)
        self.assertLessEqual(abs(counts["a"] - counts["b"]), 1)
        self.assertFalse(any(everyone.member_ids.mapped("awaiting_winner")))

    def test_not_an_ab_test(self):
        campaign = self._ab_campaign(self.sleepers, ab_test=False)
        self._start_campaign(campaign)
        self.assertFalse(any(campaign.member_ids.mapped("offer_variant")))
        self.assertEqual(set(campaign.member_ids.mapped("state")), {"contacted"})
        self.assertEqual(campaign.member_ids.gesture_id.type_id, self.gesture_type)


@tagged("post_install", "-at_install")
class TestAbOffers(AbCase):
    def test_each_member_gets_the_offer_of_their_variant(self):
        self._start_campaign(self.campaign)
        offer_a, offer_b = self._variant("a"), self._variant("b")
        self.assertEqual((len(offer_a), len(offer_b)), (5, 5))
        for members, gesture_type, value in (
            (offer_a, self.gesture_type, 10),
            (offer_b, self.gesture_type_b, 25),
        ):
            self.assertEqual(set(members.mapped("state")), {"contacted"})
            for member in members:
                self.assertEqual(
                    (member.gesture_id.partner_id, member.gesture_id.type_id),
                    (member.partner_id, gesture_type),
                )
                self.assertEqual(member.gesture_id.value, value)
        # the budget counts each variant's value and unit cost
        self.assertAlmostEqual(
            self.campaign._committed_cost(), 5 * (10 + 2 + 1) + 5 * (25 + 3 + 1), places=2
        )
        self.campaign.invalidate_recordset()
        self.assertRecordValues(
            self.campaign,
            [
                {
                    "ab_a_count": 5,
                    "ab_b_count": 5,
                    "ab_a_cost": 5 * (2 + 1),  # unit cost and contact; unused coupons: 0
                    "ab_b_cost": 5 * (3 + 1),
                    "ab_awaiting_count": 10,
                }
            ],
        )

    def test_budget_counts_each_variant(self):
        self.campaign.with_user(self.manager).action_start()
        self.campaign._job_target_chunk(1)
        tested = self.campaign.member_ids.filtered("offer_variant").sorted(
            lambda m: (-m.revenue_before, m.id)
        )
        units = {"a": 10 + 2 + 1, "b": 25 + 3 + 1}
        # room for the first eight, and less than the cheapest offer beyond
        budget = sum(units[m.offer_variant] for m in tested[:8]) + 12
        self.assertIn("b", tested[:8].mapped("offer_variant"))
        self.campaign.with_user(self.manager).budget = budget
        self._run_campaign_job()
        self.assertEqual(tested[:8].mapped("state"), ["contacted"] * 8)
        self.assertEqual(tested[8:].mapped("exclude_reason"), ["budget"] * 2)

    def test_awaiting_members_get_the_winner_once_sent(self):
        self._start_campaign(self.campaign.with_user(self.manager))
        waiting = self.campaign.member_ids.filtered("awaiting_winner")
        self.assertEqual(len(waiting), 10)
        self._run_campaign_job()
        self.assertEqual(set(waiting.mapped("state")), {"targeted"}, "not contacted")
        self.assertFalse(waiting.gesture_id)
        self.assertFalse(self._mails(waiting))
        self.assertEqual(self.campaign.pending_count, 0, "nothing for the job to do meanwhile")
        campaign = self.campaign.with_user(self.manager)
        with self.assertRaises(UserError) as caught:
            campaign.action_send_winner()
        self.assertIn("7 days", str(caught.exception), "too early: says why")
        # eight days later, offer B's members came back, none of offer A's
        self.campaign.sudo().date_start = fields.Datetime.now() - timedelta(days=8)
        for member in self._variant("b"):
            self._order_on(member.partner_id, fields.Datetime.now() - timedelta(hours=1))
        self.campaign.invalidate_recordset()
        self.assertTrue(campaign.ab_can_send_winner)
        self.env["ir.cron.trigger"].search([]).unlink()
        campaign.action_send_winner()
        self.assertEqual(self.campaign.ab_winner, "b")
        self.assertTrue(self.env["ir.cron.trigger"].search_count([]), "the job is woken")
        self.assertEqual(set(waiting.mapped("offer_variant")), {"b"})
        self.assertFalse(any(waiting.mapped("awaiting_winner")))
        self._run_campaign_job()
        self.assertEqual(set(waiting.mapped("state")), {"contacted"})
        self.assertEqual(waiting.gesture_id.type_id, self.gesture_type_b)
        self.assertEqual(set(waiting.gesture_id.mapped("value")), {25})
        self.assertEqual(len(self._mails(waiting)), 10)
        # the test's figures stay the test's: the late wave is not in them
        self.campaign.invalidate_recordset()
        self.assertRecordValues(
            self.campaign,
            [
                {
                    "ab_a_count": 5,
                    "ab_b_count": 5,
                    "ab_a_rate": 0.0,
                    "ab_b_rate": 100.0,
                    "ab_b_revenue": 5 * 100.0,
                    "ab_awaiting_count": 0,
                }
            ],
        )
        with self.assertRaises(UserError) as caught:
            campaign.action_send_winner()
        self.assertIn("already sent", str(caught.exception))

    def test_refusals(self):
        campaign = self.campaign.with_user(self.manager)
        with self.assertRaises(UserError, msg="not running"):
            campaign.action_send_winner()
        self._start_campaign(campaign)
        self.campaign.sudo().date_start = fields.Datetime.now() - timedelta(days=30)
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.agent).action_send_winner()
        plain = self._ab_campaign(self.sleepers, name="No test", ab_test=False)
        with self.assertRaises(UserError) as caught:
            plain.action_send_winner()
        self.assertIn("no A/B test", str(caught.exception))
        self.assertFalse(self.campaign.ab_winner)
        campaign.action_stop()
        with self.assertRaises(UserError) as caught:
            campaign.action_send_winner()
        self.assertIn("running", str(caught.exception))
        everyone = self._ab_campaign(self.sleepers, name="All in", ab_test_percent=100)
        self._start_campaign(everyone)
        everyone.sudo().date_start = fields.Datetime.now() - timedelta(days=30)
        self.assertFalse(everyone.ab_can_send_winner)
        with self.assertRaises(UserError) as caught:
            everyone.action_send_winner()
        self.assertIn("nobody", str(caught.exception))

    def test_settings(self):
        campaign = self.campaign.with_user(self.manager)
        for bad in (
            {"gesture_type_b_id": False},
            {"gesture_type_b_id": self.gesture_type.id, "offer_value_b": 10},
            {"ab_test_percent": 120},
            {"ab_test_percent": -1},
            {"ab_test_percent": 0},
            {"ab_min_days": -1},
            {"offer_value_b": 101},  # above the type's maximum
            {"reminder_days": 5, "reminder_offer_value": 20},
        ):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                campaign.write(bad)
        # the same type for another value is another offer
        campaign.write({"gesture_type_b_id": self.gesture_type.id, "offer_value_b": 20})
        self.assertEqual(self.campaign.offer_value_b, 20)
        campaign.write({"gesture_type_b_id": self.gesture_type_b.id})
        self.assertEqual(self.campaign.offer_value_b, 25, "the type's default value")
        self._start_campaign(campaign)
        for frozen in (
            {"ab_test": False},
            {"gesture_type_b_id": self.gesture_type.id},
            {"offer_value_b": 30},
            {"ab_test_percent": 100},
            {"ab_min_days": 0},
            {"ab_winner": "a"},
        ):
            with self.subTest(frozen=frozen), self.assertRaises(UserError) as caught:
                campaign.write(frozen)
            self.assertIn("You cannot set", str(caught.exception))


@tagged("post_install", "-at_install")
class TestAbScreen(screens.ScreensMixin, HttpCase, AbCase):
    def test_results_per_variant_on_the_form(self):
        campaign = self._ab_campaign(self.sleepers, holdout_percent=20)
        self._start_campaign(campaign)
        campaign.sudo().date_start = fields.Datetime.now() - timedelta(days=8)
        came_back = campaign.member_ids.filtered(lambda m: m.offer_variant == "b")[:3]
        for member in came_back:
            self._order_on(member.partner_id, fields.Datetime.now() - timedelta(hours=1))
        campaign._update_results()
        campaign.invalidate_recordset()
        self.assertEqual(campaign.ab_b_reactivated_count, 3)
        action = self.env.ref("winback.winback_campaign_action")
        row_b = "document.querySelector('.o_winback_ab_results .o_winback_ab_b')"
        cells = f"{row_b}.querySelectorAll('td')"
        # whole numbers, written alike in every language
        ready = [
            row_b,
            f"{cells}[1].innerText.trim() === '{campaign.ab_b_count}'",
            f"{cells}[2].innerText.trim() === '3'",
            "!!document.querySelector(\"button[name='action_send_winner']\")",
        ]
        # the uplift's columns and a word on small samples, with a holdout to compare with
        shown = "!!" if campaign.ab_has_holdout else "!"
        ready += [
            f"{shown}document.querySelector('.o_winback_ab_uplift')",
            f"{shown}document.querySelector('.o_winback_ab_small')",
        ]
        # the table in view, for the screenshot
        ready.append(f"({row_b}.scrollIntoView({{block: 'center'}}), true)")
        self.screen(
            f"/odoo/action-{action.id}/{campaign.id}",
            " && ".join(ready),
            "winback_campaign_ab_results",
            login="wb_manager",
        )
