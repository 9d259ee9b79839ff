from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from . import common


@tagged("post_install", "-at_install")
class TestCampaign(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sleepers = cls._sleepers("Sleeper {:02d}", 40)
        cls.occasional = cls.make_partner("Occasional Odile")
        cls._history(cls.occasional, [600], amount=500)
        cls.small = cls.make_partner("Small Sylvain")
        cls._history(cls.small, [300, 250], amount=5)
        cls.opted_out = cls.make_partner("Opted Out Olivier", care_opt_out=True)
        cls._history(cls.opted_out, [400, 300, 250])
        cls.no_email = cls.make_partner("No Email Nina", email=False)
        cls._history(cls.no_email, [400, 300, 250])
        cls.active = cls.make_partner("Active Anna")
        cls._history(cls.active, [60, 30, 5])
        cls.foreign = cls.make_partner("Foreign Fred")
        cls._history(cls.foreign, [400, 300, 250], company=cls.company_b)
        cls.env["winback.customer.score"]._compute_company_scores(cls.company)
        cls.env["winback.customer.score"]._compute_company_scores(cls.company_b)
        cls.campaign = (
            cls.env["winback.campaign"]
            .with_user(cls.manager)
            .create(
                {
                    "name": "Come back",
                    "company_id": cls.company.id,
                    "segment_dormant": True,
                    "segment_lost": True,
                    "min_orders": 2,
                    "min_revenue": 50,
                    "holdout_percent": 25,
                    "gesture_type_id": cls.gesture_type.id,
                    "contact_cost": 1,
                    "window_days": 90,
                    "relapse_days": 30,
                    "call_delay_days": 7,
                }
            )
        )

    def _members(self, **domain):
        return self.campaign.member_ids.filtered(
            lambda m: all(m[key] == value for key, value in domain.items())
        )

    def _mails(self):
        return self._traces(self.campaign)

    def test_targeting(self):
        self._start_campaign(self.campaign)
        members = self.campaign.member_ids
        self.assertEqual(self.campaign.state, "running")
        self.assertNotIn(self.active, members.partner_id, "active customers are not targeted")
        self.assertNotIn(self.foreign, members.partner_id, "other company's customers neither")
        reasons = {m.partner_id: m.exclude_reason for m in self._members(state="excluded")}
        self.assertEqual(
            reasons,
            {
                self.occasional: "occasional",
                self.small: "low_value",
                self.opted_out: "no_contact",
                self.no_email: "no_contact",
            },
        )
        holdout = self._members(is_holdout=True)
        self.assertEqual(set(holdout.mapped("state")), {"holdout"})
        self.assertTrue(4 <= len(holdout) <= 17, f"{len(holdout)} of 40 in a 25% holdout")
        self.assertEqual(len(self._members(state="contacted")), 40 - len(holdout))
        self.assertFalse(holdout.gesture_id, "the holdout group gets nothing")
        # rerun: same members, same split, nothing sent twice
        split = {m.partner_id.id: m.is_holdout for m in members}
        mails = self._mails()
        self.assertEqual(len(mails), 40 - len(holdout))
        self.campaign._target()
        self.campaign._run_first_step()
        self.campaign.invalidate_recordset(["member_ids"])
        self.assertEqual(self.campaign.member_ids, members)
        self.assertEqual({m.partner_id.id: m.is_holdout for m in members}, split)
        self.assertEqual(self._mails(), mails)

    def test_holdout_extremes(self):
        self.campaign.holdout_percent = 0
        self._start_campaign(self.campaign)
        self.assertFalse(self._members(is_holdout=True))
        busy = self.campaign.copy({"name": "Busy elsewhere", "holdout_percent": 100})
        self._start_campaign(busy)
        self.assertEqual(len(busy.member_ids.filtered("is_holdout")), 0, "busy elsewhere")
        self.assertEqual(
            set(busy.member_ids.mapped("exclude_reason")),
            {"occasional", "low_value", "no_contact", "other_campaign"},
        )

    def test_full_holdout(self):
        self.campaign.holdout_percent = 100
        self._start_campaign(self.campaign)
        holdout = self._members(is_holdout=True)
        self.assertEqual(holdout.partner_id, self.sleepers, "every eligible customer held out")
        self.assertEqual(set(holdout.mapped("state")), {"holdout"})
        self.assertFalse(self._members(state="contacted"))
        self.assertFalse(holdout.gesture_id, "the holdout group gets nothing")
        self.assertFalse(self._mails())

    def test_end_to_end(self):
        self._start_campaign(self.campaign.with_user(self.manager))
        contacted = self._members(state="contacted")
        holdout = self._members(is_holdout=True)
        # D0: a gesture each, through the gesture pipeline, and an email
        self.assertEqual(len(contacted.gesture_id), len(contacted))
        self.assertLessEqual(set(contacted.gesture_id.mapped("state")), {"approved", "done"})
        self.assertEqual(contacted.gesture_id.type_id, self.gesture_type)
        self.assertEqual(contacted[0].gesture_id.partner_id, contacted[0].partner_id)
        self.assertEqual(len(self._mails()), len(contacted))
        logs = self.env["care.contact.log"].search(
            [("kind", "=", "winback"), ("partner_id", "in", contacted.partner_id.ids)]
        )
        self.assertEqual(len(logs), len(contacted))
        # a customer's reply counts as a response
        replier = contacted[0]
        replier.message_post(body="Why not!", author_id=replier.partner_id.id, message_type="email")
        self.assertEqual(replier.state, "responded")
        # D+7: a phone call for those who neither responded nor ordered
        self.env["winback.campaign.member"].browse(contacted.ids).write(
            {"contact_date": fields.Datetime.now() - timedelta(days=8)}
        )
        self.env["winback.campaign"]._cron_process_campaigns()
        called = contacted - replier
        self.assertEqual(len(called.activity_ids), len(called))
        self.assertEqual(
            called.activity_ids.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertFalse(replier.activity_ids)
        # orders: one reactivates then relapses, one stays, one holdout comes back alone
        now = fields.Datetime.now()
        self.campaign.sudo().date_start = now - timedelta(days=80)  # time passes
        relapser, stayer = called[0], called[1]
        back_alone = holdout[0]
        self._order_on(relapser.partner_id, now - timedelta(days=70), 200)
        first = self._order_on(stayer.partner_id, now - timedelta(days=60), 120)
        # the stayer used the campaign coupon on that order
        self.assertTrue(stayer.gesture_id.coupon_card_id, "a personal coupon per member")
        self.env["sale.order.line"].create(
            {
                "order_id": first.id,
                "product_id": self.product.id,
                "price_unit": 0,
                "coupon_id": stayer.gesture_id.coupon_card_id.id,
                "tax_id": [(6, 0, [])],
            }
        )
        self._order_on(stayer.partner_id, now - timedelta(days=50), 180)
        self._order_on(back_alone.partner_id, now - timedelta(days=20), 90)
        self._order_on(relapser.partner_id, now - timedelta(days=100), 999)  # before: ignored
        self.env["winback.campaign"]._cron_process_campaigns()
        self.assertRecordValues(
            relapser | stayer,
            [
                {"state": "relapsed", "reactivated": True, "relapsed": True, "revenue": 200},
                {"state": "reactivated", "reactivated": True, "relapsed": False, "revenue": 300},
            ],
        )
        self.assertEqual(stayer.first_order_amount, 120)
        self.assertEqual(back_alone.state, "holdout")
        self.assertTrue(back_alone.reactivated)
        # results, on known figures
        campaign = self.campaign
        campaign.invalidate_recordset()
        members, holdouts = len(contacted), len(holdout)
        self.assertEqual(campaign.member_count, members)
        self.assertEqual(campaign.reactivated_count, 2)
        self.assertEqual(campaign.holdout_reactivated_count, 1)
        self.assertAlmostEqual(campaign.reactivation_rate, 200.0 / members)
        self.assertAlmostEqual(campaign.holdout_rate, 100.0 / holdouts)
        self.assertAlmostEqual(campaign.lift, 200.0 / members - 100.0 / holdouts)
        self.assertAlmostEqual(campaign.relapse_rate, 50.0)
        self.assertEqual(campaign.revenue_won, 500)
        # unit cost of every offer + the one coupon redeemed + the contacts
        cost = members * 2 + 10 + members * 1
        self.assertEqual(stayer.offer_cost, 12)
        self.assertEqual(relapser.offer_cost, 2)
        self.assertAlmostEqual(campaign.cost, cost)
        self.assertAlmostEqual(campaign.roi, 100.0 * (500 - cost) / cost)
        # rerunning the scheduled actions changes nothing and sends nothing twice
        activities, mails = called.activity_ids, self._mails()
        self.env["winback.campaign"]._cron_process_campaigns()
        self.env["winback.campaign"]._cron_process_campaigns()
        campaign.invalidate_recordset()
        self.assertEqual(called.activity_ids, activities)
        self.assertEqual(self._mails(), mails)
        self.assertEqual(campaign.revenue_won, 500)
        self.assertEqual(relapser.state, "relapsed")
        # results across campaigns, for the graph and pivot views
        groups = self.env["winback.campaign.member"]._read_group(
            [("campaign_id", "=", campaign.id), ("reactivated", "=", True)],
            ["is_holdout"],
            ["revenue:sum"],
        )
        self.assertEqual(dict(groups), {False: 500, True: 90})
        campaign.action_stop()
        self.assertEqual(campaign.state, "done")
        with self.assertRaises(UserError):
            campaign.action_stop()

    def test_budget_cap(self):
        self.campaign.write({"budget": 3 * (10 + 2 + 1), "holdout_percent": 0})
        self._start_campaign(self.campaign)
        contacted = self._members(state="contacted")
        self.assertEqual(len(contacted), 3)
        self.assertEqual(len(self._members(exclude_reason="budget")), 37)
        # the most valuable customers first
        self.assertEqual(
            set(contacted.partner_id.mapped("name")), {"Sleeper 39", "Sleeper 38", "Sleeper 37"}
        )
        self.assertLessEqual(self.campaign.cost, self.campaign.budget)

    def test_reminder_with_a_larger_offer(self):
        self.campaign.write({"holdout_percent": 0, "reminder_days": 3, "reminder_offer_value": 25})
        self._start_campaign(self.campaign)
        contacted = self._members(state="contacted")
        replier = contacted[0]
        replier.action_mark_responded()
        # time passes (members are written by the campaign's steps only)
        contacted.sudo().write({"contact_date": fields.Datetime.now() - timedelta(days=4)})
        mails = self._mails()
        self._run_campaign_job()
        silent = contacted - replier
        self.assertTrue(all(silent.mapped("reminder_sent")))
        self.assertFalse(replier.reminder_sent, "a member who responded leaves the sequence")
        self.assertEqual(len(self._mails() - mails), len(silent))
        self.assertEqual(set(silent.reminder_gesture_id.mapped("value")), {25})
        self.assertTrue(all(g.value < 25 for g in silent.gesture_id), "the incentive grows")
        self.assertEqual(silent[0].offer_cost, 2 + 2, "two offers, unit cost each")
        # no call yet (D+7), and nothing twice on rerun
        self.assertFalse(silent.activity_ids)
        mails = self._mails()
        self._run_campaign_job()
        self.assertEqual(self._mails(), mails)
        self.assertEqual(
            self.env["loyalty.gesture"].search_count([("partner_id", "in", silent.partner_id.ids)]),
            2 * len(silent),
        )

    def test_opportunities_for_high_value_members(self):
        # sleeper i bought 3 x (100 + i): from Sleeper 30 on, 390 or more
        self.campaign.write({"opportunity_min_revenue": 390, "holdout_percent": 0})
        self._start_campaign(self.campaign)
        with_lead = self.campaign.member_ids.filtered("lead_id")
        self.assertEqual(
            sorted(with_lead.partner_id.mapped("name")), [f"Sleeper {i}" for i in range(30, 40)]
        )
        self.assertEqual(set(with_lead.lead_id.mapped("type")), {"opportunity"})
        self.assertEqual(with_lead[0].lead_id.partner_id, with_lead[0].partner_id)
        self.campaign._run_first_step()
        self.campaign._create_opportunities(self.campaign.member_ids)
        self.assertEqual(
            self.env["crm.lead"].search_count([("partner_id", "in", self.sleepers.ids)]), 10
        )

    def test_contact_pressure(self):
        self.company.care_contact_max = 1
        sleeper = self.sleepers.filtered(lambda p: p.name == "Sleeper 39")
        self.env["care.contact.log"]._log_contact(sleeper, "gesture", company=self.company)
        self.campaign.write({"holdout_percent": 0})
        self._start_campaign(self.campaign)
        member = self._members(partner_id=sleeper)
        self.assertRecordValues(
            member, [{"state": "excluded", "exclude_reason": "contact_refused"}]
        )
        self.assertFalse(member.gesture_id)

    def test_access(self):
        with self.assertRaises(AccessError):
            self.env["winback.campaign"].with_user(self.agent).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.campaign.with_user(self.agent).action_start()
        self.assertEqual(self.campaign.state, "draft")
        self.assertFalse(
            self.env["winback.campaign"]
            .with_user(self.manager_b)
            .search([("id", "=", self.campaign.id)])
        )
        self._start_campaign(self.campaign)
        member = self.campaign.member_ids[0]
        with self.assertRaises(AccessError):
            member.with_user(self.manager_b).read(["state"])
        # an agent calls members back and records their answer
        contacted = self._members(state="contacted")[0].with_user(self.agent)
        with self.assertRaises(AccessError):
            contacted.write({"state": "reactivated"})
        contacted.action_mark_responded()
        self.assertEqual(contacted.state, "responded")
        with self.assertRaises(AccessError):
            member.with_user(self.manager_b).action_mark_responded()

    def test_bad_input(self):
        Campaign = self.env["winback.campaign"].with_user(self.manager)
        draft = Campaign.create({"name": "Draft"})
        for values in (
            {"holdout_percent": 120},
            {"holdout_percent": -1},
            {"budget": -5},
            {"contact_cost": -1},
            {"min_orders": 0},
            {"window_days": 0},
            {"partner_domain": "[('name', 'like'"},
            {"partner_domain": "[('no_such_field', '=', 1)]"},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                draft.write(values)
        # the database refuses what slips past the form
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            Campaign.create({"name": "Bad", "holdout_percent": 101})
        empty = Campaign.create(
            {"name": "No status", "segment_dormant": False, "segment_lost": False}
        )
        with self.assertRaises(UserError):
            empty.action_start()
        self._start_campaign(self.campaign)
        with self.assertRaises(UserError):
            self.campaign.action_start()  # double click
        with self.assertRaises(UserError):
            self.campaign.unlink()

    def test_continuous_campaign_takes_newcomers(self):
        self.campaign.write({"continuous": True, "holdout_percent": 0})
        self._start_campaign(self.campaign)
        count = len(self.campaign.member_ids)
        newcomer = self.make_partner("Newly Dormant Nadia")
        self._history(newcomer, [500, 400, 300])
        self.env["winback.customer.score"]._compute_company_scores(self.company)
        self.env["winback.campaign"]._cron_process_campaigns()
        self.campaign.invalidate_recordset(["member_ids"])
        self.assertEqual(len(self.campaign.member_ids), count, "newcomers join once a day")
        self.campaign.sudo().targeted_date -= timedelta(days=1)  # the next day
        self.env["winback.campaign"]._cron_process_campaigns()
        self.campaign.invalidate_recordset(["member_ids"])
        self.assertEqual(len(self.campaign.member_ids), count + 1)
        member = self._members(partner_id=newcomer)
        self.assertEqual(member.state, "contacted")
        self.assertTrue(member.gesture_id)
        self.env["winback.campaign"]._cron_process_campaigns()
        self.campaign.invalidate_recordset(["member_ids"])
        self.assertEqual(len(self.campaign.member_ids), count + 1)

    def test_form_defaults(self):
        with Form(self.env["winback.campaign"].with_user(self.manager)) as form:
            form.name = "Spring"
            form.gesture_type_id = self.gesture_type
            self.assertEqual(form.offer_value, 10, "the offer starts at the type's default")
            self.assertTrue(form.segment_dormant and form.segment_lost)
            self.assertEqual(form.min_orders, 2, "occasional buyers are left out by default")
        campaign = form.record
        self.assertEqual(
            campaign.email_template_id, self.env.ref("winback.mail_template_winback_offer")
        )
        self.assertEqual(campaign.company_id, self.company)
        self.assertEqual(campaign.state, "draft")

    def test_partner_filter(self):
        self.campaign.write(
            {
                "partner_domain": "[('name', 'in', ['Sleeper 01', 'Sleeper 02'])]",
                "holdout_percent": 0,
            }
        )
        self._start_campaign(self.campaign)
        self.assertEqual(
            set(self.campaign.member_ids.partner_id.mapped("name")), {"Sleeper 01", "Sleeper 02"}
        )
