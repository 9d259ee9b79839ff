"""Crash safety of the suite's scheduled actions, on committed data (see scratch.py).

Each test makes a scheduled action fail for real in the middle of its work: a
PostgreSQL trigger, created for the test, raises on the (k+1)-th row the action inserts
into a table (emails, coupons, members, survey requests, scores…). The action runs
through Odoo's own cron runner (``ir.cron._run_job``: one transaction per batch,
committed between batches, rolled back on error), is run again once the fault is
gone, then a third time: every due record is handled exactly once — no duplicate
email, coupon, gesture, member or survey request, nothing lost.
"""

import unittest
import uuid
from datetime import datetime, time, timedelta

import scratch

from odoo import fields
from odoo.tools import SQL, mute_logger

CRON_LOGGER = "odoo.addons.base.models.ir_cron"
SEND = "satisfaction_survey.ir_cron_satisfaction_send"


def install_fault(env, table, after, condition="TRUE"):
    """Make inserts into ``table`` matching ``condition`` fail after the first ``after`` rows.

    The counter is a sequence: it keeps counting through rolled-back transactions, so
    the fault fires once, on the (after+1)-th attempted row, and on every row after it.
    """
    cr = env.cr
    cr.execute(SQL("DROP SEQUENCE IF EXISTS care_crash_seq"))
    cr.execute(SQL("CREATE SEQUENCE care_crash_seq"))
    cr.execute(
        SQL(
            """
            CREATE OR REPLACE FUNCTION care_crash_fault() RETURNS trigger AS $$
            BEGIN
                IF nextval('care_crash_seq') > TG_ARGV[0]::int THEN
                    RAISE EXCEPTION USING MESSAGE = 'care crash test: failure on insert into ' || TG_TABLE_NAME;
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql
            """
        )
    )
    cr.execute(SQL("DROP TRIGGER IF EXISTS care_crash_fault ON %s", SQL.identifier(table)))
    cr.execute(
        SQL(
            "CREATE TRIGGER care_crash_fault BEFORE INSERT ON %s FOR EACH ROW WHEN (%s) "
            "EXECUTE FUNCTION care_crash_fault(%s)",
            SQL.identifier(table),
            SQL(condition),
            SQL(str(int(after))),
        )
    )


def remove_fault(env, table):
    """Drop the fault; return how many rows were attempted while it was in place."""
    cr = env.cr
    cr.execute(SQL("SELECT to_regclass('care_crash_seq') IS NOT NULL"))
    last_value, is_called = 0, False
    if cr.fetchone()[0]:
        cr.execute(SQL("SELECT last_value, is_called FROM care_crash_seq"))
        last_value, is_called = cr.fetchone()
    cr.execute(SQL("DROP TRIGGER IF EXISTS care_crash_fault ON %s", SQL.identifier(table)))
    cr.execute(SQL("DROP SEQUENCE IF EXISTS care_crash_seq"))
    return last_value if is_called else 0


def ids_condition(column, ids):
    return "NEW.%s = ANY('{%s}'::int[])" % (column, ",".join(str(int(i)) for i in ids))


class CrashCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = scratch.scratch_registry()
        cls.run_id = uuid.uuid4().hex[:8]

    def setup(self, func):
        return scratch.setup(self.registry, func)

    def run_cron(self, xmlid, code=None):
        """Run the scheduled action as a cron worker does; return its completion status."""

        def job(env):
            cron = env.ref(xmlid)
            if code:
                cron.ir_actions_server_id.code = code
            return {
                "id": cron.id,
                "user_id": cron.user_id.id,
                "lastcall": cron.lastcall,
                "cron_name": cron.cron_name,
                "ir_actions_server_id": cron.ir_actions_server_id.id,
                "timed_out_counter": 0,
                "active": True,
            }

        with mute_logger(CRON_LOGGER):
            return str(self.registry["ir.cron"]._run_job(self.setup(job)))

    def restore_code(self, xmlid, code):
        def restore(env):
            env.ref(xmlid).ir_actions_server_id.code = code

        self.setup(restore)

    def crash_and_rerun(self, xmlid, code, table, after, condition, count):
        """Crash the action, rerun it twice; return ``(statuses, attempts, counts)``.

        ``count(env)`` measures what the action did (a comparable value) after each run.
        """
        self.addCleanup(self.restore_code, xmlid, self.setup(lambda env: env.ref(xmlid).code))
        self.addCleanup(self.setup, lambda env: remove_fault(env, table))
        self.setup(lambda env: install_fault(env, table, after, condition))
        statuses = [self.run_cron(xmlid, code)]
        crashed = self.setup(count)
        attempts = self.setup(lambda env: remove_fault(env, table))
        self.assertGreater(attempts, after, "the fault fired: the action really crashed")
        statuses.append(self.run_cron(xmlid, code))
        rerun = self.setup(count)
        statuses.append(self.run_cron(xmlid, code))
        again = self.setup(count)
        self.assertEqual(again, rerun, "a third run changes nothing")
        return statuses, attempts, crashed, rerun

    def report(self, name, **figures):
        print(f"\ncrash safety [{name}]: " + ", ".join(f"{k}={v}" for k, v in figures.items()))

    def customers(self, env, count, prefix, company=None):
        return env["res.partner"].create(
            [
                {
                    "name": f"{prefix} {i:02d} {self.run_id}",
                    "email": f"{prefix.lower()}.{i}.{self.run_id}@example.com",
                    "company_id": company.id if company else False,
                }
                for i in range(count)
            ]
        )


class TestSurveyCronsCrash(CrashCase):
    def test_send_due_crash_sends_each_survey_once(self):
        """12 due surveys, batches of 5, the 8th email fails: rerun sends each one once."""

        def prepare(env):
            partners = self.customers(env, 12, "Crash survey")
            survey = env.company._satisfaction_trigger("relationship")[1]
            requests = env["satisfaction.request"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": env.company.id,
                        "survey_id": survey.id,
                        "trigger": "manual",
                        "res_model": "res.partner",
                        "res_id": partner.id,
                        "scheduled_date": fields.Datetime.now() - timedelta(days=30),
                    }
                    for partner in partners
                ]
            )
            return requests.ids

        self.run_cron(SEND, "model._cron_send_due(batch_size=500)")  # the backlog first
        request_ids = self.setup(prepare)

        def count(env):
            requests = env["satisfaction.request"].browse(request_ids)
            mails = env["mail.message"].search_count(
                [
                    ("model", "=", "satisfaction.request"),
                    ("res_id", "in", request_ids),
                    ("message_type", "=", "email_outgoing"),
                ]
            )
            logs = env["care.contact.log"].search_count(
                [("res_model", "=", "satisfaction.request"), ("res_id", "in", request_ids)]
            )
            return len(requests.filtered(lambda r: r.state == "sent")), mails, logs

        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            SEND,
            "model._cron_send_due(batch_size=5)",
            "mail_message",
            7,
            "NEW.model = 'satisfaction.request' AND NEW.message_type = 'email_outgoing' AND "
            + ids_condition("res_id", request_ids),
            count,
        )
        sent, mails, logs = crashed
        self.assertEqual(sent, 5, "the first batch committed, the crashed one rolled back")
        self.assertEqual((mails, logs), (5, 5), "no email or log of a rolled-back request")
        self.assertEqual(rerun, (12, 12, 12), "every survey sent once: one email, one log")
        self.report(
            "satisfaction_request._cron_send_due",
            due=12,
            batch=5,
            fault_after_emails=7,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            sent_before_rerun=sent,
            emails=rerun[1],
            duplicates=rerun[1] - 12,
            lost=12 - rerun[0],
        )

    def test_relationship_nps_crash_asks_each_customer_once(self):
        """The 5th request of 10 fails: nothing half-created, the rerun asks each once."""

        def prepare(env):
            company = env["res.company"].create({"name": f"Crash NPS {self.run_id}"})
            company.write(
                {
                    "satisfaction_relationship_trigger": True,
                    "satisfaction_relationship_daily_cap": 100,
                }
            )
            product = env["product.product"].create({"name": "Crash coffee", "list_price": 9})
            partners = self.customers(env, 10, "Crash NPS")
            env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "state": "sale",
                        "date_order": fields.Datetime.now() - timedelta(days=20),
                        "order_line": [(0, 0, {"product_id": product.id, "price_unit": 9})],
                    }
                    for partner in partners
                ]
            )
            return company.id, partners.ids

        company_id, partner_ids = self.setup(prepare)

        def count(env):
            groups = env["satisfaction.request"]._read_group(
                [("company_id", "=", company_id), ("trigger", "=", "relationship")],
                ["commercial_partner_id"],
                ["__count"],
            )
            return len(groups), sum(n for __, n in groups), {p.id for p, __ in groups}

        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "satisfaction_survey.ir_cron_satisfaction_relationship",
            None,
            "satisfaction_request",
            4,
            f"NEW.company_id = {int(company_id)}",
            count,
        )
        self.assertEqual(crashed[:2], (0, 0), "the crashed run created nothing")
        customers, requests, asked = rerun
        self.assertEqual(asked, set(partner_ids), "every active customer asked")
        self.assertEqual(requests, customers, "once each")
        self.report(
            "satisfaction_request._cron_relationship_nps",
            customers=10,
            fault_after_requests=4,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            requests=requests,
            duplicates=requests - customers,
            lost=10 - customers,
        )


