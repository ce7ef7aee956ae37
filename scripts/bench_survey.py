"""Satisfaction survey invitations for ``--jobs`` jobs, on the same customers:

- Odoo's survey invitation wizard (``survey.invite``) for all the customers at
  once, opened as the survey's *Share* button opens it (its invitation
  template, in Odoo's light layout);
- project's stage ratings: the jobs of a rated project moved into its rated
  stage by one mass write (Odoo sends each request at once, through SMTP: a
  local SMTP server receives them);
- a satisfaction campaign: the jobs moved to "Done" by one mass write plan
  the invitations (their queries printed apart), then the outbox sends them
  to Odoo's mail queue, as the wizard does. The same write of jobs outside
  the campaign is measured too, for the invitations' own cost: the wizard
  writes no job. Then the same for as many new customers, the invitations
  sent by two send workers side by side.

The wizard and the campaign run ``--rounds`` times, each round on new
customers, and each figure is its best round: on a shared machine, a
hiccup only ever adds time.

Run through ``bash scripts/bench_survey.sh``, which prepares the database.
Figures are printed as lines of ``name: value``.
"""

import argparse

from bench_common import load_smtp_server, measure, report, run_workers

import odoo
from odoo import SUPERUSER_ID, Command, api

CHUNK = 500


class Bench:
    def __init__(self, env, jobs):
        self.env = env
        env.company.email = "service@example.com"
        self.created_customers = 0
        self.customers = self.new_customers(jobs)
        self.survey = env["survey.survey"].create(
            {
                "title": "How did it go?",
                "access_mode": "token",
                "question_and_page_ids": [
                    Command.create(
                        {
                            "title": "Would you recommend us?",
                            "question_type": "scale",
                            "scale_min": 0,
                            "scale_max": 10,
                            "satisfaction_role": "nps",
                        }
                    )
                ],
            }
        )
        Stage = env["project.task.type"]
        self.new = Stage.create({"name": "New", "sequence": 1})
        self.done = Stage.create({"name": "Done", "sequence": 20})
        self.rated = Stage.create(
            {
                "name": "Done (rated)",
                "sequence": 30,
                "rating_template_id": env.ref("project.rating_project_request_email_template").id,
            }
        )
        stages = [Command.set((self.new | self.done | self.rated).ids)]
        self.project = env["project.project"].create({"name": "Surveyed jobs", "type_ids": stages})
        # the same jobs outside the campaign: Odoo's own cost of the mass write
        self.plain_project = env["project.project"].create({"name": "Other jobs", "type_ids": stages})
        self.rated_project = env["project.project"].create(
            {"name": "Rated jobs", "type_ids": stages, "rating_active": True, "rating_status": "stage"}
        )
        policy = env["followup.policy"].create({"name": "Bench: any time", "company_id": env.company.id})
        self.campaign = env["satisfaction.campaign"].create(
            {
                "name": "Bench campaign",
                "survey_id": self.survey.id,
                "policy_id": policy.id,
                "reminder_count": "0",
                "rule_ids": [
                    Command.create(
                        {
                            "model_id": env["ir.model"]._get_id("project.task"),
                            "filter_domain": f"[('project_id', '=', {self.project.id})]",
                            "target_ids": [Command.create({"stage_ref": self.done.id})],
                        }
                    )
                ],
            }
        )
        env.cr.commit()

    def new_customers(self, count):
        """``count`` customers no earlier call made: each their own address."""
        first = self.created_customers
        self.created_customers += count
        customers = self.env["res.partner"]
        for start in range(first, first + count, CHUNK):
            customers |= self.env["res.partner"].create(
                [
                    {
                        "name": f"Customer {index}",
                        "email": f"customer{index}@example.com",
                        "followup_email_consent": True,
                    }
                    for index in range(start, min(start + CHUNK, first + count))
                ]
            )
        return customers

    def jobs(self, project, customers=None):
        customers = self.customers if customers is None else customers
        tasks = self.env["project.task"]
        for start in range(0, len(customers), CHUNK):
            tasks |= self.env["project.task"].create(
                [
                    {"name": f"Job {customer.id}", "project_id": project.id, "partner_id": customer.id}
                    for customer in customers[start : start + CHUNK]
                ]
            )
        tasks.stage_id = self.new
        self.env.cr.commit()
        return tasks

    def measure(self, run):
        return measure(self.env, run)

    def mails(self):
        return self.env["mail.mail"].search_count([])

    def body_sizes(self, mails_before):
        """Characters of the bodies of the e-mails queued since ``mails_before``
        e-mails: smallest and average. None is empty, or the run proves nothing."""
        self.env.cr.execute(
            "SELECT min(length(body_html)), avg(length(body_html))::int FROM"
            " (SELECT body_html FROM mail_mail ORDER BY id OFFSET %s) AS new_mails",
            [mails_before],
        )
        return self.env.cr.fetchone()

    def run_invite(self, partners=None, layout=True):
        """Odoo's survey invitation as its *Share* button opens it: the
        survey's invitation template, in Odoo's light e-mail layout (or
        without it, as the campaign sends its template)."""
        context = self.survey.action_send_survey()["context"]
        if not layout:
            context = {key: value for key, value in context.items() if key != "default_email_layout_xmlid"}
        wizard = (
            self.env["survey.invite"]
            .with_context(context)
            .create({"partner_ids": [Command.set((partners or self.customers).ids)]})
        )
        wizard.action_invite()

    def set_mail_server(self, smtp):
        self.env["ir.mail_server"].create(
            {
                "name": "Bench SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_encryption": "none",
            }
        )
        self.env.cr.commit()


