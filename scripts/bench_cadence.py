"""Cadence steps at volume, against Odoo's own time-based automation.

``--enrollments`` leads are in a cadence, ``--due`` of them with an automatic
e-mail step due now (the others wait for a later step). The cadence cron
starts the due steps, then the outbox sends the e-mails; on the same leads
and in the same run, a ``base.automation`` rule posts the same template to the
new leads at its time-based run. Then the cost of a run with nothing due, for
both, at ``--enrollments`` and ``--idle`` leads.

Run through ``bash scripts/bench_cadence.sh``, which prepares the database.
The waiting leads and enrollments are inserted in SQL (the ORM would take
minutes to create 100,000 leads); the due ones go through the ORM and
``sales.cadence._enroll``. Figures are printed as lines of ``name: value``.
"""

import argparse
from datetime import timedelta

from bench_common import measure, report

import odoo
from odoo import SUPERUSER_ID, Command, api, fields

CHUNK = 500


class Bench:
    def __init__(self, env):
        self.env = env
        env.company.email = "sales@example.com"
        model_id = env["ir.model"]._get_id("crm.lead")
        self.template = env["mail.template"].create(
            {
                "name": "Bench introduction",
                "model_id": model_id,
                "subject": "A quick question, {{ object.contact_name or object.name }}",
                # a link: the cadence tracks it (and the opening), base.automation does not
                "body_html": "<p>Hello <t t-out='object.partner_id.name'/>, would a call help? "
                "<a href='https://example.com/book'>Book one</a></p>",
                "email_from": "sales@example.com",
                "partner_to": "{{ object.partner_id.id }}",
            }
        )
        policy = env["followup.policy"].create({"name": "Bench: any time", "company_id": env.company.id})
        ref = env.ref
        self.cadence = env["sales.cadence"].create(
            {
                "name": "Bench cadence",
                "policy_id": policy.id,
                "step_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Introduction",
                            "step_type_id": ref("sales_cadence.step_type_auto_email").id,
                            "mail_template_id": self.template.id,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "name": "Call",
                            "step_type_id": ref("sales_cadence.step_type_call").id,
                            "wait_number": 30,
                        }
                    ),
                ],
            }
        )
        action = env["ir.actions.server"].create(
            {
                "name": "Bench introduction",
                "model_id": model_id,
                "state": "mail_post",
                "mail_post_method": "comment",
                "template_id": self.template.id,
            }
        )
        self.automation = env["base.automation"].create(
            {
                "name": "Bench introduction to new leads",
                "model_id": model_id,
                "trigger": "on_time",
                "trg_date_id": env["ir.model.fields"]._get("crm.lead", "create_date").id,
                "trg_date_range": 0,
                "trg_date_range_type": "minutes",
                "action_server_ids": [Command.link(action.id)],
            }
        )
        self.automation.last_run = fields.Datetime.now()
        self.idle = 0
        env.cr.commit()

    def add_idle(self, count):
        """Leads enrolled long ago, whose next step is in a month: in SQL."""
        cr = self.env.cr
        cr.execute(
            """
            WITH leads AS (
                INSERT INTO crm_lead (name, type, active, company_id, email_from,
                                      create_date, write_date, create_uid, write_uid)
                SELECT 'Waiting lead ' || g, 'lead', true, %(company)s, 'waiting' || g || '@example.com',
                       %(long_ago)s, %(long_ago)s, 1, 1
                  FROM generate_series(%(start)s, %(stop)s) g
             RETURNING id
            )
            INSERT INTO sales_cadence_enrollment (
                cadence_id, lead_id, company_id, state, step_id, date_next,
                date_enrolled, create_date, write_date, create_uid, write_uid)
            SELECT %(cadence)s, id, %(company)s, 'active', %(step)s, %(later)s,
                   %(long_ago)s, %(long_ago)s, %(long_ago)s, 1, 1
              FROM leads
            """,
            {
                "company": self.env.company.id,
                "cadence": self.cadence.id,
                "step": self.cadence.step_ids.sorted("sequence")[-1].id,
                "long_ago": fields.Datetime.now() - timedelta(days=60),
                "later": fields.Datetime.now() + timedelta(days=30),
                "start": self.idle + 1,
                "stop": self.idle + count,
            },
        )
        self.idle += count
        cr.commit()
        self.env.invalidate_all()

    def add_due(self, count):
        """New leads of consenting contacts, enrolled now through the ORM."""
        env = self.env
        leads = env["crm.lead"]
        for start in range(0, count, CHUNK):
            partners = env["res.partner"].create(
                [
                    {
                        "name": f"Prospect {n}",
                        "email": f"prospect{n}@example.com",
                        "followup_email_consent": True,
                    }
                    for n in range(start, min(start + CHUNK, count))
                ]
            )
            leads |= env["crm.lead"].create(
                [{"name": f"Lead {partner.name}", "partner_id": partner.id} for partner in partners]
            )
        self.cadence._enroll(leads)
        env.cr.commit()
        return leads

    def measure(self, run):
        return measure(self.env, run)

    def run_cadence(self):
        self.env["sales.cadence.enrollment"]._cron_run(auto_commit=False)

    def send_outbox(self):
        self.env["followup.dispatch"]._cron_send_due(batch_size=1000, max_batches=100, auto_commit=False)

    def run_automation(self):
        self.env["base.automation"]._check()

    def messages(self):
        """The e-mails posted on leads, by either mechanism: the template's subject."""
        return self.env["mail.message"].search_count(
            [("model", "=", "crm.lead"), ("subject", "=like", "A quick question, %")]
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--enrollments", type=int, default=10000)
    parser.add_argument("--idle", type=int, default=100000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        ["-c", args.config, "--addons-path", args.addons_path, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        bench = Bench(env)
        bench.add_idle(args.enrollments - args.due)
        leads = bench.add_due(args.due)
        # base.automation sends to the leads created since its last run: these ones
        bench.automation.last_run = min(leads.mapped("create_date")) - timedelta(seconds=1)
        env.cr.commit()
        report("enrollments", env["sales.cadence.enrollment"].search_count([]))
        report("due automatic steps", args.due)

        before = bench.messages()
        start = bench.measure(bench.run_cadence)
        send = bench.measure(bench.send_outbox)
        sent = bench.messages() - before
        report("cadence: steps started, seconds", f"{start[0]:.2f}")
        report("cadence: steps started, queries", start[1])
        report("cadence: queries per started step", f"{start[1] / args.due:.3f}")
        report("cadence: outbox send, seconds", f"{send[0]:.2f}")
        report("cadence: e-mails on the leads", sent)
        ours = (start[0] + send[0], start[1] + send[1])
        report("cadence (start + send): messages per second", f"{sent / ours[0]:.1f}")
        report("cadence (start + send): queries per message", f"{ours[1] / sent:.2f}")

        before = bench.messages()
        automation = bench.measure(bench.run_automation)
        posted = bench.messages() - before
        report("base_automation: e-mails on the leads", posted)
        report("base_automation: seconds", f"{automation[0]:.2f}")
        report("base_automation: messages per second", f"{posted / automation[0]:.1f}")
        report("base_automation: queries per message", f"{automation[1] / max(posted, 1):.2f}")
        report(
            "ratio cadence/base_automation, messages per second",
            f"{(sent / ours[0]) / (posted / automation[0]):.1f}",
        )

        for size in (args.enrollments, args.idle):
            if size > args.enrollments:
                bench.add_idle(size - args.enrollments)
            total = env["sales.cadence.enrollment"].search_count([])
            idle = bench.measure(bench.run_cadence)
            bench.automation.last_run = fields.Datetime.now()
            env.cr.commit()
            automation_idle = bench.measure(bench.run_automation)
            report(f"idle run at {total} enrollments: cadence seconds", f"{idle[0]:.4f}")
            report(f"idle run at {total} enrollments: cadence queries", idle[1])
            report(f"idle run at {total} leads: base_automation seconds", f"{automation_idle[0]:.4f}")
            report(f"idle run at {total} leads: base_automation queries", automation_idle[1])


if __name__ == "__main__":
    main()