class TestPointsCronsCrash(CrashCase):
    def _cards(self, env, count, prefix, expiry):
        company = env.ref("base.main_company")
        cards = env["loyalty.card"]
        for partner in self.customers(env, count, prefix):
            card = company._care_points_card(partner)
            card._care_credit_points(40, "Crash test earning")
            cards |= card
        env["loyalty.points.lot"].search([("card_id", "in", cards.ids)]).write(
            {"expiry_date": expiry}
        )
        return cards.ids

    def test_expire_points_crash_expires_each_lot_once(self):
        """9 cards, batches of 3, the 5th expiry line fails: each card expired once."""
        yesterday = fields.Date.today() - timedelta(days=1)
        self.run_cron("loyalty_gesture.ir_cron_points_expiry")  # the backlog first
        card_ids = self.setup(lambda env: self._cards(env, 9, "Crash expiry", yesterday))

        def count(env):
            cards = env["loyalty.card"].browse(card_ids)
            history = env["loyalty.history"].search([("card_id", "in", card_ids)])
            expiries = history.filtered(lambda h: h.used)
            ledger_ok = all(
                abs(sum(h.issued - h.used for h in history if h.card_id == card) - card.points)
                < 1e-6
                for card in cards
            )
            negative = env["loyalty.card"].search_count([("points", "<", 0)])
            return len(cards.filtered(lambda c: c.points == 0)), len(expiries), ledger_ok, negative

        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "loyalty_gesture.ir_cron_points_expiry",
            "model._cron_expire_points(batch_size=3)",
            "loyalty_history",
            4,
            ids_condition("card_id", card_ids),
            count,
        )
        self.assertEqual(crashed[:2], (3, 3), "one batch of 3 cards committed")
        self.assertTrue(crashed[2], "the ledger matches the balances after the crash")
        self.assertEqual(rerun, (9, 9, True, 0), "each card expired once, none negative")
        self.report(
            "loyalty_points_lot._cron_expire_points",
            cards=9,
            batch=3,
            fault_after_lines=4,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            expiry_lines=rerun[1],
            duplicates=rerun[1] - 9,
            negative_balances=rerun[3],
            lost=9 - rerun[0],
        )

    def test_remind_points_expiry_crash_reminds_each_card_once(self):
        """8 cards, batches of 3, the 5th reminder email fails: each card reminded once."""
        soon = fields.Date.today() + timedelta(days=10)
        self.run_cron("loyalty_gesture.ir_cron_points_expiry_reminder")  # the backlog first
        card_ids = self.setup(lambda env: self._cards(env, 8, "Crash reminder", soon))

        def count(env):
            mails = env["mail.message"]._read_group(
                [
                    ("model", "=", "loyalty.card"),
                    ("res_id", "in", card_ids),
                    ("message_type", "=", "email_outgoing"),
                ],
                ["res_id"],
                ["__count"],
            )
            lots = env["loyalty.points.lot"].search([("card_id", "in", card_ids)])
            return len(mails), sum(n for __, n in mails), len(lots.filtered("reminder_sent"))

        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "loyalty_gesture.ir_cron_points_expiry_reminder",
            "model._cron_remind_points_expiry(batch_size=3)",
            "mail_message",
            4,
            "NEW.model = 'loyalty.card' AND NEW.message_type = 'email_outgoing' AND "
            + ids_condition("res_id", card_ids),
            count,
        )
        self.assertEqual(crashed, (3, 3, 3), "one batch committed, lots flagged with it")
        self.assertEqual(rerun, (8, 8, 8), "each card reminded once")
        self.report(
            "loyalty_points_lot._cron_remind_points_expiry",
            cards=8,
            batch=3,
            fault_after_emails=4,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            emails=rerun[1],
            duplicates=rerun[1] - rerun[0],
            lost=8 - rerun[0],
        )