def rate(name, count, figures):
    seconds, queries = figures
    report(f"{name}: seconds", f"{seconds:.2f}")
    report(f"{name}: messages per second", f"{count / seconds:.1f}")
    report(f"{name}: queries per message", f"{queries / count:.2f}")
    return count / seconds


def warm_up(bench):
    """survey.invite and the campaign first run on five other customers each,
    as they would have in a running server."""
    Dispatch = bench.env["followup.dispatch"]
    bench.measure(lambda: bench.run_invite(bench.new_customers(5)))
    warm_jobs = bench.jobs(bench.project, bench.new_customers(5))
    bench.measure(lambda: warm_jobs.write({"stage_id": bench.done.id}))
    bench.measure(lambda: Dispatch._cron_send_due(batch_size=1000, max_batches=100, auto_commit=False))


def run_round(bench, customers, bare_customers):
    """One round on ``customers``: survey.invite for all of them (and
    without Odoo's layout, for as many ``bare_customers``); the same
    write of their jobs outside the campaign (survey.invite writes no job:
    the invitations' own cost is the campaign's minus it); their jobs in the
    campaign moved to "Done" by one mass write, which plans the
    invitations; the outbox sends them to Odoo's mail queue, as the wizard
    does. {figure: (seconds, queries)} and {count: number}."""
    env = bench.env
    Dispatch = env["followup.dispatch"]
    campaign_domain = [("origin_model", "=", "satisfaction.campaign")]
    figures, counts = {}, {}
    before = bench.mails()
    figures["invite"] = bench.measure(lambda: bench.run_invite(customers))
    counts["invited"] = bench.mails() - before
    counts["invite body"] = bench.body_sizes(before)
    before = bench.mails()
    figures["invite without layout"] = bench.measure(lambda: bench.run_invite(bare_customers, layout=False))
    counts["invite without layout body"] = bench.body_sizes(before)
    before = bench.mails()
    plain_jobs = bench.jobs(bench.plain_project, customers)
    figures["write"] = bench.measure(lambda: plain_jobs.write({"stage_id": bench.done.id}))
    planned = Dispatch.search_count(campaign_domain)
    sent = Dispatch.search_count([*campaign_domain, ("state", "=", "sent")])
    jobs = bench.jobs(bench.project, customers)
    figures["plan"] = bench.measure(lambda: jobs.write({"stage_id": bench.done.id}))
    counts["planned"] = Dispatch.search_count(campaign_domain) - planned
    figures["send"] = bench.measure(
        lambda: Dispatch._cron_send_due(batch_size=1000, max_batches=100, auto_commit=False)
    )
    counts["sent"] = Dispatch.search_count([*campaign_domain, ("state", "=", "sent")]) - sent
    counts["campaign body"] = bench.body_sizes(before)
    return figures, counts


def best_of(rounds):
    """Each figure's fastest round: the machine's hiccups only ever add time."""
    return {name: min((figures[name] for figures in rounds), key=lambda f: f[0]) for name in rounds[0]}


