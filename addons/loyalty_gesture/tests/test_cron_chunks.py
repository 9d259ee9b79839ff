"""Scheduled actions in chunks: with the worker limits lowered, each call does one batch
and reports what is left; the calls end with the same result as one big run, nothing
twice, and two workers at once never handle the same card twice."""

import threading
import time
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.service.server import SLEEP_INTERVAL
from odoo.tests import TransactionCase, tagged
from odoo.tools import config, mute_logger

from ..models.care_helpers import CronClock, cron_chunk_seconds
from . import points_common
from .concurrency import committed_env, run_twice_at_once
from .cron_common import call_until_done, tiny_cron_limits
from .test_recommend_effects import EffectCase

EXPIRY = "loyalty_gesture.ir_cron_points_expiry"
REMINDER = "loyalty_gesture.ir_cron_points_expiry_reminder"
EFFECTS = "loyalty_gesture.ir_cron_gesture_effects"


@tagged("post_install", "-at_install")
class TestPointsInChunks(points_common.PointsLotCase):
    def make_cards(self, count):
        cards = self.env["loyalty.card"]
        for index in range(count):
            cards |= self.card(self.make_partner(f"Chunk points {index}"))
            self.earn(cards[-1], 10, "2025-01-15")
        return cards

    def expiry_lines(self, card):
        return card.history_ids.filtered(lambda line: line.description == "Points expired")

    def test_expiry_calls_end_as_one_run(self):
        cards = self.make_cards(5)
        with freeze_time("2026-02-01", tick=True), tiny_cron_limits():
            calls = call_until_done(self, EXPIRY, "_cron_expire_points", batch_size=2)
            self.assertFalse(self.Lot._cron_expire_points() & cards, "a rerun finds nothing")
        self.assertGreaterEqual(len(calls), 3, calls)
        self.assertEqual(cards.mapped("points"), [0.0] * 5)
        for card in cards:
            self.assertEqual(self.expiry_lines(card).mapped("used"), [10.0], "once, not twice")
            self.assertEqual(self.lots(card).mapped("state"), ["expired"])

    def test_a_call_after_the_pass_time_hands_over(self):
        """Odoo calls an action reporting work left up to ten times in one pass of a cron
        worker, whose watchdog waits for the whole pass: the calls share the pass's time,
        and one that finds it spent does nothing and triggers the action for the next."""
        cards = self.make_cards(2)
        cron = self.env.ref(EXPIRY)
        in_cron = self.Lot.with_context(cron_id=cron.id)
        triggers = self.env["ir.cron.trigger"].with_context(active_test=False)
        before = triggers.search_count([("cron_id", "=", cron.id)])
        with freeze_time("2026-02-01", tick=True), tiny_cron_limits():
            self.assertFalse(CronClock(in_cron.env).late, "the pass's first call")
            time.sleep(0.01)
            self.assertTrue(CronClock(in_cron.env).late, "a later call of the same pass")
            self.assertFalse(CronClock(self.env).late, "outside a scheduled action: a call's own")
            self.assertFalse(in_cron._cron_expire_points(), "nothing done")
        self.assertEqual(cards.mapped("points"), [10.0, 10.0])
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), before + 1)

    def test_ten_actions_fit_a_pass_after_the_longest_sleep(self):
        defaults = {"limit_time_cpu": 60, "limit_time_real": 120, "limit_time_real_cron": -1}
        with patch.dict(config.options, defaults):
            seconds = cron_chunk_seconds()
        self.assertEqual(seconds, 5.0)
        self.assertLessEqual(SLEEP_INTERVAL + 10 + 10 * seconds, 120)

    def test_reminder_calls_end_as_one_run(self):
        cards = self.make_cards(5)
        with freeze_time("2025-12-20", tick=True), tiny_cron_limits():
            calls = call_until_done(self, REMINDER, "_cron_remind_points_expiry", batch_size=2)
            self.assertFalse(self.Lot._cron_remind_points_expiry() & cards)
        self.assertGreaterEqual(len(calls), 3, calls)
        for card in cards:
            mails = self.env["mail.mail"].search(
                [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
            )
            self.assertEqual(len(mails), 1, "each customer reminded once")
            self.assertTrue(self.lots(card).reminder_sent)


@tagged("post_install", "-at_install")
class TestEffectsInChunks(EffectCase):
    def figures(self):
        rows = self.env["loyalty.gesture.effect"].search_read(
            [("company_id", "=", self.company.id)],
            [
                name
                for name in self.env["loyalty.gesture.effect"]._fields
                if name not in ("id", "computed_on", "create_date", "write_date", "display_name")
            ],
        )
        return sorted(repr(sorted((k, v) for k, v in row.items() if k != "id")) for row in rows)

    def test_one_company_per_call_same_figures(self):
        Effect = self.env["loyalty.gesture.effect"]
        Effect._compute_company_effects(self.company)  # one company's figures, in one go
        expected = self.figures()
        self.assertTrue(expected)
        companies = self.env["res.company"].search([])
        self.assertGreaterEqual(len(companies), 2)
        since = fields.Datetime.now()
        with tiny_cron_limits():
            calls = call_until_done(self, EFFECTS, "_cron_compute", since=since)
        self.assertEqual([done for done, __ in calls], [1] * len(companies))
        self.assertEqual(self.figures(), expected)
        self.assertTrue(all(companies.mapped("care_effects_computed_on")))
        self.assertEqual(Effect._cron_compute(since=since), 0, "each company once per run")

    def test_recompute_button_triggers_the_job(self):
        cron = self.env.ref(EFFECTS)
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])
        self.env["loyalty.gesture.effect"].with_user(self.manager).action_recompute()
        self.assertEqual(len(Trigger.search([("cron_id", "=", cron.id)]) - before), 1)
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.effect"].with_user(self.agent).action_recompute()


