/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// An agent on a ticket: Grant a gesture, pick the coupon, read the phone script,
// grant it; the gesture opens fulfilled with its coupon.
registry.category("web_tour.tours").add("loyalty_gesture_grant_tour", {
    steps: () => [
        {
            content: "The ticket",
            trigger: ".o_form_view button[name='action_grant_gesture']",
            run: () => careScreenshot("01_ticket"),
        },
        {
            content: "Grant a gesture from the ticket",
            trigger: ".o_form_view button[name='action_grant_gesture']",
            run: "click",
        },
        {
            content: "The customer is prefilled from the ticket",
            trigger: ".modal .o_field_widget[name='partner_id'] input:value('Claire Martin')",
        },
        {
            content: "Choose the gesture",
            trigger: ".modal .o_field_widget[name='type_id'] input",
            run: "edit Tour apology coupon",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour apology coupon')",
            run: "click",
        },
        {
            content: "The gesture recommended for this customer",
            trigger: "body:not(:has(.o-autocomplete--dropdown-menu)) .modal .o_field_widget[name='type_id'] input:value('Tour apology coupon')",
            run: () => careScreenshot("02_grant_wizard"),
        },
        {
            content: "Open the phone script",
            trigger: ".modal .o_notebook .nav-link[name='phone_script']",
            run: "click",
        },
        {
            content: "The phone script is written for this customer",
            trigger: ".modal .o_field_widget[name='phone_script']:contains('Hello Claire Martin')",
            run: () => careScreenshot("02_grant_wizard_phone_script"),
        },
        {
            content: "Grant",
            trigger: ".modal button[name='action_grant']",
            run: "click",
        },
        {
            content: "The gesture is fulfilled at once (within the agent's limit)",
            trigger: ".o_statusbar_status .o_arrow_button_current[data-value='done']",
        },
        {
            content: "The fulfilled gesture",
            trigger: ".o_form_view .o_form_sheet",
            run: () => careScreenshot("03_gesture_done"),
        },
        {
            content: "What fulfilment created",
            trigger: ".o_form_view .o_notebook .nav-link[name='fulfilment']",
            run: "click",
        },
        {
            content: "a coupon",
            trigger: ".o_form_view .o_field_widget[name='coupon_card_id'] a, .o_form_view .o_field_widget[name='coupon_card_id'] input",
        },
    ],
});
