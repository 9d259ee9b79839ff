/** @odoo-module **/

import {registry} from "@web/core/registry";

// A Customer Care manager approves a gesture above the agent's limit: it is fulfilled.
registry.category("web_tour.tours").add("loyalty_gesture_approval_tour", {
    steps: () => [
        {
            content: "The gesture waits for approval",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='to_approve']",
        },
        {
            content: "Approve",
            trigger: ".o_form_view .o_form_statusbar button[name='action_approve']",
            run: "click",
        },
        {
            content: "Approved and fulfilled at once",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='done']",
        },
    ],
});