@tagged("post_install", "-at_install")
class TestPointsExpiryTwoWorkers(TransactionCase):
    """Two cron workers (copies of the action) expiring the same backlog at once."""

    def test_each_card_expired_once(self):
        registry = self.registry
        self.assertFalse(registry.test_cr, "threads need their own connections")
        yesterday = fields.Date.today() - timedelta(days=1)
        with committed_env(registry) as env:
            Lot = env["loyalty.points.lot"]
            self.assertFalse(Lot.search_count(Lot._care_expiry_domain()), "no other backlog")
            partners = env["res.partner"].create([{"name": f"Two workers {i}"} for i in range(12)])
            cards = env["loyalty.card"]
            for partner in partners:
                card = env.company._care_points_card(partner)
                card._care_credit_points(10, "Two workers earning")
                cards |= card
            Lot.search([("card_id", "in", cards.ids)]).write({"expiry_date": yesterday})
            card_ids, partner_ids = cards.ids, partners.ids
            cron_id = env.ref(EXPIRY).id
        outcomes = []
        barrier = threading.Barrier(2)

        def expire():
            with committed_env(registry) as env:
                model = env["loyalty.points.lot"].with_context(cron_id=cron_id)
                barrier.wait()
                try:
                    outcomes.append(len(model._cron_expire_points(batch_size=2)))
                except Exception as error:
                    env.cr.rollback()
                    outcomes.append(repr(error))

        try:
            with mute_logger("odoo.addons.loyalty_gesture"):
                run_twice_at_once(expire)
            with committed_env(registry) as env:
                env["loyalty.points.lot"]._cron_expire_points()  # what a lost race left
                cards = env["loyalty.card"].browse(card_ids)
                lines = env["loyalty.history"].search(
                    [("card_id", "in", card_ids), ("description", "=", "Points expired")]
                )
                self.assertEqual(sorted(lines.card_id.ids), sorted(card_ids), outcomes)
                self.assertEqual(len(lines), len(card_ids), "no card expired twice")
                self.assertEqual(set(cards.mapped("points")), {0.0})
                self.assertEqual(
                    sum(n for n in outcomes if isinstance(n, int)) <= len(card_ids), True
                )
        finally:
            with committed_env(registry) as env:
                env["loyalty.card"].browse(card_ids).unlink()
                env["res.partner"].browse(partner_ids).unlink()
