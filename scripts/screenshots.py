"""Screenshots of the main screens, taken from the running demo with
headless Chromium (Debian's), for the readme. Run through
``bash scripts/screenshots.sh``."""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

# (addon/file, page): each file goes into the addon's static/description
SCREENS = [
    ("customer_followup/outbox.png", "/odoo/action-customer_followup.followup_dispatch_action"),
    (
        "customer_followup/what_will_go_out.png",
        "/odoo/action-customer_followup.followup_dispatch_action_preview",
    ),
    ("customer_followup/rules.png", "/odoo/action-customer_followup.followup_rule_action"),
    ("customer_followup/policies.png", "/odoo/action-customer_followup.followup_policy_action"),
    ("customer_followup/dunning.png", "/odoo/action-customer_followup.followup_dunning_action"),
    (
        "customer_followup/dunning_actions.png",
        "/odoo/action-customer_followup.followup_dunning_action_action?view_type=activity",
    ),
    ("satisfaction_survey/campaigns.png", "/odoo/action-satisfaction_survey.satisfaction_campaign_action"),
    ("satisfaction_survey/results.png", "/odoo/action-satisfaction_survey.satisfaction_result_action"),
    (
        "satisfaction_survey/results_pivot.png",
        "/odoo/action-satisfaction_survey.satisfaction_result_action?view_type=pivot",
    ),
    (
        "satisfaction_survey/nps_by_employee.png",
        "/odoo/action-satisfaction_survey.satisfaction_nps_report_action",
    ),
    ("sales_cadence/my_steps.png", "/odoo/action-sales_cadence.sales_cadence_task_action"),
    ("sales_cadence/enrollments.png", "/odoo/action-sales_cadence.sales_cadence_enrollment_action"),
    ("sales_cadence/activities.png", "/odoo/action-crm.crm_lead_action_pipeline?view_type=activity"),
    ("sales_cadence/workflows.png", "/odoo/action-sales_cadence.sales_cadence_workflow_action"),
    ("sales_cadence/steps_report.png", "/odoo/action-sales_cadence.sales_cadence_step_report_action"),
    (
        "sales_cadence/steps_per_salesperson.png",
        "/odoo/action-sales_cadence.sales_cadence_user_report_action?view_type=pivot",
    ),
    ("customer_followup/webhook_calls.png", "/odoo/action-customer_followup.followup_webhook_action"),
]
# (addon/file, list to open, the row to click, what the form shows when it is
# ready, then optionally a tab to open)
FORMS = [
    (
        "customer_followup/rule_form.png",
        "/odoo/action-customer_followup.followup_rule_action",
        ".o_data_row td[name=name]",
        ".o_form_view",
    ),
    (
        "customer_followup/work_order.png",
        "/odoo/action-repair.action_repair_order_tree",
        ".o_data_row td[name=name]",
        "button[name=action_followup_dispatches]",
    ),
    (
        "customer_followup/dunning_form.png",
        "/odoo/action-customer_followup.followup_dunning_action",
        ".o_data_row:has(td:text('Boulangerie Gagnon')) td[name=partner_id]",
        ".o_form_view .o_field_widget[name=line_ids] .o_data_row",
    ),
    (
        "customer_followup/dunning_plan.png",
        "/odoo/action-customer_followup.followup_dunning_plan_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=step_ids] .o_data_row",
    ),
    (
        "customer_followup/dunning_manual_action.png",
        "/odoo/action-customer_followup.followup_dunning_action_action",
        ".o_data_row:has(td:text('Garage Tremblay')) td[name=name]",
        "button[name=action_validate]",
    ),
    (
        "satisfaction_survey/campaign.png",
        "/odoo/action-satisfaction_survey.satisfaction_campaign_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=nps]",
    ),
    (
        "satisfaction_survey/campaign_rules.png",
        "/odoo/action-satisfaction_survey.satisfaction_campaign_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=nps]",
        ".o_notebook a[name=automated]",
    ),
    (
        "satisfaction_survey/campaign_settings.png",
        "/odoo/action-satisfaction_survey.satisfaction_campaign_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=nps]",
        ".o_notebook a[name=settings]",
    ),
    (
        "sales_cadence/cadence.png",
        "/odoo/action-sales_cadence.sales_cadence_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=step_ids] .o_data_row",
    ),
    (
        "sales_cadence/enrollment.png",
        "/odoo/action-sales_cadence.sales_cadence_enrollment_action",
        ".o_data_row td[name=lead_id]",
        ".o_form_view .o_field_widget[name=task_ids] .o_data_row",
    ),
    (
        "sales_cadence/workflow.png",
        "/odoo/action-sales_cadence.sales_cadence_workflow_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=action_ids] .o_data_row",
    ),
    (
        "sales_cadence/lead_engagement.png",
        "/odoo/action-crm.crm_lead_all_leads",
        ".o_data_row:has(td[name=name]:text-is('Design Software')) td[name=name]",
        ".o_form_view .o_notebook",
        ".o_notebook a[name=engagement]",
    ),
    (
        "sales_cadence/sending_domain.png",
        "/odoo/action-sales_cadence.sales_cadence_domain_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=record_ids] .o_data_row",
    ),
    (
        "satisfaction_survey/answer.png",
        "/odoo/action-satisfaction_survey.satisfaction_result_action",
        ".o_data_row:has(td:text('3')) td[name=partner_id]",
        ".o_form_view .o_field_widget[name=nps_category]",
    ),
]


def shoot(page, addons, name):
    addon, file = name.split("/")
    path = addons / addon / "static" / "description" / file
    page.screenshot(path=path)
    print(path, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--out", required=True, help="the addons directory")
    args = parser.parse_args()
    out = Path(args.out)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 800})
        page.goto(f"{args.url}/web/login")
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", "admin")
        page.click("button[type=submit]")
        page.wait_for_selector(".o_main_navbar")
        for name, path in SCREENS:
            page.goto(args.url + path)
            page.wait_for_selector(".o_view_controller")
            page.wait_for_timeout(1500)
            shoot(page, out, name)
        for name, path, row, ready, *tab in FORMS:
            page.goto(args.url + path)
            page.wait_for_selector(".o_data_row")
            page.click(row)
            page.wait_for_selector(ready)
            if tab:
                page.click(tab[0])
                # the tab's content, not the top of the form
                page.locator(".o_notebook").first.evaluate("notebook => notebook.scrollIntoView()")
            page.wait_for_timeout(1500)
            shoot(page, out, name)
        browser.close()


if __name__ == "__main__":
    main()
