/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// A Customer Care manager opens the dashboard and presses its real Refresh button.
registry.category("web_tour.tours").add("care_dashboard_refresh_tour", {
    steps: () => [
        {
            content: "This month's KPI cards",
            trigger: ".o_kanban_view .o_kanban_record:not(.o_kanban_ghost)",
        },
        {
            content: "Refresh",
            trigger: ".o_control_panel button[name='action_refresh']",
            run: "click",
        },
        {
            content: "The cards are back, recomputed",
            trigger: ".o_kanban_view .o_kanban_record:not(.o_kanban_ghost) .o_field_widget[name='kpi']",
            run: () => careScreenshot("09_dashboard"),
        },
    ],
});
