/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A user creates a rule from its form, triggers it on a work order, finds
// the message in the outbox, sends it now and finds it in the chatter.
registry.category("web_tour.tours").add("customer_followup_rule_tour", {
    url: "/odoo/action-customer_followup.followup_rule_action",
    steps: () => [
        {
            trigger: ".o_list_button_add",
            content: "New rule",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tour: work order received",
        },
        {
            trigger: ".o_field_widget[name=model_choice] select",
            content: "On work orders",
            run: 'select "repair.order"',
        },
        {
            trigger: ".o_field_widget[name=sms_template_id] input",
            run: "edit Work order",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Work order received')",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=is_consent_required] input",
            content: "Send without asking for consent",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='repair.menu_repair_order']",
            content: "Open Repairs",
            run: "click",
        },
        {
            trigger: ".o_list_button_add",
            content: "New work order",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=partner_id] input",
            run: "edit Léa Tremblay",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Léa Tremblay')",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: "button[name=action_followup_dispatches]:contains('Follow-ups')",
            content: "The work order's follow-ups",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains('Tour: work order received') .o_data_cell",
            content: "The message the rule planned",
            run: "click",
        },
        {
            trigger: "button[name=action_send_now]",
            run: "click",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            content: "Confirm",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=state] .o_arrow_button_current:contains('Sent')",
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item:nth-child(2) a",
            content: "Back to the work order",
            run: "click",
        },
        {
            trigger: ".o-mail-Message-body:contains('we received your work order')",
            content: "The message is in the chatter",
        },
    ],
});
