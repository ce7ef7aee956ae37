"""The outbox against Odoo's own time-based automation, on the same data.

Run through ``bash scripts/bench.sh``, which prepares the database. Both
mechanisms send a templated e-mail to the customer of a field job (a
``project.task``) 24 hours before its deadline: ``base.automation`` with a
time-based rule, the outbox with one planned row per task. Figures are printed
as lines of ``name: value``.
"""

import argparse
import time
from datetime import timedelta

from bench_common import load_smtp_server, report, run_workers

import odoo
from odoo import SUPERUSER_ID, api, fields

CHUNK = 5000
CUSTOMERS = 1000


class Bench:
    def __init__(self, env, due):
        self.env = env
        self.due = due
        self.size = 0
        self.now = fields.Datetime.now()
        self.project = env["project.project"].create({"name": "Field jobs"})
        self.customers = env["res.partner"].create(
            [
                {
                    "name": f"Customer {index}",
                    "email": f"customer{index}@example.com",
                    "followup_email_consent": True,
                }
                for index in range(CUSTOMERS)
            ]
        )
        self.template = env["mail.template"].create(
            {
                "name": "Bench reminder",
                "model_id": env["ir.model"]._get_id("project.task"),
                "subject": "Reminder for {{ object.name }}",
                "body_html": "<p>Dear <t t-out='object.partner_id.name'/>, we come tomorrow.</p>",
                "email_from": "shop@example.com",
                "partner_to": "{{ object.partner_id.id }}",
            }
        )
        action = env["ir.actions.server"].create(
            {
                "name": "Bench reminder",
                "model_id": self.template.model_id.id,
                "state": "mail_post",
                "mail_post_method": "comment",
                "template_id": self.template.id,
            }
        )
        self.automation = env["base.automation"].create(
            {
                "name": "Bench reminder 24 hours before",
                "model_id": self.template.model_id.id,
                "trigger": "on_time",
                "trg_date_id": env["ir.model.fields"]._get("project.task", "date_deadline").id,
                "trg_date_range": -24,
                "trg_date_range_type": "hour",
                "action_server_ids": [odoo.Command.link(action.id)],
            }
        )

    def grow_to(self, size):
        """Field jobs with a deadline and one planned outbox row each; the
        reminders of the first ``due`` jobs are due now, the others later."""
        for start in range(self.size, size, CHUNK):
            stop = min(start + CHUNK, size)
            tasks = self.env["project.task"].create(
                [
                    {
                        "name": f"Job {index}",
                        "project_id": self.project.id,
                        "partner_id": self.customers[index % CUSTOMERS].id,
                        "date_deadline": self.now
                        + (timedelta(hours=23) if index < self.due else timedelta(days=3 + index % 60)),
                    }
                    for index in range(start, stop)
                ]
            )
            self.plan(
                tasks,
                lambda task: (
                    f"bench:{task.id}:{task.date_deadline}",
                    task.date_deadline - timedelta(hours=24),
                ),
            )
            self.env.cr.commit()
            self.env.invalidate_all()
        self.size = size

    def measure(self, run, with_commit=False):
        """Seconds and queries of ``run``; ``with_commit`` counts the commit
        too, and what Odoo does after it (it sends small notifications then)."""
        env = self.env
        env.flush_all()
        env.invalidate_all()
        # every cursor of the process: Odoo sends after a commit in its own
        queries = odoo.sql_db.sql_counter
        start = time.perf_counter()
        run()
        env.flush_all()
        if with_commit:
            env.cr.commit()
        seconds = time.perf_counter() - start
        queries = odoo.sql_db.sql_counter - queries
        env.cr.commit()
        return seconds, queries

    def rule_scenario(self):
        """A notification rule reminds 24 hours before the deadline; a mass
        edit moves the deadline of ``due`` jobs so that their reminder is due:
        the rule plans them at write time, the outbox sends them, while
        base.automation finds and sends the same at its next time-based run."""
        env = self.env
        rule = env["followup.rule"].create(
            {
                "name": "Bench reminder 24 hours before",
                "model_id": self.template.model_id.id,
                "trigger": "before_date",
                "date_field_id": env["ir.model.fields"]._get("project.task", "date_deadline").id,
                "reminder_number": 24,
                "reminder_unit": "hours",
                "channel": "email",
                "mail_template_id": self.template.id,
                # the base.automation rule ignores working hours: so does this policy
                "policy_id": env["followup.policy"].create({"name": "Any time"}).id,
            }
        )
        env.cr.commit()
        tasks = env["project.task"].search([], order="id", offset=self.due, limit=2 * self.due)
        moved, baseline = tasks[: self.due], tasks[self.due :]
        deadline = fields.Datetime.now() + timedelta(hours=23, minutes=30)
        rule.active = False
        base = self.measure(lambda: baseline.write({"date_deadline": deadline + timedelta(days=30)}))
        rule.active = True
        with_rule = self.measure(lambda: moved.write({"date_deadline": deadline}))
        planned = env["followup.dispatch"].search_count([("origin_model", "=", "followup.rule")])
        self.automation.last_run = fields.Datetime.now() - timedelta(hours=1)
        env.cr.commit()
        before = self.count_messages()
        automation = self.measure(self.run_automation)
        automation_sent = self.count_messages() - before
        before = self.count_messages()
        outbox = self.measure(self.run_outbox)
        outbox_sent = self.count_messages() - before
        return {
            "planned": planned,
            "write without rule": base,
            "write with rule": with_rule,
            "automation": (*automation, automation_sent),
            "outbox": (*outbox, outbox_sent),
        }

    def count_messages(self):
        return self.env["mail.message"].search_count(
            [("model", "=", "project.task"), ("subject", "like", "Reminder for")]
        )

    def run_automation(self):
        return self.env["base.automation"]._check()

    def run_outbox(self):
        return self.env["followup.dispatch"]._cron_send_due()

    def plan(self, tasks, key_and_time):
        """One outbox e-mail per task; ``key_and_time(task)`` gives its
        idempotency key and ideal time."""
        vals_list = []
        for task in tasks:
            key, when = key_and_time(task)
            vals_list.append(
                {
                    "channel": "email",
                    "partner_id": task.partner_id.id,
                    "res_model": "project.task",
                    "res_id": task.id,
                    "mail_template_id": self.template.id,
                    "policy_id": False,
                    "date_planned": when,
                    "idempotency_key": key,
                }
            )
        self.env["followup.dispatch"]._plan(vals_list)

    def plan_again(self, tag):
        """One due outbox row for each of the first ``due`` jobs, under new keys."""
        tasks = self.env["project.task"].search([], order="id", limit=self.due)
        self.plan(tasks, lambda task: (f"bench:{tag}:{task.id}", self.now - timedelta(minutes=1)))
        self.env.cr.commit()

    def end_to_end(self, smtp):
        """The same due jobs again, up to the SMTP server: base.automation
        then Odoo's mail queue, against the outbox then its batch delivery."""
        env = self.env
        env["ir.mail_server"].create(
            {
                "name": "Bench SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_encryption": "none",
            }
        )
        figures = {}
        for name, plan in (("base_automation", self.run_automation), ("outbox", self.run_outbox)):
            env["mail.mail"].search([("state", "=", "outgoing")]).write({"state": "cancel"})
            if name == "base_automation":
                self.automation.last_run = fields.Datetime.now() - timedelta(days=2)
            else:
                self.plan_again("end-to-end")
            env.cr.commit()
            received = smtp.received
            figures[name, "plan"] = self.measure(plan)
            figures[name, "deliver"] = self.measure(
                lambda: env["mail.mail"].process_email_queue(batch_size=1000)
            )
            figures[name, "received"] = smtp.received - received
        return figures


