from datetime import date, datetime

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from . import common

MARCH = date(2025, 3, 1)


@tagged("post_install", "-at_install")
class TestKpiTarget(common.WinbackCase):
    """Targets against actual values, companies, access and query counts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.report = cls.env["care.kpi.report"]
        cls.targets = cls.env["care.kpi.target"]
        cls.people = cls.env["res.partner"].create(
            [{"name": f"Target customer {n}"} for n in range(5)]
        )
        # retention in March 2025: 4 active before, 3 back -> 75 %
        for partner in cls.people[:4]:
            cls._order_on(partner, datetime(2023, 12, 1, 10))
        for partner in cls.people[:3]:
            cls._order_on(partner, datetime(2024, 12, 1, 10))

    def _row(self, kpi, company=None, month=MARCH):
        return self.report.search(
            [
                ("company_id", "=", (company or self.company).id),
                ("kpi", "=", kpi),
                ("period", "=", month),
            ]
        )

    def test_gap_against_default_and_dated_targets(self):
        self.report._refresh(self.company, [MARCH, date(2025, 2, 1)])
        row = self._row("retention_rate")
        self.assertRecordValues(row, [{"actual": 75.0, "has_target": False, "status": "no_target"}])
        default = self.targets.create(
            {"company_id": self.company.id, "kpi": "retention_rate", "target": 80}
        )
        self.assertRecordValues(row, [{"target": 80.0, "gap": -5.0, "status": "below", "color": 1}])
        # a dated target applies from its month on (the day is the month's first)
        dated = self.targets.create(
            {
                "company_id": self.company.id,
                "kpi": "retention_rate",
                "target": 70,
                "date_from": "2025-03-15",
            }
        )
        self.assertEqual(dated.date_from, MARCH)
        self.assertRecordValues(row, [{"target": 70.0, "gap": 5.0, "status": "on_target"}])
        self.assertEqual(self._row("retention_rate", month=date(2025, 2, 1)).target, 80.0)
        dated.unlink()
        self.assertRecordValues(row, [{"target": 80.0, "status": "below"}])
        default.target = 75
        self.assertRecordValues(row, [{"gap": 0.0, "status": "on_target"}])
        # a refresh keeps the targets
        self.report._refresh(self.company, [MARCH])
        self.assertRecordValues(row, [{"target": 75.0, "status": "on_target"}])

    def test_lower_is_better_for_cost(self):
        self.env["loyalty.gesture"].create(
            {
                "partner_id": self.people[0].id,
                "type_id": self.gesture_type.id,
                "company_id": self.company.id,
                "cost": 100,
                "state": "done",
                "done_date": datetime(2025, 3, 4, 9),
            }
        )
        self.targets.create({"company_id": self.company.id, "kpi": "gesture_cost", "target": 50})
        self.report._refresh(self.company, [MARCH])
        self.assertRecordValues(
            self._row("gesture_cost"), [{"actual": 100.0, "gap": 50.0, "status": "below"}]
        )

    def test_bad_targets_are_refused(self):
        with self.assertRaises(ValidationError):
            self.targets.create({"company_id": self.company.id, "kpi": "csat", "target": 120})
        with self.assertRaises(ValidationError):
            self.targets.create({"company_id": self.company.id, "kpi": "nps", "target": -101})
        with self.assertRaises(ValidationError):
            self.targets.create(
                {"company_id": self.company.id, "kpi": "gesture_cost", "target": -1}
            )
        self.targets.create({"company_id": self.company.id, "kpi": "csat", "target": 90})
        with self.assertRaises(ValidationError):
            self.targets.create({"company_id": self.company.id, "kpi": "csat", "target": 80})

    def test_seed_targets_are_data(self):
        main = self.env.ref("base.main_company")
        seeded = self.targets.search([("company_id", "=", main.id), ("date_from", "=", False)])
        self.assertEqual(
            {t.kpi: t.target for t in seeded if t.kpi in ("csat", "nps", "retention_rate")},
            {"csat": 90.0, "nps": 50.0, "retention_rate": 80.0},
        )
        self.assertEqual(self.env.ref("winback.care_kpi_target_gesture_roi").target, 200.0)

    def test_companies_are_isolated(self):
        # the same customers order in the other company: its retention is its own
        for partner in self.people:
            self._order_on(partner, datetime(2023, 12, 1, 10), company=self.company_b)
        self.targets.create(
            {"company_id": self.company_b.id, "kpi": "retention_rate", "target": 10}
        )
        self.report._refresh(self.company | self.company_b, [MARCH])
        self.assertRecordValues(
            self._row("retention_rate"), [{"actual": 75.0, "has_target": False}]
        )
        self.assertRecordValues(
            self._row("retention_rate", self.company_b),
            [{"actual": 0.0, "numerator": 0, "denominator": 5, "target": 10.0}],
        )
        as_manager = self.report.with_user(self.manager)
        self.assertEqual(as_manager.search([("period", "=", MARCH)]).company_id, self.company)
        target_b = self.targets.search([("company_id", "=", self.company_b.id)])
        with self.assertRaises(AccessError):
            target_b.with_user(self.manager).read(["target"])
        self.assertFalse(
            self.env["care.gesture.effect.report"]
            .with_user(self.manager)
            .search([("company_id", "=", self.company_b.id)])
        )

    def test_access(self):
        action = self.env.ref("winback.care_dashboard_server_action")
        manager_group = self.env.ref("loyalty_gesture.group_care_manager")
        self.assertEqual(action.groups_id, manager_group)
        menu = self.env.ref("winback.care_dashboard_menu")
        self.assertEqual(menu.groups_id, manager_group)
        self.assertEqual(menu.parent_id, self.env.ref("loyalty_gesture.care_menu_root"))
        # the manager opens it: the figures are asked for, computed in the background
        result = action.with_user(self.manager).with_company(self.company).run()
        self.assertEqual(result["res_model"], "care.kpi.report")
        self.report._refresh_due()  # the scheduled action
        this_month = self.report._last_months(1)[0]
        self.assertEqual(
            len(
                self.report.search(
                    [("company_id", "=", self.company.id), ("period", "=", this_month)]
                )
            ),
            12,
        )
        # an agent cannot open it, refresh it, or edit targets
        with self.assertRaises(AccessError):
            self.report.with_user(self.agent).action_open_dashboard()
        with self.assertRaises(AccessError):
            self.report.with_user(self.agent).action_refresh()
        with self.assertRaises(AccessError):
            action.with_user(self.agent).run()
        with self.assertRaises(AccessError):
            self.targets.with_user(self.agent).create(
                {"company_id": self.company.id, "kpi": "csat", "target": 10}
            )
        target = self.targets.with_user(self.manager).create(
            {"company_id": self.company.id, "kpi": "csat", "target": 95}
        )
        with self.assertRaises(AccessError):
            target.with_user(self.agent).write({"target": 10})
        with self.assertRaises(AccessError):  # a company the manager is not in
            self.targets.with_user(self.manager).create(
                {"company_id": self.company_b.id, "kpi": "csat", "target": 95}
            )
        self.assertFalse(self.targets.with_user(self.manager_b).search([("kpi", "=", "csat")]))
        with self.assertRaises(AccessError):
            self.report.with_user(self.manager).search([], limit=1).write({"actual": 100})

    def test_query_count_does_not_grow_with_data(self):
        months = self.report._last_months(12, today=MARCH)
        companies = self.company | self.company_b

        def count_queries():
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self.report._refresh(companies, months)
            return self.env.cr.sql_log_count - before

        small = count_queries()
        crowd = self.env["res.partner"].create([{"name": f"Crowd {n}"} for n in range(30)])
        for n, partner in enumerate(crowd):
            self._order_on(partner, datetime(2024, 1 + n % 12, 3, 10))
            self._order_on(partner, datetime(2025, 1 + n % 3, 5, 10), company=self.company_b)
            self.env["loyalty.gesture"].create(
                {
                    "partner_id": partner.id,
                    "type_id": self.gesture_type.id,
                    "company_id": self.company.id,
                    "cost": 5,
                    "state": "done",
                    "done_date": datetime(2024, 6 + n % 6, 2, 9),
                }
            )
        self.assertEqual(count_queries(), small)
        self.assertLessEqual(small, 13)

    def test_dashboard_loads_in_fixed_queries(self):
        report = self.report.with_user(self.manager).with_company(self.company)
        kanban = self.env.ref("winback.care_kpi_report_view_kanban")
        fields_spec = {
            name: {} for name in ("kpi", "actual", "target", "gap", "status", "period", "color")
        }

        def open_dashboard():
            # issue #21: opening reads stored figures; the job computes them
            self.env["care.kpi.report"]._refresh_due()
            self.env.invalidate_all()
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            action = report.action_open_dashboard()
            domain = [("period", "=", report._last_months(1)[0])]
            cards = report.web_search_read(domain, fields_spec)
            self.assertEqual(action["res_model"], "care.kpi.report")
            return self.env.cr.sql_log_count - before, cards["length"]

        report.get_views([(kanban.id, "kanban"), (False, "search")])
        open_dashboard()  # warm the caches (rules, groups)
        small, cards = open_dashboard()
        self.assertEqual(cards, 12)
        crowd = self.env["res.partner"].create([{"name": f"Crowd {n}"} for n in range(20)])
        for n, partner in enumerate(crowd):
            self._order_at(partner, 20 + n)
            self._order_at(partner, 400 + n)
        self.assertEqual(open_dashboard(), (small, 12))

    def test_every_view_loads_for_a_manager(self):
        for xmlid in (
            "winback.care_kpi_report_action",
            "winback.care_kpi_report_trend_action",
            "winback.care_kpi_target_action",
            "winback.care_gesture_effect_report_action",
            "winback.care_gesture_category_action",
            "winback.care_nps_team_action",
            "winback.care_customers_at_risk_action",
            "winback.care_running_campaigns_action",
        ):
            with self.subTest(action=xmlid):
                action = self.env.ref(xmlid)
                model = self.env[action.res_model].with_user(self.manager)
                views = [(False, mode) for mode in action.view_mode.split(",")]
                result = model.get_views([*views, (False, "search")])
                self.assertEqual(set(result["views"]), {m for __, m in views} | {"search"})
                model.search_read([], ["display_name"], limit=5)

    def test_effect_pivot_reads_ratios(self):
        partner = self.people[0]
        self.env["loyalty.gesture"].create(
            {
                "partner_id": partner.id,
                "type_id": self.gesture_type.id,
                "company_id": self.company.id,
                "cost": 40,
                "state": "done",
                "done_date": datetime(2024, 11, 20, 9),
            }
        )  # people[0] ordered 100 on 2024-12-01: ROI 150 %
        groups = (
            self.env["care.gesture.effect.report"]
            .with_user(self.manager)
            .web_read_group(
                [("company_id", "=", self.company.id)],
                ["cost:sum", "revenue:sum", "roi:sum", "return_rate:sum"],
                ["type_id"],
            )["groups"]
        )
        self.assertEqual(len(groups), 1)
        self.assertAlmostEqual(groups[0]["roi"], 150.0)
        self.assertAlmostEqual(groups[0]["return_rate"], 100.0)
        self.assertEqual(groups[0]["revenue"], 100.0)
