"""One dunning cycle: planning plus sending the automatic e-mails, against
OCA's account_credit_control doing the same job, on the same data.

Run through ``bash scripts/bench_dunning.sh``, which prepares the database.
Each customer has ``--invoices`` open invoices, all overdue. First, with
``--oca-customers`` customers: OCA's credit control run (its lines, then its
e-mails, a communication per customer) against the dunning cron then the
outbox, each up to the e-mails in Odoo's mail queue; the dunning again
with two send workers after the cron, then as Odoo's two cron threads run
it, the e-mails sent while the cron plans (by one send worker, then by
two). Then the dunning alone with ``--customers`` customers, the same
four ways. Figures are printed as lines of ``name: value``.
"""

import argparse
from datetime import timedelta

from bench_common import measure, report, run_beside, run_workers

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tools import SQL

CHUNK = 500
# what differs between the copies of an invoice, see Bench._copied
COPIED_DATES = {"date", "invoice_date", "invoice_date_due", "date_maturity"}
COPIED_AMOUNTS = {
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "amount_untaxed_signed",
    "amount_untaxed_in_currency_signed",
    "amount_tax_signed",
    "amount_total_signed",
    "amount_total_in_currency_signed",
    "amount_residual_signed",
    "debit",
    "credit",
    "balance",
    "amount_currency",
    "amount_residual_currency",
    "price_unit",
    "price_subtotal",
    "price_total",
}


