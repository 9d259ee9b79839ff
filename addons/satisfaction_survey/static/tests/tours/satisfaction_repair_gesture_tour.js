/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// An agent on an unhappy answer: Grant repair gesture opens the grant wizard (the
// customer's satisfaction, whether a manager must approve, the recommendation), then grants.
registry.category("web_tour.tours").add("satisfaction_repair_gesture_tour", {
    steps: () => [
        {
            content: "Grant a repair gesture from the unhappy answer",
            trigger: ".o_form_view button[name='action_grant_repair_gesture']",
            run: "click",
        },
        {
            content: "The grant wizard, with the suggested repair gesture",
            trigger: ".modal .o_field_widget[name='type_id'] input:value('Sorry voucher')",
        },
        {
            content: "The customer's satisfaction at a glance",
            trigger: ".modal .o_field_widget[name='customer_summary_html'] .badge.text-bg-danger",
        },
        {
            content: "Said before granting: within the agent's limit",
            trigger: ".modal .o_field_widget[name='approval_html'] .alert-success",
            run: () => careScreenshot("12_repair_gesture_wizard"),
        },
        {
            content: "Grant",
            trigger: ".modal button[name='action_grant']",
            run: "click",
        },
        {
            content: "The repair gesture, fulfilled",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current[data-value='done']",
        },
    ],
});
