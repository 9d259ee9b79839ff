/** @odoo-module **/

import {careScreenshot} from "@loyalty_gesture/../tests/tours/care_screenshot";
import {registry} from "@web/core/registry";

// A customer clicked "3" in the email, changes their mind to "2", adds a comment
// and confirms: the only way an answer gets recorded.
registry.category("web_tour.tours").add("satisfaction_one_click_answer", {
    steps: () => [
        {
            content: "The clicked score is preselected",
            trigger: ".o_satisfaction_form input#score_3:checked",
        },
        {
            content: "Choose another score",
            trigger: ".o_satisfaction_form label[for='score_2']",
            run: "click",
        },
        {
            content: "Add a comment",
            trigger: ".o_satisfaction_form textarea[name='comment']",
            run: "edit The parcel came late.",
        },
        {
            content: "The answer, before it is confirmed",
            trigger: ".o_satisfaction_form input#score_2:checked",
            run: () => careScreenshot("04_survey_answer"),
        },
        {
            content: "Confirm",
            trigger: ".o_satisfaction_form button[type='submit']",
            run: "click",
        },
        {
            content: "Thanks page",
            trigger: ".o_satisfaction_thanks",
            run: () => careScreenshot("05_survey_thanks"),
        },
    ],
});