class Bench:
    def __init__(self, env, invoices_per_customer):
        self.env = env
        self.invoices_per_customer = invoices_per_customer
        self.customers = env["res.partner"]
        self.today = fields.Date.context_today(env["res.partner"])
        company = env.company
        if not env["account.journal"].search([("type", "=", "sale"), ("company_id", "=", company.id)]):
            env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
        self.journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        # no working calendar: the messages of the cycle leave at once
        policy = env["followup.policy"].create({"name": "Bench: any time", "company_id": company.id})
        self.plan = env["followup.dunning.plan"].create(
            {
                "name": "Bench dunning",
                "policy_id": policy.id,
                "min_delay_days": 0,
                "send_hour": 0.0,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "action_type": "email",
                            "trigger_days": 3,
                            "mail_template_id": env.ref(
                                "customer_followup.mail_template_dunning_reminder"
                            ).id,
                        }
                    )
                ],
            }
        )
        company.followup_dunning_plan_id = self.plan
        env.cr.commit()

    def grow_to(self, count):
        """Customers up to ``count``, each with its overdue posted invoices."""
        env = self.env
        for start in range(len(self.customers), count, CHUNK):
            stop = min(start + CHUNK, count)
            customers = env["res.partner"].create(
                [
                    {"name": f"Customer {index}", "email": f"customer{index}@example.com", "is_company": True}
                    for index in range(start, stop)
                ]
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "journal_id": self.journal.id,
                        "partner_id": customer.id,
                        "invoice_date": self.today - timedelta(days=40 + number),
                        "invoice_date_due": self.today - timedelta(days=10 + number),
                        "invoice_payment_term_id": False,
                        "invoice_line_ids": [
                            Command.create({"name": "Service", "price_unit": 100 + number, "tax_ids": []})
                        ],
                    }
                    for customer in customers
                    for number in range(self.invoices_per_customer)
                ]
            )
            moves.action_post()
            self.customers |= customers
            env.cr.commit()
            env.invalidate_all()

    def grow_by_copy(self, count):
        """Customers up to ``count``, made through the ORM, with invoices
        copied in SQL from the first customer's posted ones: the same moves
        and lines, each with its customer, its own number, and its own
        dates and amounts. Posting
        through the ORM makes about three customers a second (an hour for
        10,000); the dunning reads the copies as it reads any invoice."""
        env = self.env
        model = self.customers[:1]
        templates = env["account.move"].search(
            [("partner_id", "=", model.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        )
        env.flush_all()
        move_columns = self._columns("account_move", {"id", "partner_id", "commercial_partner_id", "name"})
        line_columns = self._columns("account_move_line", {"id", "move_id", "partner_id", "move_name"})
        for start in range(len(self.customers), count, CHUNK):
            stop = min(start + CHUNK, count)
            customers = env["res.partner"].create(
                [
                    {"name": f"Customer {index}", "email": f"customer{index}@example.com", "is_company": True}
                    for index in range(start, stop)
                ]
            )
            env.flush_all()
            for template in templates:
                env.cr.execute(
                    SQL(
                        """
                        INSERT INTO account_move (%(columns)s, partner_id, commercial_partner_id, name)
                        SELECT %(source)s, customer.id, customer.id, 'BENCH/' || customer.id || '/' || move.id
                          FROM account_move move, unnest(%(customers)s) AS customer(id)
                         WHERE move.id = %(template)s
                     RETURNING id, partner_id, name
                        """,
                        columns=SQL(", ").join(map(SQL.identifier, move_columns)),
                        source=SQL(", ").join(self._copied("move", c, "customer") for c in move_columns),
                        customers=customers.ids,
                        template=template.id,
                    )
                )
                copies = env.cr.fetchall()
                env.cr.execute(
                    SQL(
                        """
                        INSERT INTO account_move_line (%(columns)s, move_id, partner_id, move_name)
                        SELECT %(source)s, copy.id, copy.partner_id, copy.name
                          FROM account_move_line line,
                               unnest(%(ids)s, %(partners)s, %(names)s) AS copy(id, partner_id, name)
                         WHERE line.move_id = %(template)s
                        """,
                        columns=SQL(", ").join(map(SQL.identifier, line_columns)),
                        source=SQL(", ").join(self._copied("line", c, "copy") for c in line_columns),
                        ids=[row[0] for row in copies],
                        partners=[row[1] for row in copies],
                        names=[row[2] for row in copies],
                        template=template.id,
                    )
                )
            self.customers |= customers
            env.cr.commit()
            env.invalidate_all()

    def _copied(self, alias, column, customer):
        """The copy of ``alias.column`` for the customer whose id is in
        ``customer``'s column: dates earlier by up to 29 days and amounts
        larger by up to 99.6 %, by customer, so that the e-mails of a batch
        list different dates and amounts, as real ones do. Each amount of a
        move is scaled by the same factor, rounded alike: the copies
        balance."""
        customer_id = SQL.identifier(customer, "partner_id" if customer == "copy" else "id")
        source = SQL.identifier(alias, column)
        if column in COPIED_DATES:
            return SQL("%s - mod(%s, 30)", source, customer_id)
        if column in COPIED_AMOUNTS:
            return SQL("ROUND(%s * (1 + mod(%s, 997) / 1000.0), 2)", source, customer_id)
        return source

    def _columns(self, table, overridden):
        self.env.cr.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = %s ORDER BY ordinal_position""",
            [table],
        )
        return [name for (name,) in self.env.cr.fetchall() if name not in overridden]

    def measure(self, run):
        return measure(self.env, run)

    def count_mails(self, model):
        return self.env["mail.mail"].search_count([("model", "=", model)])

    def plan_dunning(self):
        """The dunning cron as Odoo runs it, committing after each batch."""
        self.env["followup.dunning"]._cron_run(auto_commit=True)

    def send_dunning(self):
        """The outbox's send worker as Odoo runs it, committing after each batch."""
        self.env["followup.dispatch"]._cron_send_due(batch_size=1000, max_batches=100, auto_commit=True)

    def run_dunning(self):
        self.plan_dunning()
        self.send_dunning()

    def run_with_workers(self, args, count=2):
        """The cycle again from the start, its e-mails sent by ``count`` send
        workers side by side (*Settings > Send Workers*, with as many cron
        threads): (plan seconds, plan queries, send seconds, send queries,
        e-mails queued)."""
        self.reset_dunning()
        plan_seconds, plan_queries = self.measure(self.plan_dunning)
        seconds, queries, sent = run_workers(args, count)
        return plan_seconds, plan_queries, seconds, queries, sent

    def run_as_odoo(self, args, workers):
        """The cycle again from the start, as Odoo's two cron threads run it:
        a send worker sends each batch the dunning cron commits while the
        cron goes on; with two send workers, the second one joins once the
        cron is done: (seconds, queries, e-mails queued)."""
        self.reset_dunning()
        return run_beside(args, self.env, self.plan_dunning, workers)

    def reset_dunning(self):
        """Forget the cycle, so that the next run starts it again. TRUNCATE,
        not DELETE: an emptied table keeps its pages, and an autovacuum
        ANALYZE of it then records no rows on them, so the next cycle's
        UPDATEs would be planned for empty tables (seconds per batch of 500
        rows instead of tens of milliseconds, until the next ANALYZE)."""
        self.env.cr.execute(
            "TRUNCATE followup_dunning_action, followup_dunning, followup_dispatch,"
            " followup_dunning_action_res_partner_rel, followup_dunning_action_move_line_rel,"
            " followup_dunning_action_ir_attachment_rel, link_tracker_click"
        )
        self.env.cr.execute(
            "DELETE FROM mail_mail USING mail_message message"
            " WHERE message.id = mail_mail.mail_message_id AND message.model = 'followup.dunning'"
        )
        self.env.cr.commit()
        self.env.invalidate_all()

    def analyze(self):
        """Statistics of the data just built, as a database in use has them,
        before anything is measured on it."""
        self.env.cr.execute("ANALYZE")
        self.env.cr.commit()

    def run_oca(self):
        """OCA's credit control run, as its users do it: generate the lines,
        mark them ready, send their e-mails (a communication per customer).
        Without the PDF summary its template attaches: printing needs Odoo's
        web server, and it is a cost the dunning e-mails do not have."""
        env = self.env
        policy = env.ref("account_credit_control.credit_control_3_time")
        template = env.ref("account_credit_control.email_template_credit_control_base")
        template.report_template_ids = [Command.clear()]
        receivable = env["account.account"].search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", env.company.id)]
        )
        policy.account_ids = [Command.set(receivable.ids)]
        env.cr.commit()

        def run():
            credit_run = env["credit.control.run"].create(
                {"date": self.today, "policy_ids": [Command.set(policy.ids)]}
            )
            credit_run.generate_credit_lines()
            credit_run.set_to_ready_lines()
            credit_run.run_channel_action()

        return run


def report_as_odoo(bench, args, name, oca_seconds=None):
    """The cycle as Odoo's two cron threads run it, the e-mails sent while
    the cron plans, by one send worker then by two; with OCA's seconds on
    the same customers, the ratio."""
    customers = len(bench.customers)
    for workers in (1, 2):
        seconds, queries, sent = bench.run_as_odoo(args, workers)
        way = f"{name}, sent while planned, {workers} send worker{'s' if workers > 1 else ''}"
        report(f"{way}: seconds", f"{seconds:.2f}")
        report(f"{way}: e-mails queued", sent)
        report(f"{way}: s/customer", f"{seconds / customers:.4f}")
        report(f"{way}: queries/customer", f"{queries / customers:.2f}")
        if oca_seconds:
            report(f"ratio OCA/{way}", f"{oca_seconds / seconds:.1f}")


def report_cycle(bench, args):
    """One dunning cycle of ``--customers`` customers, sent by one process,
    then again by two send workers side by side."""
    env = bench.env
    bench.reset_dunning()
    bench.grow_by_copy(args.customers)
    bench.analyze()
    customers = len(bench.customers)
    invoices = env["account.move"].search_count([("move_type", "=", "out_invoice"), ("state", "=", "posted")])
    plan = bench.measure(bench.plan_dunning)
    send = bench.measure(bench.send_dunning)
    report("customers", customers)
    report("open invoices", invoices)
    report("dunning cycle: plan seconds", f"{plan[0]:.2f}")
    report("dunning cycle: send seconds", f"{send[0]:.2f}")
    report("dunning cycle: total seconds", f"{plan[0] + send[0]:.2f}")
    report("dunning cycle: e-mails queued", bench.count_mails("followup.dunning"))
    report("dunning cycle: queries/customer", f"{(plan[1] + send[1]) / customers:.2f}")

    plan_seconds, plan_queries, seconds, queries, sent = bench.run_with_workers(args)
    report("dunning cycle, 2 send workers: plan seconds", f"{plan_seconds:.2f}")
    report("dunning cycle, 2 send workers: send seconds", f"{seconds:.2f}")
    report("dunning cycle, 2 send workers: total seconds", f"{plan_seconds + seconds:.2f}")
    report("dunning cycle, 2 send workers: e-mails queued", sent)
    report("dunning cycle, 2 send workers: queries/customer", f"{(plan_queries + queries) / customers:.2f}")

    report_as_odoo(bench, args, "dunning cycle")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--invoices", type=int, default=5)
    parser.add_argument("--oca-customers", type=int, default=1000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(
        ["-c", args.config, "--addons-path", args.addons_path, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "mail_create_nolog": True})
        bench = Bench(env, args.invoices)

        bench.grow_to(args.oca_customers)
        bench.analyze()
        customers = len(bench.customers)
        report("customers (same data for both)", customers)
        report("open invoices per customer", args.invoices)
        oca_mails = bench.count_mails("credit.control.communication")
        oca = bench.measure(bench.run_oca())
        oca_mails = bench.count_mails("credit.control.communication") - oca_mails
        ours = bench.measure(bench.run_dunning)
        our_mails = bench.count_mails("followup.dunning")
        report("OCA credit control (lines + e-mails, no PDF): seconds", f"{oca[0]:.2f}")
        report("OCA credit control: e-mails queued", oca_mails)
        report("OCA credit control: s/customer", f"{oca[0] / customers:.4f}")
        report("OCA credit control: queries/customer", f"{oca[1] / customers:.1f}")
        report("dunning (cron + outbox): seconds", f"{ours[0]:.2f}")
        report("dunning: e-mails queued", our_mails)
        report("dunning: s/customer", f"{ours[0] / customers:.4f}")
        report("dunning: queries/customer", f"{ours[1] / customers:.2f}")
        report("ratio OCA/dunning seconds per customer", f"{oca[0] / ours[0]:.1f}")

        plan_seconds, plan_queries, seconds, queries, sent = bench.run_with_workers(args)
        total = plan_seconds + seconds
        report("dunning, 2 send workers: seconds", f"{total:.2f}")
        report("dunning, 2 send workers: e-mails queued", sent)
        report("dunning, 2 send workers: s/customer", f"{total / customers:.4f}")
        report("dunning, 2 send workers: queries/customer", f"{(plan_queries + queries) / customers:.2f}")
        report("ratio OCA/dunning with 2 send workers", f"{oca[0] / total:.1f}")

        report_as_odoo(bench, args, "dunning", oca_seconds=oca[0])

        report_cycle(bench, args)


if __name__ == "__main__":
    main()
