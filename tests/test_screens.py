"""The screens a care manager opens first, rendered in Chromium on the demo data.

Each test opens a real screen and checks it shows the demo story without a browser error;
with CARE_SCREENSHOTS=<dir> (tools/screenshots.sh) it also saves it for the README.
"""

from odoo.addons.loyalty_gesture.tests import screens
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestScreens(screens.ScreensMixin, HttpCase):
    def test_dashboard_shows_this_month_kpis(self):
        action = self.env.ref("winback.care_dashboard_server_action")
        self.screen(
            f"/odoo/action-{action.id}",
            "document.querySelectorAll('.o_kanban_view .o_kanban_record:not(.o_kanban_ghost)')"
            ".length >= 4",
            "09_dashboard",
        )
        self.assertTrue(self.env["care.kpi.report"].search_count([]), "the dashboard refreshed")

    def test_customer_gesture_history(self):
        [(partner, count)] = self.env["loyalty.gesture"]._read_group(
            [], ["commercial_partner_id"], ["__count"], order="__count desc", limit=1
        )
        self.assertGreaterEqual(count, 2, "the demo has a customer with several gestures")
        action = partner.action_view_gestures()
        self.assertEqual(self.env["loyalty.gesture"].search_count(action["domain"]), count)
        # The gestures list the smart button opens (under "More" when the box is full).
        self.screen(
            f"/odoo/res.partner/{partner.id}",
            """(() => {
                if (document.querySelector(".o_list_view")) {
                    return document.querySelectorAll(".o_list_view .o_data_row").length == %d;
                }
                const button = document.querySelector("button[name='action_view_gestures']");
                if (button && !window.careClicked) {
                    window.careClicked = true;
                    button.click();
                } else if (!button && !window.careMore && document.querySelector(".o_button_more")) {
                    window.careMore = true;
                    document.querySelector(".o_button_more").click();
                }
                return false;
            })()"""
            % count,
            "10_customer_gestures",
        )

    def test_satisfaction_report(self):
        self.assertTrue(self.env["satisfaction.request"].search_count([("state", "=", "answered")]))
        action = self.env.ref("satisfaction_survey.satisfaction_report_action")
        self.screen(
            f"/odoo/action-{action.id}",
            # the pivot of every survey: requests, response rate, NPS and CSAT by month
            """(() => {
                if (!document.querySelector(".o_pivot_view")) {
                    if (!window.carePivot && document.querySelector(".o_switch_view.o_pivot")) {
                        window.carePivot = true;
                        document.querySelector(".o_switch_view.o_pivot").click();
                    }
                    return false;
                }
                // the default filters (NPS, last 12 months) removed one after the other
                const facets = document.querySelectorAll(".o_searchview_facet .o_facet_remove");
                if (facets.length) {
                    if (window.careFacets !== facets.length) {
                        window.careFacets = facets.length;
                        facets[0].click();
                    }
                    return false;
                }
                return document.querySelectorAll(".o_pivot_view tbody tr").length >= 2;
            })()""",
            "11_satisfaction_report",
        )
