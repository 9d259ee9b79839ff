from odoo.addons.loyalty_gesture.tests import screens
from odoo.tests import HttpCase, tagged

from . import common


@tagged("post_install", "-at_install")
class TestCampaignTour(screens.ScreensMixin, HttpCase, common.WinbackCase):
    def test_manager_starts_a_campaign_in_the_browser(self):
        sleepers = self.env["res.partner"]
        for i in range(20):
            sleeper = self.make_partner(f"Tour Sleeper {i:02d}")
            self._history(sleeper, [400, 300, 250], amount=100 + i)
            sleepers |= sleeper
        active = self.make_partner("Tour Active Anna")
        self._history(active, [60, 30, 5])
        self._compute()
        self.assertIn(self._score(sleepers[0]).status, ("dormant", "lost"))
        action = self.env.ref("winback.winback_campaign_action")
        self.start_tour(f"/odoo/action-{action.id}", "winback_campaign_tour", login="wb_manager")
        campaign = self.env["winback.campaign"].search([("name", "=", "Tour win-back")])
        self.assertFalse(campaign.member_ids, "Start only queued the job")
        self._run_campaign_job()
        # three customers opened the D0 email, one clicked its link (Email Marketing's traces)
        traces = self._traces(campaign)
        self.assertEqual(len(traces), len(campaign.member_ids.filtered("contacted")))
        traces[:3].set_opened()
        traces[:1].set_clicked()
        self.start_tour(
            f"/odoo/action-{action.id}", "winback_campaign_results_tour", login="wb_manager"
        )
        self.assertRecordValues(
            campaign,
            [
                {
                    "state": "running",
                    "company_id": self.company.id,
                    "gesture_type_id": self.gesture_type.id,
                    "holdout_percent": 50,
                    "segment_dormant": True,
                    "segment_lost": True,
                    "create_uid": self.manager.id,
                }
            ],
        )
        members = campaign.member_ids
        self.assertEqual(members.partner_id, sleepers, "every sleeper, and only them")
        holdout = members.filtered("is_holdout")
        self.assertTrue(holdout, "half of 20 eligible customers: some are held out")
        self.assertTrue(members - holdout, "and the others are targeted")
        self.assertEqual(set(holdout.mapped("state")), {"holdout"})
        self.assertEqual(campaign.holdout_count, len(holdout))
        self.assertFalse(holdout.filtered("contacted"), "the holdout gets no email")