def report_rule_scenario(scenario, due):
    report("rule: reminders planned by the mass date change", scenario["planned"])
    seconds, queries = scenario["write without rule"]
    report(f"rule: write of {due} deadlines without the rule", f"{seconds:.2f} s, {queries} queries")
    seconds, queries = scenario["write with rule"]
    report(f"rule: write of {due} deadlines with the rule", f"{seconds:.2f} s, {queries} queries")
    ob_seconds, ob_queries, ob_sent = scenario["outbox"]
    ba_seconds, ba_queries, ba_sent = scenario["automation"]
    plan_seconds = scenario["write with rule"][0] - scenario["write without rule"][0]
    plan_queries = scenario["write with rule"][1] - scenario["write without rule"][1]
    report("rule: outbox sent", ob_sent)
    report("rule: outbox seconds (send)", f"{ob_seconds:.2f}")
    report("rule: base_automation sent", ba_sent)
    report("rule: base_automation seconds", f"{ba_seconds:.2f}")
    report(
        "rule: outbox messages/second (planning at write + send)",
        f"{ob_sent / (ob_seconds + max(plan_seconds, 0)):.1f}",
    )
    report("rule: base_automation messages/second", f"{ba_sent / ba_seconds:.1f}")
    report(
        "rule: ratio outbox/base_automation messages/second",
        f"{(ob_sent / (ob_seconds + max(plan_seconds, 0))) / (ba_sent / ba_seconds):.1f}",
    )
    report(
        "rule: outbox queries/message (planning + send)",
        f"{(ob_queries + max(plan_queries, 0)) / max(ob_sent, 1):.3f}",
    )
    report("rule: base_automation queries/message", f"{ba_queries / max(ba_sent, 1):.2f}")


