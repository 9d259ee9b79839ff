/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// A care manager reads what works: effects per gesture type, then the pivot.
registry.category("web_tour.tours").add("loyalty_gesture_effect_tour", {
    steps: () => [
        {
            content: "Effects per gesture type, best net value first",
            trigger: ".o_list_view .o_data_row td[name='type_id']:contains('Apology call')",
            run: () => careScreenshot("20_what_works"),
        },
        {
            content: "The baseline row: tickets without a gesture",
            trigger: ".o_list_view .o_data_row td[name='case_count']:contains('100')",
        },
        {
            content: "Switch to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "Return rate by type and severity",
            trigger: ".o_pivot th:contains('Apology call')",
            run: () => careScreenshot("21_what_works_pivot"),
        },
    ],
});

// An agent reads the learned recommendation in the grant wizard.
registry.category("web_tour.tours").add("loyalty_gesture_recommendation_tour", {
    steps: () => [
        {
            content: "Grant a gesture from the ticket",
            trigger: ".o_form_view button[name='action_grant_gesture']",
            run: "click",
        },
        {
            content: "The best gesture for customers like this one is proposed",
            trigger: ".modal .o_field_widget[name='type_id'] input:value('Apology call')",
        },
        {
            content: "Open the recommendation",
            trigger: ".modal .o_notebook .nav-link[name='recommendation']",
            run: "click",
        },
        {
            content: "What similar past cases say, in words",
            trigger: ".modal .o_field_widget[name='recommendation_html']:contains('Apology call')",
            run: () => careScreenshot("22_grant_wizard_recommendation"),
        },
    ],
});
