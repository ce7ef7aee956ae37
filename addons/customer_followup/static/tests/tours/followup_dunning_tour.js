/** @odoo-module **/

import { registry } from "@web/core/registry";

// A responsible opens their manual dunning step from the activity view,
// turns the call into an e-mail, writes it and validates it.
registry.category("web_tour.tours").add("customer_followup_dunning_tour", {
    url: "/odoo/action-customer_followup.followup_dunning_action_action?view_type=activity",
    steps: () => [
        {
            trigger: ".o_activity_record:contains('Tour Bakery')",
            content: "Open my manual step",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=instructions]:contains('Ask when')",
            content: "The call script is shown",
        },
        {
            trigger: ".o_field_widget[name=action_type] select",
            content: "An e-mail rather than a call",
            run: 'select "email"',
        },
        {
            trigger: ".o_notebook .nav-link:contains('Message')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=subject] input",
            run: "edit Your account",
        },
        {
            trigger: ".o_field_widget[name=body] .odoo-editor-editable",
            run: "editor As discussed, here is what is left to pay.",
        },
        {
            trigger: "button[name=action_validate]",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Done')",
            content: "Validated: the e-mail left",
        },
    ],
});