def report_send_scenario(bench):
    """The due reminders, sent by base.automation then by the outbox."""
    bench.automation.last_run = fields.Datetime.now() - timedelta(days=2)
    before = bench.count_messages()
    ba_seconds, ba_queries = bench.measure(bench.run_automation)
    ba_sent = bench.count_messages() - before
    before = bench.count_messages()
    ob_seconds, ob_queries = bench.measure(bench.run_outbox)
    ob_sent = bench.count_messages() - before

    report("base_automation sent", ba_sent)
    report("base_automation seconds", f"{ba_seconds:.2f}")
    report("base_automation messages/second", f"{ba_sent / ba_seconds:.1f}")
    report("base_automation queries/message", f"{ba_queries / max(ba_sent, 1):.2f}")
    report("outbox sent", ob_sent)
    report("outbox seconds", f"{ob_seconds:.2f}")
    report("outbox messages/second", f"{ob_sent / ob_seconds:.1f}")
    report("outbox queries/message", f"{ob_queries / max(ob_sent, 1):.3f}")
    report(
        "ratio outbox/base_automation messages/second",
        f"{(ob_sent / ob_seconds) / (ba_sent / ba_seconds):.1f}",
    )
    return ba_sent / ba_seconds


def report_end_to_end(figures):
    rates = {}
    for name in ("base_automation", "outbox"):
        received = figures[name, "received"]
        total = 0
        for step in ("plan", "deliver"):
            seconds, queries = figures[name, step]
            total += seconds
            per_email = max(received, 1)
            report(
                f"end to end: {name} {step}",
                f"{seconds:.2f} s, {received / seconds:.1f} e-mails/s,"
                f" {queries / per_email:.2f} queries/e-mail, {seconds * 1000 / per_email:.2f} ms/e-mail",
            )
        rates[name] = received / total
        report(f"end to end: {name} e-mails received by the SMTP server", received)
        report(f"end to end: {name} e-mails/second", f"{rates[name]:.1f}")
    report(
        "end to end: ratio outbox/base_automation e-mails/second",
        f"{rates['outbox'] / rates['base_automation']:.1f}",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        ["-c", args.config, "--addons-path", args.addons_path, "-d", args.database, "--log-level=warn"]
    )
    sizes = [int(size) for size in args.sizes.split(",")]
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        bench = Bench(env, args.due)
        bench.grow_to(sizes[0])
        report("rows", sizes[0])
        report("due", args.due)

        ba_rate = report_send_scenario(bench)

        report_rule_scenario(bench.rule_scenario(), args.due)

        smtp = load_smtp_server().SmtpProcess().start()
        try:
            report_end_to_end(bench.end_to_end(smtp))
        finally:
            smtp.stop()

        # The same jobs sent again by 1, then 2 workers side by side.
        per_worker = {}
        for count in (1, 2):
            bench.plan_again(f"workers{count}")
            per_worker[count] = run_workers(args, count)
        for count, (seconds, queries, sent) in per_worker.items():
            report(f"{count} send worker(s): sent", sent)
            report(f"{count} send worker(s): seconds", f"{seconds:.2f}")
            report(f"{count} send worker(s): messages/second", f"{sent / seconds:.1f}")
            report(f"{count} send worker(s): queries/message", f"{queries / max(sent, 1):.3f}")
            report(
                f"{count} send worker(s): ratio to base_automation messages/second",
                f"{(sent / seconds) / ba_rate:.1f}",
            )
        report(
            "ratio 2 workers/1 worker messages/second",
            f"{(per_worker[2][2] / per_worker[2][0]) / (per_worker[1][2] / per_worker[1][0]):.2f}",
        )

        for size in sizes:
            bench.grow_to(size)
            ob_idle = bench.measure(bench.run_outbox)
            ba_idle = bench.measure(bench.run_automation)
            report(f"idle outbox at {size} rows", f"{ob_idle[0] * 1000:.1f} ms, {ob_idle[1]} queries")
            report(
                f"idle base_automation at {size} rows", f"{ba_idle[0] * 1000:.1f} ms, {ba_idle[1]} queries"
            )


if __name__ == "__main__":
    main()
