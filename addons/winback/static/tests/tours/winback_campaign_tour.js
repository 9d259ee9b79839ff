/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// A care manager creates a win-back campaign on dormant and lost customers with a
// holdout and an offer and starts it: the form says it is starting in the background.
registry.category("web_tour.tours").add("winback_campaign_tour", {
    steps: () => [
        {
            content: "Create a campaign from the list",
            trigger: ".o_list_view .o_list_button_add, .o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour win-back",
        },
        {
            content: "Target dormant customers",
            trigger: ".o_form_view .o_field_widget[name='segment_dormant'] input:checked",
        },
        {
            content: "and lost customers",
            trigger: ".o_form_view .o_field_widget[name='segment_lost'] input:checked",
        },
        {
            content: "Hold half of them out",
            trigger: ".o_form_view .o_field_widget[name='holdout_percent'] input",
            run: "edit 50",
        },
        {
            content: "The campaign's segment",
            trigger: ".o_form_view .o_field_widget[name='segment_dormant'] input:checked",
            run: () => careScreenshot("06_campaign_draft"),
        },
        {
            content: "Offer a gesture",
            trigger: ".o_form_view .o_field_widget[name='gesture_type_id'] input",
            run: "edit Win-back test coupon",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Win-back test coupon')",
            run: "click",
        },
        {
            content: "Start",
            trigger: ".o_form_view .o_form_statusbar button[name='action_start']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The campaign runs",
            trigger: ".o_statusbar_status .o_arrow_button_current[data-value='running']",
        },
        {
            content: "It says it is starting in the background",
            trigger: ".o_form_view .o_winback_job_queued",
            run: () => careScreenshot("07_campaign_starting"),
        },
    ],
});

// Once the background job has run: the manager reads the results and the members.
registry.category("web_tour.tours").add("winback_campaign_results_tour", {
    steps: () => [
        {
            content: "Open the started campaign",
            trigger: ".o_list_view .o_data_row td[name='name']:contains('Tour win-back')",
            run: "click",
        },
        {
            content: "No background job left",
            trigger: ".o_form_view:not(:has(.o_winback_job_queued, .o_winback_job_running)) .o_field_widget[name='holdout_count']",
        },
        {
            content: "Its results are shown",
            trigger: ".o_form_view .o_field_widget[name='holdout_count']",
            async run() {
                this.anchor.scrollIntoView({block: "center"});
                await careScreenshot("07_campaign_running");
            },
        },
        {
            content: "The funnel: emailed, opened, clicked, ordered, beside the holdout",
            trigger: ".o_form_view .o_winback_funnel_opened .o_field_widget[name='funnel_opened_count']:contains(3)",
            async run() {
                this.anchor.scrollIntoView({block: "center"});
                await careScreenshot("07_campaign_funnel");
            },
        },
        {
            content: "Open the D0 email in Email Marketing's editor",
            trigger: ".o_form_view button.o_winback_edit_d0",
            run: "click",
        },
        {
            content: "The step's email, its recipients set by the campaign",
            trigger: ".o_form_view .o_winback_step_email",
            async run() {
                await careScreenshot("07_campaign_email");
            },
        },
        {
            content: "Back to the campaign",
            trigger: ".o_breadcrumb a:contains('Tour win-back')",
            run: "click",
        },
        {
            content: "Open the members",
            trigger: ".o_form_view button[name='action_view_members']",
            run: "click",
        },
        {
            content: "The members are listed",
            trigger: ".o_list_view .o_data_row, .o_pivot_view, .o_graph_view",
            run: () => careScreenshot("08_campaign_members"),
        },
    ],
});
