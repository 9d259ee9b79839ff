/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// A Customer Care manager opens the dashboard and presses its real Refresh button: the
// refresh runs in the background (a cron trigger), the cards reload at once.
registry.category("web_tour.tours").add("care_dashboard_refresh_tour", {
    steps: () => [
        {
            content: "This month's KPI cards",
            trigger: ".o_kanban_view .o_kanban_record:not(.o_kanban_ghost)",
            run: () => {
                document.querySelector(".o_kanban_renderer").dataset.careOld = "1";
            },
        },
        {
            content: "Refresh",
            trigger: ".o_control_panel button[name='action_refresh']",
            run: "click",
        },
        {
            content: "The refresh is asked for in the background, the view reloads",
            trigger: "body:not(:has(.o_kanban_renderer[data-care-old]))",
            timeout: 60000,
        },
        {
            content: "The cards are back",
            trigger: ".o_kanban_renderer:not([data-care-old]) .o_kanban_record:not(.o_kanban_ghost)",
            timeout: 60000,
            run: () => careScreenshot("09_dashboard"),
        },
    ],
});
