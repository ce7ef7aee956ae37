"""Screenshots of the main screens, taken from the running demo with
headless Chromium (Debian's), for the readme. Run through
``bash scripts/screenshots.sh``."""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

SCREENS = [
    ("outbox.png", "/odoo/action-customer_followup.followup_dispatch_action"),
    ("what_will_go_out.png", "/odoo/action-customer_followup.followup_dispatch_action_preview"),
    ("rules.png", "/odoo/action-customer_followup.followup_rule_action"),
    ("policies.png", "/odoo/action-customer_followup.followup_policy_action"),
    ("dunning.png", "/odoo/action-customer_followup.followup_dunning_action"),
    (
        "dunning_actions.png",
        "/odoo/action-customer_followup.followup_dunning_action_action?view_type=activity",
    ),
]
# (file, list to open, the row to click, what the form shows when it is ready)
FORMS = [
    (
        "rule_form.png",
        "/odoo/action-customer_followup.followup_rule_action",
        ".o_data_row td[name=name]",
        ".o_form_view",
    ),
    (
        "work_order.png",
        "/odoo/action-repair.action_repair_order_tree",
        ".o_data_row td[name=name]",
        "button[name=action_followup_dispatches]",
    ),
    (
        "dunning_form.png",
        "/odoo/action-customer_followup.followup_dunning_action",
        ".o_data_row:has(td:text('Boulangerie Gagnon')) td[name=partner_id]",
        ".o_form_view .o_field_widget[name=line_ids] .o_data_row",
    ),
    (
        "dunning_plan.png",
        "/odoo/action-customer_followup.followup_dunning_plan_action",
        ".o_data_row td[name=name]",
        ".o_form_view .o_field_widget[name=step_ids] .o_data_row",
    ),
    (
        "dunning_manual_action.png",
        "/odoo/action-customer_followup.followup_dunning_action_action",
        ".o_data_row:has(td:text('Garage Tremblay')) td[name=name]",
        "button[name=action_validate]",
    ),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--out", required=True)
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
            page.screenshot(path=out / name)
            print(f"{out / name}", flush=True)
        for name, path, row, ready in FORMS:
            page.goto(args.url + path)
            page.wait_for_selector(".o_data_row")
            page.click(row)
            page.wait_for_selector(ready)
            page.wait_for_timeout(1500)
            page.screenshot(path=out / name)
            print(f"{out / name}", flush=True)
        browser.close()


if __name__ == "__main__":
    main()