class TestWinbackCronsCrash(CrashCase):
    def _company_with_sleepers(self, env, count, prefix):
        company = env["res.company"].create({"name": f"{prefix} {self.run_id}"})
        env.user.company_ids |= company
        product = env["product.product"].create({"name": f"{prefix} coffee", "list_price": 9})
        partners = self.customers(env, count, prefix)
        today = fields.Date.context_today(env["res.partner"])
        orders = []
        for index, partner in enumerate(partners):
            for days_ago in (400, 300, 250):
                orders.append(
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "state": "sale",
                        "date_order": datetime.combine(
                            today - timedelta(days=days_ago), time(10, 0)
                        ),
                        "order_line": [
                            (0, 0, {"product_id": product.id, "price_unit": 100 + index})
                        ],
                    }
                )
        env["sale.order"].create(orders)
        return company, partners

    def test_compute_scores_crash_scores_each_customer_once(self):
        def prepare(env):
            company, partners = self._company_with_sleepers(env, 6, "Crash scores")
            return company.id, partners.ids

        company_id, _partner_ids = self.setup(prepare)

        def count(env):
            scores = env["winback.customer.score"].search([("company_id", "=", company_id)])
            return (
                len(scores),
                len(set(scores.partner_id.ids)),
                bool(env["res.company"].browse(company_id).winback_scored_on),
            )

        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "winback.ir_cron_winback_scores",
            None,
            "winback_customer_score",
            3,
            f"NEW.company_id = {int(company_id)}",
            count,
        )
        self.assertEqual(crashed, (0, 0, False), "the crashed company is not marked scored")
        self.assertEqual(rerun, (6, 6, True), "every customer scored once")
        self.report(
            "winback_customer_score._cron_compute_scores",
            customers=6,
            fault_after_scores=3,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            scores=rerun[0],
            duplicates=rerun[0] - rerun[1],
            lost=6 - rerun[1],
        )

    def _campaign_setup(self, env, prefix):
        company, partners = self._company_with_sleepers(env, 8, prefix)
        env["winback.customer.score"]._compute_company_scores(company)
        gesture_type = env["loyalty.gesture.type"].create(
            {
                "name": f"{prefix} coupon",
                "category": "financial",
                "fulfilment": "coupon",
                "default_value": 10,
                "max_value": 100,
                "unit_cost": 2,
                "company_id": company.id,
            }
        )
        campaign = env["winback.campaign"].create(
            {
                "name": f"{prefix} {self.run_id}",
                "company_id": company.id,
                "segment_dormant": True,
                "segment_lost": True,
                "min_orders": 2,
                "min_revenue": 50,
                "holdout_percent": 0,
                "continuous": True,
                "gesture_type_id": gesture_type.id,
                "reminder_days": 3,
                "reminder_offer_value": 25,
                "partner_domain": f"[('id', '=', {partners[0].id})]",
            }
        )
        campaign.action_start()
        env["winback.campaign"]._cron_process_campaigns()  # the start's background job
        # the others become eligible: the next day's run takes them in (members, D0)
        campaign.partner_domain = f"[('id', 'in', {partners.ids})]"
        campaign.targeted_date -= timedelta(days=1)
        return campaign, partners

    def _campaign_count(self, env, campaign_id):
        members = env["winback.campaign.member"].search([("campaign_id", "=", campaign_id)])
        gestures = members.gesture_id | members.reminder_gesture_id
        all_gestures = env["loyalty.gesture"].search_count(
            [("partner_id", "in", members.partner_id.ids)]
        )
        coupons = gestures.coupon_card_id
        # the emails the job queues on the steps' Email Marketing mailings (Odoo's mailing
        # queue sends them: its own scheduled action)
        emails = len(members.filtered("d0_mailing_id")) + len(
            members.filtered("reminder_mailing_id")
        )
        return {
            "members": len(members),
            "distinct_partners": len(members.partner_id),
            "contacted": len(members.filtered("contacted")),
            "gestures": all_gestures,
            "coupons": len(coupons),
            "emails": emails,
            "reminded": len(members.filtered("reminder_sent")),
        }

    def test_campaign_d0_crash_takes_each_member_in_once(self):
        """Newcomers of a continuous campaign; the 4th coupon fails, then the 3rd member."""

        def prepare(env):
            campaign, partners = self._campaign_setup(env, "Crash D0")
            return campaign.id, campaign.company_id.id, partners.ids

        campaign_id, _company_id, partner_ids = self.setup(prepare)
        count = lambda env: self._campaign_count(env, campaign_id)  # noqa: E731
        before = self.setup(count)
        self.assertEqual(before["members"], 1)
        # a coupon fails: members, gestures and D0 emails of the run roll back with it
        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "winback.ir_cron_winback_campaigns",
            None,
            "loyalty_card",
            3,
            ids_condition("partner_id", partner_ids),
            count,
        )
        # targeting and each D0 chunk are committed one by one: the chunks before the
        # failing one stay, the failing one left nothing half-done (each member has all of
        # gesture, coupon and email, or none)
        self.assertEqual((crashed["members"], crashed["distinct_partners"]), (8, 8))
        done = crashed["contacted"]
        self.assertLess(done, 8, "the run stopped at the fault")
        self.assertEqual(
            (crashed["gestures"], crashed["coupons"], crashed["emails"]), (done, done, done)
        )
        expected = {
            "members": 8,
            "distinct_partners": 8,
            "contacted": 8,
            "gestures": 8,
            "coupons": 8,
            "emails": 8,
            "reminded": 0,
        }
        self.assertEqual(rerun, expected, "each member once: one gesture, coupon, email")
        self.report(
            "winback_campaign._cron_process_campaigns (members, coupons, D0 emails)",
            newcomers=7,
            fault_after_coupons=3,
            contacted_before_rerun=crashed["contacted"],
            insert_attempts=attempts,
            statuses="/".join(statuses),
            members=rerun["members"],
            gestures=rerun["gestures"],
            coupons=rerun["coupons"],
            emails=rerun["emails"],
            duplicates=rerun["members"]
            - rerun["distinct_partners"]
            + rerun["gestures"]
            - 8
            + rerun["emails"]
            - 8,
            lost=8 - rerun["contacted"],
        )

    def test_a_step_mailing_another_worker_holds_is_left_to_it(self):
        """The job queuing a step mailing that another worker holds (Email Marketing's
        queue sending a slice of it) goes on without it, instead of failing its chunk on
        the concurrent update; the job's requeue chunk takes the mailing once free."""

        def prepare(env):
            campaign, _partners = self._campaign_setup(env, "Held mailing")
            mailing = campaign._step_mailing("d0")
            mailing.sudo().state = "done"  # a slice went out, the rest not queued yet
            return mailing.id

        mailing_id = self.setup(prepare)

        def queue(env):
            mailing = env["mailing.mailing"].browse(mailing_id)
            mailing._winback_queue()
            return mailing.state

        with self.registry.cursor() as holder:
            holder.execute("SELECT id FROM mailing_mailing WHERE id = %s FOR UPDATE", [mailing_id])
            self.assertEqual(self.setup(queue), "done", "left to the worker holding it")
            holder.rollback()

        def requeue(env):
            taken = env["winback.campaign"]._job_requeue_chunk(10)
            return taken, env["mailing.mailing"].browse(mailing_id).state

        self.assertEqual(self.setup(requeue), (1, "in_queue"), "back in the queue once free")

    def test_campaign_member_insert_crash(self):
        """Members are inserted in one statement: the 3rd member fails, none is half-in."""

        def prepare(env):
            campaign, partners = self._campaign_setup(env, "Crash members")
            return campaign.id, partners.ids

        campaign_id, _partner_ids = self.setup(prepare)
        count = lambda env: self._campaign_count(env, campaign_id)  # noqa: E731
        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "winback.ir_cron_winback_campaigns",
            None,
            "winback_campaign_member",
            2,
            f"NEW.campaign_id = {int(campaign_id)}",
            count,
        )
        self.assertEqual(crashed["members"], 1, "no newcomer half-taken in")
        self.assertEqual((rerun["members"], rerun["distinct_partners"]), (8, 8))
        self.assertEqual((rerun["gestures"], rerun["coupons"], rerun["emails"]), (8, 8, 8))
        self.report(
            "winback_campaign._cron_process_campaigns (member insert)",
            newcomers=7,
            fault_after_members=2,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            members=rerun["members"],
            duplicates=rerun["members"] - rerun["distinct_partners"],
            lost=8 - rerun["members"],
        )

    def test_campaign_reminder_crash_reminds_each_member_once(self):
        """D+3 reminders with a larger offer; the 4th reminder coupon fails."""

        def prepare(env):
            campaign, _partners = self._campaign_setup(env, "Crash reminder")
            campaign._target()
            campaign._run_first_step()
            campaign.member_ids.write({"contact_date": fields.Datetime.now() - timedelta(days=4)})
            return campaign.id, campaign.member_ids.partner_id.ids

        campaign_id, partner_ids = self.setup(prepare)
        count = lambda env: self._campaign_count(env, campaign_id)  # noqa: E731
        before = self.setup(count)
        self.assertEqual((before["members"], before["emails"], before["reminded"]), (8, 8, 0))
        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "winback.ir_cron_winback_campaigns",
            None,
            "loyalty_card",
            3,
            ids_condition("partner_id", partner_ids),
            count,
        )
        self.assertEqual(crashed, before, "the crashed run left nothing half-done")
        self.assertEqual(rerun["reminded"], 8)
        self.assertEqual(rerun["emails"], 16, "one D0 email and one reminder each")
        self.assertEqual(rerun["gestures"], 16, "one D0 offer and one reminder offer each")
        self.assertEqual(rerun["coupons"], 16)
        self.report(
            "winback_campaign._cron_process_campaigns (reminders, gestures)",
            members=8,
            fault_after_reminders=3,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            reminder_emails=rerun["emails"] - 8,
            reminder_gestures=rerun["gestures"] - 8,
            duplicates=rerun["emails"] - 16 + rerun["gestures"] - 16,
            lost=8 - rerun["reminded"],
        )


class TestKpiCronCrash(CrashCase):
    def test_kpi_refresh_crash_keeps_one_row_per_figure(self):
        def prepare(env):
            company = env["res.company"].create({"name": f"Crash KPI {self.run_id}"})
            return company.id

        company_id = self.setup(prepare)

        def count(env):
            rows = env["care.kpi.report"].search([("company_id", "=", company_id)])
            keys = {(r.kpi, r.period) for r in rows}
            return len(rows), len(keys)

        statuses, attempts, crashed, rerun = self.crash_and_rerun(
            "winback.ir_cron_care_kpi_refresh",
            None,
            "care_kpi_report",
            5,
            f"NEW.company_id = {int(company_id)}",
            count,
        )
        self.assertEqual(crashed, (0, 0), "the crashed refresh wrote nothing")
        rows, figures = rerun
        self.assertGreater(rows, 5)
        self.assertEqual(rows, figures, "one row per KPI and month")
        self.report(
            "care_kpi_report._cron_refresh",
            fault_after_rows=5,
            insert_attempts=attempts,
            statuses="/".join(statuses),
            rows=rows,
            duplicates=rows - figures,
        )
