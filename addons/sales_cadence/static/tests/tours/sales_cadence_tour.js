import { registry } from "@web/core/registry";

// A salesperson works their cadence steps from the activity view: the
// call is done, the LinkedIn task is cancelled, which skips it.
registry.category("web_tour.tours").add("sales_cadence_activity_tour", {
    steps: () => [
        {
            content: "The call of the first lead",
            trigger: "tr:has(td:contains('Tour call lead')) .o_activity_summary_cell:not(.o_activity_empty_cell) .o-mail-ActivityCell-deadline",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityListPopoverItem:contains('Discovery call') .o-mail-ActivityListPopoverItem-markAsDone",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: "edit Interested, demo next week",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done']",
            run: "click",
        },
        {
            content: "The call is done: no more activity on the first lead",
            trigger: "body:not(:has(.o-mail-ActivityListPopover))",
        },
        {
            content: "The task of the second lead",
            trigger: "tr:has(td:contains('Tour task lead')) .o_activity_summary_cell:not(.o_activity_empty_cell) .o-mail-ActivityCell-deadline",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityListPopoverItem:contains('Connect on LinkedIn') .o-mail-ActivityListPopoverItem-cancel",
            run: "click",
        },
        {
            content: "Skipped: the second lead has no activity left",
            trigger:
                ".o_activity_view:not(:has(tr:has(td:contains('Tour task lead')) .o_activity_summary_cell:not(.o_activity_empty_cell)))",
        },
    ],
});
