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
        # a rule's form, and a work order with its follow-ups button and chatter
        page.goto(args.url + SCREENS[2][1])
        page.wait_for_selector(".o_data_row")
        page.click(".o_data_row td[name=name]")
        page.wait_for_selector(".o_form_view")
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "rule_form.png")
        page.goto(args.url + "/odoo/action-repair.action_repair_order_tree")
        page.wait_for_selector(".o_data_row")
        page.click(".o_data_row td[name=name]")
        page.wait_for_selector("button[name=action_followup_dispatches]")
        page.wait_for_timeout(1500)
        page.screenshot(path=out / "work_order.png")
        browser.close()


if __name__ == "__main__":
    main()
