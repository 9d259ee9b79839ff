"""Issue #19, points 1, 7, 8 and 9: what a Customer Care manager meets on the dashboard,
the KPI trends, the campaign form and results, and what the win-back customer reads."""

import ast
from datetime import timedelta

from odoo import fields
from odoo.api import call_kw
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestManagerScreens(common.WinbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sleepers = cls._sleepers("Screen Sleeper {}", 4)
        for i, sleeper in enumerate(cls.sleepers):
            # a contact person of the customer: a partner, not a customer
            cls.env["res.partner"].create({"name": f"Contact {i}", "parent_id": sleeper.id})
        cls.active = cls.make_partner("Screen Active Anna")
        cls._history(cls.active, [60, 30, 5])
        cls.env["winback.customer.score"]._compute_company_scores(cls.company)
        cls.report = cls.env["care.kpi.report"]

    def _campaign(self, **values):
        return (
            self.env["winback.campaign"]
            .with_user(self.manager)
            .create(
                dict(
                    {
                        "name": "Screens",
                        "company_id": self.company.id,
                        "segment_dormant": True,
                        "segment_lost": True,
                        "min_orders": 2,
                        "holdout_percent": 50,
                        "gesture_type_id": self.gesture_type.id,
                    },
                    **values,
                )
            )
        )

    # --- 1. Dashboard Refresh ---

    def test_refresh_button_as_the_web_client_calls_it(self):
        manager_report = self.report.with_user(self.manager).with_company(self.company)
        # a kanban header button sends the ids shown (here none): no TypeError
        action = call_kw(manager_report, "action_refresh", [[]], {})
        # issue #21: the refresh runs in the background, the view reloads at once
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(
            action["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"}
        )
        self.report._refresh_due()  # the scheduled action
        rows = self.report.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(rows), 12 * 12, "twelve KPIs of twelve months")
        action = call_kw(manager_report, "action_refresh", [rows.ids[:3]], {})
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")

    def test_dashboard_shows_an_answer_given_since_the_last_refresh(self):
        manager_report = self.report.with_user(self.manager).with_company(self.company)
        manager_report.action_open_dashboard()  # never computed: the refresh is asked
        self.assertTrue(self.company.care_kpi_started_on)
        self.report._refresh_due()  # the scheduled action
        month = self.report._last_months(1)[0]
        csat = self.report.search(
            [("company_id", "=", self.company.id), ("kpi", "=", "csat"), ("period", "=", month)]
        )
        self.assertEqual(csat.denominator, 0)
        # computed within the hour: opening again asks for nothing
        manager_report.action_open_dashboard()
        self.assertFalse(self.company.care_kpi_started_on)
        before = csat.refreshed_on
        self.report._refresh_due()  # the nightly run: nothing written, nothing recomputed
        self.report.invalidate_model()
        self.assertEqual(csat.refreshed_on, before, "nothing changed: no recomputation")
        # a customer answers: the next refresh shows it
        request = self.env["satisfaction.request"].create(
            {
                "partner_id": self.active.id,
                "survey_id": self.env.ref("satisfaction_survey.survey_csat").id,
                "company_id": self.company.id,
            }
        )
        now = fields.Datetime.now()
        request.sudo().write(
            {"state": "sent", "sent_date": now, "expiry_date": now + timedelta(days=30)}
        )
        request._record_answer(5)
        # written after the last refresh (a test shares one transaction timestamp)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE satisfaction_request SET write_date = write_date + interval '1 minute'"
            " WHERE id = %s",
            [request.id],
        )
        manager_report.action_refresh()
        self.report._refresh_due()
        self.report.invalidate_model()
        self.assertEqual((csat.numerator, csat.denominator, csat.actual), (1, 1, 100))

    # --- 7. One unit per chart, labelled results ---

    def test_kpi_trends_plot_one_unit_per_chart(self):
        manager_report = self.report.with_user(self.manager).with_company(self.company)
        manager_report.action_refresh()
        self.report._refresh_due()  # the scheduled action
        units = set()
        for xmlid in (
            "winback.care_kpi_report_trend_action",
            "winback.care_kpi_report_trend_points_action",
            "winback.care_kpi_report_trend_amount_action",
        ):
            action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
            rows = manager_report.search(ast.literal_eval(action["domain"]))
            self.assertTrue(rows)
            self.assertEqual(len(set(rows.mapped("unit"))), 1, f"{xmlid}: one unit")
            units |= set(rows.mapped("unit"))
        self.assertEqual(units, {"percent", "points", "currency"}, "every KPI is in a chart")

    def test_campaign_results_have_labelled_groups(self):
        campaign = self._campaign()
        self._start_campaign(campaign)
        results = self.env["winback.campaign.report"].with_user(self.manager)
        groups = dict(
            results._read_group(
                [("campaign_id", "=", campaign.id)], ["comparison_group"], ["__count"]
            )
        )
        members = campaign.member_ids.filtered(lambda m: m.state != "excluded")
        self.assertEqual(sum(groups.values()), len(members))
        self.assertEqual(groups.get("holdout", 0), len(members.filtered("is_holdout")))
        labels = dict(results._fields["comparison_group"]._description_selection(self.env))
        self.assertEqual(labels, {"contacted": "Contacted", "holdout": "Holdout (not contacted)"})
        outcomes = dict(results._fields["outcome"]._description_selection(self.env))
        self.assertEqual(outcomes, {"back": "Came back", "not_back": "Not back yet"})
        action = self.env.ref("winback.winback_campaign_member_analysis_action")
        self.assertEqual(action.res_model, "winback.campaign.report")

    # --- 9. RFM legend, segment in customers ---

    def test_segment_preview_counts_customers(self):
        campaign = self._campaign(partner_domain="[('name', 'ilike', 'Screen')]")
        partners = self.env["res.partner"].search_count(campaign._partner_domain())
        self.assertGreater(partners, len(self.sleepers), "the filter alone also matches others")
        self.assertEqual(campaign.segment_count, len(self.sleepers))
        campaign.min_orders = 4
        self.assertEqual(campaign.segment_count, 0)
        campaign.min_orders = 2
        self._start_campaign(campaign)
        self.assertEqual(
            len(campaign.member_ids.filtered(lambda m: m.state != "excluded")),
            len(self.sleepers),
            "the preview said how many customers the start takes in",
        )

    def test_rfm_has_a_legend(self):
        for field in (
            self.env["winback.customer.score"]._fields["rfm_segment"],
            self.env["res.partner"]._fields["winback_rfm"],
        ):
            self.assertIn("5 = best", field.help)

    # --- 8. The win-back email ---

    def test_winback_email_has_a_call_to_action_and_no_internal_label(self):
        self.company.website = "https://roastery.example.com"
        campaign = self._campaign(holdout_percent=0)
        # one email for all, in the language of the campaign's responsible (Email Marketing)
        campaign.user_id.sudo().lang = "en_US"
        self._keep_sent_emails(campaign)
        self._start_campaign(campaign)
        mails = self._sent_emails(campaign.member_ids)
        self.assertTrue(mails)
        body = mails[0].body_html
        # the button leads to the website through Email Marketing's link tracker
        tracker = self.env["link.tracker"].search([("url", "like", "roastery.example.com")])
        self.assertEqual(len(tracker), 1)
        self.assertIn(f'href="{tracker.short_url}"', body)
        self.assertIn("Come back and see us", body)
        self.assertIn("coupon on your next order", body)
        self.assertNotIn("Win-back campaign member", body)
        self.assertNotIn("Your Win-back", body)
