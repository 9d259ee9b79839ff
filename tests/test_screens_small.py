"""The four screens the screen benchmarks time (tests/benchmarks/screens.py), on a small
synthetic dataset: their RPCs, read from each action and view as the web client sends them,
run as a Customer Care manager and return the rows a plain query over the tables says they
should; and the indexes that keep them fast at 1M customers exist."""

import os
import sys
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "benchmarks"))
import datagen  # tests/benchmarks is not a package
import screens

CUSTOMERS = 600

# (table, index name, its columns): the indexes the screens' default order needs at 1M
# customers (tests/benchmarks/RESULTS.md: Customer statuses 2.1 s without, 0.08 s with)
INDEXES = [
    (
        "winback_customer_score",
        "winback_customer_score__company_risk_index",
        "(company_id, churn_risk DESC, id)",
    ),
    ("loyalty_gesture", "loyalty_gesture__create_date_id_index", "(create_date DESC, id DESC)"),
    (
        "winback_campaign_member",
        "winback_campaign_member__campaign_revenue_index",
        "(campaign_id DESC, revenue_before DESC, id)",
    ),
    # satisfaction analysis over its default 12 months: an index-only scan (4 s -> 0.3 s)
    (
        "satisfaction_request",
        "satisfaction_request_analysis_index",
        "(sent_date) INCLUDE (company_id, kind, state, nps_category, score, commercial_partner_id)",
    ),
]


@tagged("post_install", "-at_install")
class TestScreensSmall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        datagen.generate(cls.env, CUSTOMERS)
        cls.screens = {op.name: op for op in screens.SCREENS}
        for op in screens.SCREENS:
            op.prepare(cls.env)
        cls.manager = cls.env["res.users"].browse(screens.SCREENS[0].uid)
        cls.env.flush_all()

    def _open(self, name):
        """{rpc: result} of the screen's RPCs, as the Care manager."""
        op = self.screens[name]
        env = self.env(user=self.manager)
        env.invalidate_all()
        return {label: rpc() for label, rpc in op._rpcs(env)}

    def _ids(self, query):
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]

    def test_manager_is_no_superuser(self):
        self.assertFalse(self.manager._is_superuser())
        self.assertFalse(self.manager._is_admin())
        self.assertTrue(self.manager.has_group("loyalty_gesture.group_care_manager"))

    def test_customer_statuses(self):
        records = self._open("screen: customer statuses")["web_search_read"]
        expected = self._ids(
            SQL(
                "SELECT id FROM winback_customer_score WHERE company_id = %s "
                "ORDER BY churn_risk DESC, id LIMIT 80",
                self.env.company.id,
            )
        )
        self.assertEqual(len(expected), 80)
        self.assertEqual([r["id"] for r in records], expected)
        # the list's fields, many2one as display names
        self.assertEqual(records[0]["partner_id"]["display_name"][:15], "Bench customer ")
        self.assertIn("churn_risk", records[0])

    def test_campaign_members(self):
        op = self.screens["screen: campaign members"]
        records = self._open("screen: campaign members")["web_search_read"]
        expected = self._ids(
            SQL(
                "SELECT id FROM winback_campaign_member WHERE campaign_id = %s "
                "ORDER BY revenue_before DESC, id LIMIT 80",
                op.campaign_id,
            )
        )
        self.assertGreater(len(expected), 10)
        self.assertEqual([r["id"] for r in records], expected)
        self.assertEqual({r["campaign_id"]["id"] for r in records}, {op.campaign_id})
        self.assertIn("activity_ids", records[0])

    def test_gestures(self):
        records = self._open("screen: gestures")["web_search_read"]
        expected = self._ids(
            SQL(
                "SELECT id FROM loyalty_gesture WHERE company_id = %s "
                "ORDER BY create_date DESC, id DESC LIMIT 80",
                self.env.company.id,
            )
        )
        self.assertEqual(len(expected), 80)
        self.assertEqual([r["id"] for r in records], expected)

    def _nps_by_month(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT to_char(date_trunc('month', r.sent_date), 'YYYY-MM'), count(*),
                       avg(CASE WHEN r.state = 'answered' THEN
                           CASE r.nps_category WHEN 'promoter' THEN 100.0
                                WHEN 'detractor' THEN -100.0 ELSE 0.0 END END)
                  FROM satisfaction_request r
                  JOIN res_partner p ON p.id = r.commercial_partner_id
                 WHERE r.kind = 'nps' AND r.state IN ('sent', 'answered', 'expired')
                   AND r.company_id = %s AND r.sent_date >= %s
              GROUP BY 1
                """,
                self.env.company.id,
                # the action's default filter: the last 12 months, from the 1st of the month
                date.today().replace(day=1) - relativedelta(months=11),
            )
        )
        return {month: (count, avg) for month, count, avg in self.env.cr.fetchall()}

    def test_satisfaction_graph(self):
        """The graph opens on NPS over the last 12 months (the action's default filters), by
        month."""
        groups = self._open("screen: satisfaction graph")["web_read_group"]
        expected = self._nps_by_month()
        got = {
            g["__range"]["date:month"]["from"][:7]: (g["__count"], g["nps_value"])
            for g in groups
            if g["__count"]
        }
        self.assertEqual(set(got), set(expected))
        self.assertLessEqual(len(got), 12)
        for month, (count, avg) in expected.items():
            self.assertEqual(got[month][0], count, month)
            if avg is None:
                self.assertFalse(got[month][1], month)
            else:
                self.assertAlmostEqual(got[month][1], float(avg), places=6, msg=month)

    def test_satisfaction_pivot(self):
        """The pivot's four read_group: total, months, kinds, cells, all on NPS over the last
        12 months only."""
        result = self._open("screen: satisfaction pivot")
        self.assertEqual(
            list(result),
            [
                "read_group total",
                "read_group date:month",
                "read_group kind",
                "read_group date:month+kind",
            ],
        )
        expected = self._nps_by_month()
        total = sum(count for count, _avg in expected.values())
        self.assertEqual(result["read_group total"][0]["__count"], total)
        self.assertEqual(result["read_group total"][0]["request_count"], total)
        self.assertEqual([g["kind"] for g in result["read_group kind"]], ["nps"])
        self.assertEqual(len(result["read_group date:month"]), len(expected))
        self.assertEqual(len(result["read_group date:month+kind"]), len(expected))
        self.assertEqual(sum(g["__count"] for g in result["read_group date:month+kind"]), total)

    def test_screen_indexes_exist(self):
        """The indexes the screens need at 1M customers (tests/benchmarks/RESULTS.md)."""
        for table, name, text in INDEXES:
            self.env.cr.execute(
                SQL(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
                    table,
                    name,
                )
            )
            row = self.env.cr.fetchone()
            self.assertTrue(row, f"index {name} on {table} is missing")
            self.assertIn(text, row[0])
