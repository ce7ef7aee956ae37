import { registry } from "@web/core/registry";

const question = (title) => `div.js_question-wrapper:contains("${title}")`;

registry.category("web_tour.tours").add("satisfaction_survey_answer_tour", {
    steps: () => [
        {
            content: "The customer starts the survey from the link of the e-mail",
            trigger: 'button.btn:contains("Start")',
            run: "click",
        },
        {
            content: "A score of 3 out of 10",
            trigger: `${question("Would you recommend us?")} label:contains("3")`,
            run: "click",
        },
        {
            content: "Why",
            trigger: `${question("Why?")} textarea`,
            run: "edit Two hours late.",
        },
        {
            content: "The place was not left clean: a warning answer",
            trigger: `${question("Was the place left clean?")} label:contains("No")`,
            run: "click",
        },
        {
            content: "Submit",
            trigger: 'button[value="finish"]',
            run: "click",
        },
        {
            content: "The survey thanks the customer",
            trigger: ".o_survey_finished",
        },
    ],
});
