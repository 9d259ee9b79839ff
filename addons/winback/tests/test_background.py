"""Issue #21: Recompute and Refresh run in the background, in chunks that fit Odoo's
worker limits; the dashboard's refresh recomputes only the months that changed."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta
from unittest.mock import patch

from odoo.addons.loyalty_gesture.models.care_helpers import CronClock, cron_chunk_seconds
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL, config

from ..models.winback_customer_score_sql import SCORE_COLUMNS
from . import common


@contextmanager
def tiny_cron_calls():
    """Worker limits of a tenth of a second: each call of a scheduled action gets 5 ms."""
    limits = {"limit_time_cpu": 0.1, "limit_time_real": 0.1, "limit_time_real_cron": 0}
    with patch.dict(config.options, limits):
        assert cron_chunk_seconds() <= 0.005
        yield


class BackgroundCase(common.WinbackCase):
    def _triggers(self, xmlid):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.env.ref(xmlid).id)])

    def _written_later(self, records, shift="1 minute"):
        """Make ``records`` written after the last background run: in a test everything
        shares the transaction's timestamp, a later transaction would write a later one
        (``_seen`` puts them back once a run has seen them)."""
        self.env.flush_all()  # a later flush would write the transaction's timestamp again
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET write_date = write_date + %s::interval WHERE id IN %s",
                SQL.identifier(records._table),
                shift,
                tuple(records.ids),
            )
        )
        records.invalidate_recordset(["write_date"])
        if shift == "1 minute":
            self._later = getattr(self, "_later", []) + [records]

    def _seen(self):
        for records in getattr(self, "_later", []):
            self._written_later(records, "-1 minute")
        self._later = []


@tagged("post_install", "-at_install")
class TestBackgroundScoring(BackgroundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.regular = cls.make_partner("Bg Regular")
        cls._history(cls.regular, [90, 60, 30, 3])
        # a company of its own with a few hundred customers of varied histories
        cls.big = cls.env["res.company"].create({"name": "Background Roastery"})
        cls.env.user.company_ids |= cls.big
        partners = cls.env["res.partner"].create(
            [{"name": f"Bg customer {i:03d}"} for i in range(240)]
        )
        orders = []
        for i, partner in enumerate(partners):
            last = 3 + (i * 7) % 500
            for k in range(1 + i % 4):
                moment = datetime.combine(
                    cls.today - timedelta(days=last + k * (20 + i % 60)), time(10, 0)
                )
                orders.append(
                    {
                        "partner_id": partner.id,
                        "company_id": cls.big.id,
                        "state": "sale",
                        "date_order": moment,
                        "order_line": [
                            (
                                0,
                                0,
                                {
                                    "product_id": cls.product.id,
                                    "product_uom_qty": 1,
                                    "price_unit": 20 + (i * 13) % 300,
                                    "tax_id": [(6, 0, [])],
                                },
                            )
                        ],
                    }
                )
        cls.env["sale.order"].create(orders)
        cls.big_partners = partners

    def _snapshot(self, company):
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM winback_customer_score WHERE company_id = %s",
                SQL(", ").join(SQL.identifier(name) for name in SCORE_COLUMNS),
                company.id,
            )
        )
        return {row[1]: row for row in rows}

    def test_button_triggers_the_job_for_a_manager_not_an_agent(self):
        xmlid = "winback.ir_cron_winback_scores"
        before = self._triggers(xmlid)
        with self.assertRaises(AccessError):
            self.scores.with_user(self.agent).action_recompute()
        self.assertEqual(self._triggers(xmlid), before)
        self.scores.search([("company_id", "in", (self.company | self.company_b).ids)]).unlink()
        (self.company | self.company_b).write({"winback_scored_on": self.today})
        action = self.scores.with_user(self.manager).with_company(self.company).action_recompute()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(self._triggers(xmlid), before + 1, "one trigger of the scoring job")
        self.assertFalse(self._score(self.regular), "nothing computed in the request")
        self.assertTrue(self.company.winback_score_requested)
        self.assertFalse(self.company_b.winback_score_requested)
        # the job: the requested company is rescored (model refitted), not the other one
        for _call in range(50):
            if not self.scores._cron_compute_scores():
                break
        self.assertTrue(self._score(self.regular))
        self.assertFalse(self._score(self.regular).scoring_pending)
        self.assertFalse(self.company.winback_score_requested)
        self.assertFalse(self.scores.search([("company_id", "=", self.company_b.id)]))
        fit = self.env["winback.churn.fit"].sudo()._latest(self.company)
        self.assertEqual(fit.date, self.today)

    def test_chunked_scoring_equals_one_shot(self):
        scores = self.scores
        self.assertTrue(scores._compute_company_scores(self.big))
        gone = self.big_partners[5]
        self.assertTrue(self._score(gone, self.big))
        gone.sale_order_ids.write({"state": "cancel"})
        self.big.winback_scored_on = False
        cursors, staged, rewound = set(), False, False
        with tiny_cron_calls():
            for _call in range(200):
                remaining = scores._cron_compute_scores(batch=50, chunk_rows=40)
                staged = staged or self.big.winback_score_staged_on == self.today
                cursors.add(self.big.winback_score_cursor)
                if not rewound and len(cursors - {0}) == 2:
                    # the last commits lost: the chunks are written again, the same way
                    rewound = True
                    self.env.cr.execute(
                        "UPDATE res_company SET winback_score_cursor = 0 WHERE id = %s",
                        [self.big.id],
                    )
                    self.big.invalidate_recordset(["winback_score_cursor"])
                if not remaining:
                    break
        self.assertEqual(remaining, 0)
        self.assertTrue(staged, "the company's scores were staged, then written in chunks")
        # how many chunks fit in a call depends on the machine's pace: at least two calls
        self.assertGreaterEqual(len(cursors - {0}), 2, "written over several calls")
        self.assertEqual(self.big.winback_scored_on, self.today)
        self.assertFalse(self.big.winback_score_staged_on)
        self.assertFalse(scores._stage_ready(self.big), "the stage table is dropped")
        chunked = self._snapshot(self.big)
        self.assertNotIn(gone.id, chunked, "a customer without orders any more leaves")
        self.assertEqual(len(chunked), 239)
        segments = {row[SCORE_COLUMNS.index("rfm_segment")] for row in chunked.values()}
        self.assertGreater(len(segments), 20, "quintiles ranked over all the customers")
        self.assertTrue(scores._compute_company_scores(self.big))
        one_shot = self._snapshot(self.big)
        self.assertEqual(chunked.keys(), one_shot.keys())
        differ = {
            name
            for partner, row in chunked.items()
            for name, a, b in zip(SCORE_COLUMNS, row, one_shot[partner], strict=True)
            if a != b
        }
        self.assertFalse(differ, "same scores as one pass")


@tagged("post_install", "-at_install")
class TestBackgroundDashboard(BackgroundCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.report = cls.env["care.kpi.report"]
        cls.dash = cls.env["res.company"].create({"name": "Background Dashboard Co"})
        cls.env.user.company_ids |= cls.dash
        cls.months = cls.report._last_months(12)
        customers = cls.env["res.partner"].create(
            [{"name": f"Bg dash customer {i}"} for i in range(24)]
        )
        for i, partner in enumerate(customers):
            for k in (1, 4, 9, 15):
                cls._order_at(partner, k * 30 + i, 50 + i, company=cls.dash)
        cls.gesture_customer = customers[0]
        cls.env["loyalty.gesture"].create(
            {
                "partner_id": customers[1].id,
                "type_id": cls.gesture_type.id,
                "company_id": cls.dash.id,
                "cost": 5,
                "state": "done",
                "done_date": datetime.combine(cls.months[8] + timedelta(days=3), time(9)),
            }
        )

    def _figures(self):
        rows = self.report.search([("company_id", "=", self.dash.id)])
        return {(r.kpi, r.period): (r.measured, r.actual, r.numerator, r.denominator) for r in rows}

    def _recomputed(self, run):
        """The months whose figures ``run()`` recomputed (rows dated back first: a refresh
        dates them to the second)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE care_kpi_report SET refreshed_on = '2020-01-01' WHERE company_id = %s",
            [self.dash.id],
        )
        self.report.invalidate_model()
        run()
        rows = self.report.search([("company_id", "=", self.dash.id)])
        return {r.period for r in rows if r.refreshed_on.year != 2020}

    def _run(self):
        self.report._request_refresh(self.dash)
        done, remaining = self.report._refresh_due()
        self.assertEqual(remaining, 0)
        self._seen()
        self.report.invalidate_model()
        return done

    def test_refresh_button_triggers_the_job_for_a_manager_not_an_agent(self):
        xmlid = "winback.ir_cron_care_kpi_refresh"
        before = self._triggers(xmlid)
        with self.assertRaises(AccessError):
            self.report.with_user(self.agent).action_refresh()
        self.assertEqual(self._triggers(xmlid), before)
        manager = self.report.with_user(self.manager).with_company(self.company)
        action = manager.action_refresh()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self._triggers(xmlid), before + 1)
        self.assertTrue(self.company.care_kpi_started_on)
        self.assertFalse(self.company_b.care_kpi_started_on)
        self.assertFalse(self.report.search_count([("company_id", "=", self.company.id)]))
        # opening reads the stored figures; the job computes them
        manager.action_open_dashboard()
        self.assertFalse(self.report.search_count([("company_id", "=", self.company.id)]))
        self.report._refresh_due()
        cards = manager.search([("period", "=", self.months[0])])
        self.assertEqual(len(cards), 12)
        self.assertTrue(all(cards.mapped("figures_computed_on")))
        self.assertFalse(any(cards.mapped("refresh_running")))

    def test_incremental_refresh(self):
        self.assertEqual(self._run(), 12 + 1, "first refresh: the twelve months")
        self.assertTrue(self.dash.care_kpi_computed_on)
        self.assertFalse(self.dash.care_kpi_started_on)
        figures = self._figures()
        self.assertEqual(len(figures), 12 * 12)
        # nothing written since: nothing recomputed
        self.assertEqual(self._recomputed(self._run), set(), "no month recomputed")
        # a new customer orders this month: only this month's figures change
        month = self.months[0]
        newcomer = self.make_partner("Bg dash newcomer")
        self._written_later(self._order_at(newcomer, 0, company=self.dash))
        recomputed = self._recomputed(self._run)
        self.assertEqual(recomputed, set(self.months[:4]), "the month and the 90 days before")
        after = self._figures()
        changed = {key[1] for key, value in after.items() if value != figures[key]}
        self.assertEqual(changed, {month})
        # a gesture fulfilled six months ago: that month only
        gesture = self.env["loyalty.gesture"].create(
            {
                "partner_id": self.gesture_customer.id,
                "type_id": self.gesture_type.id,
                "company_id": self.dash.id,
                "cost": 7,
                "state": "done",
                "done_date": datetime.combine(self.months[6] + timedelta(days=2), time(9)),
            }
        )
        self._written_later(gesture)
        self.assertEqual(self._recomputed(self._run), {self.months[6]})
        self.assertEqual(self._figures()[("gesture_cost", self.months[6])][1], 7)
        # the same figures as a full recompute
        incremental = self._figures()
        self.report._refresh(self.dash, self.months)
        self.report.invalidate_model()
        self.assertEqual(self._figures(), incremental)

    def test_chunked_refresh_equals_one_pass(self):
        self.report._request_refresh(self.dash)
        dones = []
        with tiny_cron_calls():
            for _call in range(50):
                done, remaining = self.report._refresh_due(CronClock())
                dones.append(done)
                if not remaining:
                    break
        self.assertEqual(remaining, 0)
        self.assertGreaterEqual(len(dones), 4, "several calls")
        self.assertEqual(sum(dones), 12 + 1, "each month computed once, then the company done")
        self.report.invalidate_model()
        chunked = self._figures()
        self.assertEqual(len(chunked), 12 * 12)
        self.report._refresh(self.dash, self.months)
        self.report.invalidate_model()
        self.assertEqual(self._figures(), chunked)