def report_rounds(bench, rounds_count):
    """survey.invite and the campaign, round after round on new customers
    (the first round on the customers of the stage ratings); the best of
    each figure, and the ratios of the bests."""
    count = len(bench.customers)
    rounds = []
    for number in range(rounds_count):
        customers = bench.customers if not number else bench.new_customers(count)
        bare_customers = bench.new_customers(count)
        figures, counts = run_round(bench, customers, bare_customers)
        report(
            f"round {number + 1}: seconds",
            ", ".join(f"{name} {seconds:.2f}" for name, (seconds, _queries) in figures.items()),
        )
        bodies = ("invite body", "invite without layout body", "campaign body")
        empty = not all(counts[body][0] for body in bodies)
        if empty or counts["invited"] != count or counts["planned"] != count or counts["sent"] != count:
            raise RuntimeError(f"round {number + 1}: {counts} for {count} customers")
        rounds.append(figures)
    best = best_of(rounds)
    report("rounds (each figure below is its best round)", rounds_count)
    report("survey.invite: e-mails queued", count)
    report("survey.invite: e-mail body, characters (smallest, average)", counts["invite body"])
    report(
        "survey.invite without the layout: e-mail body, characters (smallest, average)",
        counts["invite without layout body"],
    )
    report("campaign: e-mail body, characters (smallest, average)", counts["campaign body"])
    invite_rate = rate("survey.invite", count, best["invite"])
    bare_rate = rate("survey.invite without the layout", count, best["invite without layout"])
    report("the same write of jobs outside the campaign: seconds", f"{best['write'][0]:.2f}")
    report("the same write of jobs outside the campaign: queries", best["write"][1])
    report("campaign: invitations planned", count)
    report("campaign: planning seconds", f"{best['plan'][0]:.2f}")
    report("campaign: planning queries", best["plan"][1])
    report("campaign: planning queries per invitation", f"{best['plan'][1] / count:.3f}")
    report("campaign: invitations sent to Odoo's mail queue", count)
    report("campaign: sending seconds", f"{best['send'][0]:.2f}")
    plan, send, write = best["plan"], best["send"], best["write"]
    ours = rate("campaign (plan + send)", count, (plan[0] + send[0], plan[1] + send[1]))
    report("ratio campaign / survey.invite, messages per second", f"{ours / invite_rate:.1f}")
    report(
        "ratio campaign / survey.invite without the layout, messages per second", f"{ours / bare_rate:.1f}"
    )
    alone = rate(
        "campaign without the jobs' write (plan - write + send)",
        count,
        (plan[0] - write[0] + send[0], plan[1] - write[1] + send[1]),
    )
    report(
        "ratio campaign without the write / survey.invite, messages per second",
        f"{alone / invite_rate:.1f}",
    )
    return invite_rate, ours


def report_campaign_with_workers(bench, args, invite_rate):
    """The campaign again, for as many new customers, its invitations sent by
    two send workers side by side (*Settings > Send Workers* at 2), each
    warmed up first on five invitations of five other customers."""
    count = len(bench.customers)
    warm_jobs = bench.jobs(bench.project, bench.new_customers(10))
    bench.measure(lambda: warm_jobs.write({"stage_id": bench.done.id}))
    customers = bench.new_customers(count)
    jobs = bench.jobs(bench.project, customers)
    plan = bench.measure(lambda: jobs.write({"stage_id": bench.done.id}))
    seconds, queries, sent = run_workers(args, 2, warm_batch=5)
    report("campaign, 2 send workers: invitations sent to Odoo's mail queue", sent)
    report("campaign, 2 send workers: sending seconds", f"{seconds:.2f}")
    ours = rate("campaign, 2 send workers (plan + send)", sent, (plan[0] + seconds, plan[1] + queries))
    report(
        "ratio campaign with 2 send workers / survey.invite, messages per second", f"{ours / invite_rate:.1f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        ["-c", args.config, "--addons-path", args.addons_path, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    smtp = load_smtp_server().SmtpProcess().start()
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
            bench = Bench(env, args.jobs)
            report("customers (same for the three)", len(bench.customers))

            warm_up(bench)
            invite_rate, ours = report_rounds(bench, args.rounds)

            bench.set_mail_server(smtp)
            rated_jobs = bench.jobs(bench.rated_project)
            received = smtp.received
            ratings = bench.measure(lambda: rated_jobs.write({"stage_id": bench.rated.id}))
            requests = env["rating.rating"].search_count([("res_model", "=", "project.task")])
            report("stage ratings: requests", requests)
            report("stage ratings: e-mails received by the SMTP server", smtp.received - received)
            ratings_rate = rate("stage ratings", requests, ratings)
            report("ratio campaign / stage ratings, messages per second", f"{ours / ratings_rate:.1f}")

            report_campaign_with_workers(bench, args, invite_rate)
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
