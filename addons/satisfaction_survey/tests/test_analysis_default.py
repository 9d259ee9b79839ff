import re
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from . import common

MEASURES = ["nps_value:avg", "csat_value:avg", "response_value:avg", "request_count:sum"]


@tagged("post_install", "-at_install")
class TestAnalysisDefault(common.SatisfactionCase):
    """The satisfaction analysis opens on the last 12 months (its default filter, removable)
    and gives the same figures as a plain computation over the requests: the view's join to
    the partners became a LEFT JOIN that PostgreSQL leaves out, the rows are the same."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.panel = cls.env["res.partner"].create(
            [{"name": f"Analysis {i}", "email": f"analysis{i}@example.com"} for i in range(3)]
        )
        today = date.today()
        cls.months = [today - relativedelta(months=n) for n in (0, 3, 11, 13)]
        requests = cls.env["satisfaction.request"]
        for n, month in enumerate(cls.months):
            sent = datetime(month.year, month.month, 14, 12, 0)
            vals = [(cls.nps, "answered", s) for s in (10, 9, 3, 7, 10 - n)]
            vals += [(cls.csat, "answered", s) for s in (5, 2, 4)]
            vals += [(cls.nps, "sent", None), (cls.nps, "expired", None)]
            vals += [(cls.csat, "expired", None), (cls.nps, "pending", None)]
            requests |= requests.create(
                [
                    {
                        "partner_id": cls.panel[i % 3].id,
                        "survey_id": survey.id,
                        "company_id": cls.company.id,
                        "state": state,
                        "score": score,
                        "sent_date": sent if state != "pending" else False,
                    }
                    for i, (survey, state, score) in enumerate(vals)
                ]
            )
        # another company's answers: left out by the multi-company rule
        requests.create(
            {
                "partner_id": cls.customer_2.id,
                "survey_id": cls.nps.id,
                "company_id": cls.company_b.id,
                "state": "answered",
                "score": 0,
                "sent_date": datetime.now(),
            }
        )
        # a request whose customer's company was deleted (ON DELETE SET NULL): the inner
        # join left it out, so does the view now
        orphan = requests.create(
            {
                "partner_id": cls.panel[0].id,
                "survey_id": cls.nps.id,
                "company_id": cls.company.id,
                "state": "answered",
                "score": 0,
                "sent_date": datetime.now(),
            }
        )
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE satisfaction_request SET commercial_partner_id = NULL WHERE id = %s",
                orphan.id,
            )
        )
        cls.env.invalidate_all()

    def _default_domain(self, kinds=True):
        """The domain the action opens with: its search view's default filters, evaluated as
        the web client does (the NPS filter left out when ``kinds`` is False)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "satisfaction_survey.satisfaction_report_action"
        )
        context = safe_eval(action["context"])
        defaults = {k[15:] for k, v in context.items() if k.startswith("search_default_") and v}
        self.assertEqual(defaults, {"filter_nps", "filter_last_12_months"})
        arch = self.env["satisfaction.report"].get_view(False, "search")["arch"]
        domain = []
        for node in etree.fromstring(arch).iter("filter"):
            if node.get("name") in defaults and (kinds or node.get("name") != "filter_nps"):
                domain += safe_eval(
                    node.get("domain"),
                    {"context_today": date.today, "relativedelta": relativedelta},
                )
        return domain

    def _plain(self, companies, kind=None):
        """{(month, kind): (NPS, CSAT, response rate, requests)} straight from the requests,
        joined to the partners as the view always did."""
        since = date.today().replace(day=1) - relativedelta(months=11)
        self.env.cr.execute(
            SQL(
                """
                SELECT to_char(date_trunc('month', r.sent_date), 'YYYY-MM'), r.kind,
                       avg(CASE WHEN r.state = 'answered' AND r.kind = 'nps' THEN
                           CASE r.nps_category WHEN 'promoter' THEN 100.0
                                WHEN 'detractor' THEN -100.0 ELSE 0.0 END END),
                       avg(CASE WHEN r.state = 'answered' AND r.kind = 'csat' THEN
                           CASE WHEN r.score >= 4 THEN 100.0 ELSE 0.0 END END),
                       avg(CASE WHEN r.state = 'answered' THEN 100.0 ELSE 0.0 END),
                       count(*)
                  FROM satisfaction_request r
                  JOIN res_partner p ON p.id = r.commercial_partner_id
                 WHERE r.state IN ('sent', 'answered', 'expired') AND r.sent_date >= %s
                   AND r.company_id IN %s AND r.kind = COALESCE(%s, r.kind)
              GROUP BY 1, 2
                """,
                since,
                tuple(companies.ids),
                kind,
            )
        )
        return {(m, k): self._round(rest) for m, k, *rest in self.env.cr.fetchall()}

    def _round(self, values):
        # read_group gives 0.0 for an average over no value (a month without CSAT answers)
        return tuple(round(float(v or 0.0), 6) for v in values)

    def _analysis(self, user, domain):
        report = self.env(user=user)["satisfaction.report"]
        rows = report._read_group(domain, ["date:month", "kind"], MEASURES)
        return {(d.strftime("%Y-%m"), k): self._round(rest) for d, k, *rest in rows}

    def test_default_filter_keeps_the_last_12_months(self):
        got = self._analysis(self.manager, self._default_domain(kinds=False))
        months = {m for m, _k in got}
        self.assertIn(self.months[0].strftime("%Y-%m"), months)
        self.assertIn(self.months[2].strftime("%Y-%m"), months)
        self.assertNotIn(self.months[3].strftime("%Y-%m"), months)
        self.assertLessEqual(len(months), 12)
        # removed by the user, the older months come back
        everything = self._analysis(self.manager, [])
        self.assertIn(self.months[3].strftime("%Y-%m"), {m for m, _k in everything})

    def test_figures_per_month_and_kind_equal_a_plain_computation(self):
        manager = self.manager
        got = self._analysis(manager, self._default_domain(kinds=False))
        expected = self._plain(self.env(user=manager).companies)
        self.assertEqual(got, expected)
        self.assertEqual({k for _m, k in got}, {"nps", "csat"})
        # this month's panel: NPS 10, 9, 3, 7, 10 -> 3 promoters, 1 detractor, 1 passive -> +40,
        # CSAT 5, 2, 4 -> 66.7 %; the orphan request and company B's answer are not counted
        month = self.months[0].strftime("%Y-%m")
        panel = self._analysis(
            manager, self._default_domain(kinds=False) + [("partner_id", "in", self.panel.ids)]
        )
        self.assertEqual(panel[(month, "nps")], (40.0, 0.0, 71.428571, 7))
        self.assertEqual(panel[(month, "csat")], (0.0, 66.666667, 75.0, 4))
        # with the NPS filter too (the action's defaults), as an agent of the company
        got = self._analysis(self.agent, self._default_domain())
        self.assertEqual(got, self._plain(self.env(user=self.agent).companies, "nps"))

    def test_other_company_sees_only_its_own_answers(self):
        got = self._analysis(self.manager_b, self._default_domain(kinds=False))
        self.assertEqual(got, self._plain(self.env(user=self.manager_b).companies))
        month = self.months[0].strftime("%Y-%m")
        self.assertEqual(got[(month, "nps")], (-100.0, 0.0, 100.0, 1))

    def test_default_graph_reads_the_covering_index_alone(self):
        """The default graph's query can be answered from satisfaction_request_analysis_index
        alone (an index-only scan: 0.3 s instead of 4 s at 1M customers): the partners'
        join is left out and every column it reads is in the index."""
        report = self.env(user=self.manager)["satisfaction.report"]
        report._read_group(self._default_domain(), ["date:month"], ["nps_value:avg"])
        query = self.env.cr._obj.query.decode()
        self.assertIn("satisfaction_report", query)
        # what the plan reads of the requests (alias r), whichever index the planner
        # prefers on a small table: every column must be in the covering index
        self.env.cr.execute(SQL("EXPLAIN (VERBOSE) %s", SQL(query)))
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        read = set(re.findall(r"\br\.(\w+)", plan))
        self.env.cr.execute(
            SQL(
                "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE c.relname = 'satisfaction_request_analysis_index'"
            )
        )
        covered = {row[0] for row in self.env.cr.fetchall()}
        self.assertIn("sent_date", read)
        self.assertLessEqual(read, covered, "the index alone answers the default graph")
        self.assertNotIn("res_partner", plan)
