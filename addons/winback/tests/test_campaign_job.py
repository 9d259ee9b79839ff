"""Start returns at once; the campaign's background job works in chunks that fit the
worker limits, shows its progress, and stops with the campaign."""

from odoo.addons.loyalty_gesture.tests.common import MANAGER
from odoo.addons.loyalty_gesture.tests.cron_common import tiny_cron_limits
from odoo.exceptions import AccessError
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestCampaignJob(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign = cls._sleeper_campaign("Napper {:02d}", 9, name="In the background")
        cls.jobs = cls.env["ir.cron"].search([("code", "like", "_cron_process_campaigns")])

    def _call_job_once(self):
        """One call of the job under tiny limits (one chunk of one member: no time for
        more); returns what remains."""
        with tiny_cron_limits():
            self.env["winback.campaign"]._cron_process_campaigns()
        return self.env["winback.campaign"]._job_remaining()

    def _progress(self):
        self.campaign.invalidate_recordset()
        campaign = self.campaign.with_user(self.manager)
        return (
            campaign.job_state,
            campaign.member_count,
            campaign.offer_count,
            campaign.emailed_count,
            campaign.pending_count,
        )

    def test_start_triggers_the_job_and_returns(self):
        self.assertEqual(len(self.jobs), 2, "two shards of the campaign job")
        self.env["ir.cron.trigger"].search([("cron_id", "in", self.jobs.ids)]).unlink()
        self.campaign.with_user(self.manager).action_start()
        self.assertEqual(self.campaign.state, "running")
        self.assertFalse(self.campaign.member_ids, "nobody is targeted inside the request")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "in", self.jobs.ids)])
        self.assertEqual(triggers.cron_id, self.jobs, "both shards are woken")
        self.assertEqual(self._progress(), ("queued", 0, 0, 0, 0))

    def test_agent_cannot_start(self):
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.agent).action_start()
        self.assertEqual(self.campaign.state, "draft")

    def test_chunks_with_lowered_limits_take_each_member_once(self):
        self.campaign.with_user(self.manager).action_start()
        self.assertEqual(self._call_job_once(), 9, "first call: the segment, then it stops")
        self.assertEqual(self._progress(), ("running", 9, 0, 0, 9))
        self.assertEqual(self._call_job_once(), 8, "second call: one chunk of one member")
        state, _members, offers, emailed, pending = self._progress()
        self.assertEqual((state, offers, emailed, pending), ("running", 1, 1, 8))
        richest = self.campaign.member_ids.sorted(lambda m: (-m.revenue_before, m.id))[:1]
        self.assertTrue(richest.contacted, "best customers first")
        calls, remaining = 2, 8
        while remaining and calls < 20:
            remaining = self._call_job_once()
            calls += 1
        self.assertEqual(calls, 10, "the targeting call, then one member per call")
        self.assertEqual(self._progress(), (False, 9, 9, 9, 0))
        members = self.campaign.member_ids
        self.assertEqual(len(members.gesture_id), 9, "one offer each")
        gestures = self.env["loyalty.gesture"].search(
            [("partner_id", "in", self.sleepers.ids), ("type_id", "=", self.gesture_type.id)]
        )
        self.assertEqual(gestures, members.gesture_id, "and no other")
        self._send_queued_mailings()
        mails = self._traces(self.campaign)
        self.assertEqual(sorted(mails.mapped("res_id")), sorted(members.ids), "one email each")
        self.assertEqual(self.campaign.contacted_count, 9)

    def test_stop_halts_the_job(self):
        self.campaign.with_user(self.manager).action_start()
        self._call_job_once()
        self._call_job_once()
        self.campaign.with_user(self.manager).action_stop()
        self.assertEqual(self._call_job_once(), 0, "a stopped campaign leaves nothing to do")
        self._call_job_once()
        members = self.campaign.member_ids
        self.assertEqual(len(members.filtered("contacted")), 1, "nobody contacted after Stop")
        self.assertEqual(len(members.gesture_id), 1)
        self.assertEqual(len(members.filtered(lambda m: m.state == "targeted")), 8)
        self.assertFalse(self._progress()[0], "no background job shown once stopped")

    def test_budget_holds_across_chunks(self):
        """One member per call: the budget counts the offers of the earlier chunks at their
        value, not at what they cost once used (none is used yet)."""
        unit = 10 + 2  # offer value and unit cost of the test type, no contact cost
        self.campaign.with_user(self.manager).write({"budget": 4 * unit})
        self.campaign.with_user(self.manager).action_start()
        for _call in range(12):
            self._call_job_once()
        members = self.campaign.member_ids
        self.assertEqual(len(members.filtered("contacted")), 4, "four offers fit the budget")
        self.assertEqual(len(members.filtered(lambda m: m.exclude_reason == "budget")), 5)
        self.assertEqual(self.campaign._committed_cost(), 4 * unit)

    def test_manager_without_sales_rights_starts_a_coupon_campaign(self):
        """The D0 runs in the starter's name: a Care manager who is not a Sales user gets
        the offers granted and the emails (which word each coupon) rendered."""
        manager = self.care_user("wb_manager_no_sales", MANAGER)
        self.assertFalse(manager.has_group("sales_team.group_sale_salesman"))
        # the manager opens the D0 email in the mail editor and keeps the sent emails
        action = self.campaign.with_user(manager).action_open_step_email()
        self.env["mailing.mailing"].with_user(manager).browse(action["res_id"]).keep_archives = True
        self._start_campaign(self.campaign.with_user(manager))
        self.assertEqual(self.campaign.started_by_id, manager)
        members = self.campaign.member_ids
        self.assertEqual(len(members.filtered("contacted")), 9)
        self.assertEqual(set(members.gesture_id.mapped("requested_by_id")), {manager})
        mails = self.env["mail.mail"].search(
            [("model", "=", "winback.campaign.member"), ("res_id", "in", members.ids)]
        )
        self.assertEqual(len(mails), 9)
        self.assertIn("10", mails[0].body_html, "the offer is worded in the email")

    def test_rerun_changes_nothing(self):
        self._start_campaign(self.campaign.with_user(self.manager))
        before = (len(self.campaign.member_ids), len(self._traces(self.campaign)))
        self._run_campaign_job()
        self.assertEqual((len(self.campaign.member_ids), len(self._traces(self.campaign))), before)
