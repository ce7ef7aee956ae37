import logging
import threading
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, modules
from odoo.tools import SQL, split_every

from ..tools.formatting import amount_formatter
from .bulk_write import write_rows

_logger = logging.getLogger(__name__)

STATES = [
    ("in_progress", "In Progress"),
    ("waiting", "Manual Action to Do"),
    ("on_hold", "On Hold"),
    ("done", "Paid"),
]
HOLD_REASONS = [
    ("promise", "Promise to pay"),
    ("payment", "Payment to reconcile"),
    ("no_plan", "No active plan"),
]
# The customer documents a dunning chases, and those that lower what is owed.
INVOICE_TYPES = ("out_invoice", "out_receipt")
DUNNED_TYPES = ("out_invoice", "out_receipt", "out_refund")
# what the dunning reads of the due lines it lists
LISTED_LINE_FIELDS = [
    "partner_id",
    "company_id",
    "move_id",
    "date_maturity",
    "currency_id",
    "amount_residual",
    "amount_residual_currency",
]


class FollowupDunning(models.Model):
    """The dunning of one customer in one company: where it stands in its
    plan. Its reference is the customer's oldest unpaid due line; every
    message lists all the customer's overdue invoices. A cycle ends when
    nothing is left to pay; a new overdue invoice starts the next one.

    Run by ``_cron_run``, set-based: one query finds every customer's
    reference, the due steps are planned in batches, automatic ones through
    the outbox, manual ones as activities of their responsible.
    """

    _name = "followup.dunning"
    _description = "Customer Dunning"
    _inherit = ["mail.thread"]
    _order = "date_next, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    plan_id = fields.Many2one("followup.dunning.plan", readonly=True, check_company=True)
    state = fields.Selection(STATES, string="Status", required=True, default="in_progress", readonly=True)
    hold_reason = fields.Selection(HOLD_REASONS, readonly=True)
    date_promise = fields.Date(
        string="Promised Payment Date",
        tracking=True,
        help="The customer promised to pay by this date: the dunning holds until then.",
    )
    cycle = fields.Integer(
        default=1, readonly=True, help="How many times this customer's dunning started over."
    )
    step_id = fields.Many2one("followup.dunning.step", string="Last Step", readonly=True)
    next_step_id = fields.Many2one("followup.dunning.step", readonly=True)
    date_next = fields.Datetime(string="Next Action", readonly=True)
    date_last_action = fields.Datetime(string="Last Action", readonly=True)
    reference_line_id = fields.Many2one("account.move.line", string="Reference Due Line", readonly=True)
    reference_move_id = fields.Many2one(related="reference_line_id.move_id", string="Reference Invoice")
    action_ids = fields.One2many("followup.dunning.action", "dunning_id", string="Actions", readonly=True)
    action_count = fields.Integer(compute="_compute_action_count")
    line_ids = fields.Many2many(
        "account.move.line",
        string="Open Invoices",
        compute="_compute_line_ids",
        help="The open invoices and credit notes of the customer that the dunning lists.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount_due = fields.Monetary(
        string="Overdue", compute="_compute_line_ids", help="Overdue amount, credit notes deducted."
    )
    amount_summary = fields.Char(string="Total Due", compute="_compute_line_ids")

    _sql_constraints = [
        ("partner_company_uniq", "UNIQUE(partner_id, company_id)", "A customer has one dunning per company."),
    ]

    def _compute_action_count(self):
        counts = dict(
            self.env["followup.dunning.action"]._read_group(
                [("dunning_id", "in", self.ids)], ["dunning_id"], ["__count"]
            )
        )
        for dunning in self:
            dunning.action_count = counts.get(dunning, 0)

    @api.depends("partner_id", "company_id")
    def _compute_line_ids(self):
        lines_by_dunning = self._listed_lines()
        format_amount = amount_formatter(self.env)
        for dunning in self:
            lines = lines_by_dunning.get(dunning, self.env["account.move.line"])
            dunning.line_ids = lines
            dunning.amount_due = sum(lines.mapped("amount_residual"))
            dunning.amount_summary = " + ".join(
                format_amount(amount, currency) for currency, amount in dunning._totals(lines)
            )

    @api.model
    def _totals(self, lines):
        """[(currency, amount)]: what ``lines`` leave to pay, per currency."""
        totals = defaultdict(float)
        for line in lines:
            totals[line.currency_id] += line.amount_residual_currency
        return [(currency, amount) for currency, amount in totals.items() if not currency.is_zero(amount)]

    # ------------------------------------------------------------
    # WHAT IS OWED
    # ------------------------------------------------------------

    @api.model
    def _open_lines_domain(self):
        """Open due lines of posted customer documents that dunning may talk about."""
        return [
            ("display_type", "=", "payment_term"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("account_id.account_type", "=", "asset_receivable"),
            ("move_id.move_type", "in", DUNNED_TYPES),
            ("move_id.followup_dunning_excluded", "=", False),
            ("move_id.followup_dispute", "=", False),
        ]

    def _listed_lines(self):
        """{dunning: the due lines its messages list}: every overdue line, the
        reference line even before it is due, and the open credit notes."""
        if not self:
            return {}
        today = fields.Date.context_today(self)
        # what is read of them, in one query each: a line, or an invoice,
        # read otherwise would fetch its hundred other fields (the messages
        # show the invoice's number and date)
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search_fetch(
                [
                    *self._open_lines_domain(),
                    ("partner_id", "in", self.partner_id.ids),
                    ("company_id", "in", self.company_id.ids),
                ],
                LISTED_LINE_FIELDS,
                order="date_maturity, id",
            )
        )
        lines.move_id.fetch(["move_type", "name", "invoice_date"])
        lines.currency_id.mapped("name")
        references = {dunning: dunning.reference_line_id.id for dunning in self}
        by_key = defaultdict(list)
        for line in lines:
            by_key[line.partner_id.id, line.company_id.id].append(line)
        Line = self.env["account.move.line"].sudo(False)
        return {
            dunning: Line.browse(
                [
                    line.id
                    for line in by_key[dunning.partner_id.id, dunning.company_id.id]
                    if line.move_id.move_type == "out_refund"
                    or line.date_maturity <= today
                    or line.id == references[dunning]
                ]
            ).with_prefetch(lines._prefetch_ids)
            for dunning in self
        }

    @api.model
    def _references(self):
        """{(customer id, company id): reference} for every customer with an
        open invoice, in one query. The reference is the oldest open due line
        of an invoice that is neither disputed nor excluded, of a customer
        that is not excluded: {"line_id", "date_due", "invoice_date",
        "invoice_user_id"}."""
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model(["followup_dunning_excluded", "followup_dispute"])
        self.env["res.partner"].flush_model(["followup_dunning_excluded"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (line.partner_id, line.company_id)
                       line.partner_id, line.company_id, line.id, line.date_maturity,
                       COALESCE(move.invoice_date, move.date), move.invoice_user_id
                  FROM account_move_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN account_account account ON account.id = line.account_id
                  JOIN res_partner partner ON partner.id = line.partner_id
                 WHERE line.display_type = 'payment_term'
                   AND line.parent_state = 'posted'
                   AND NOT line.reconciled
                   AND line.amount_residual > 0
                   AND account.account_type = 'asset_receivable'
                   AND move.move_type IN %s
                   AND NOT COALESCE(move.followup_dunning_excluded, FALSE)
                   AND NOT COALESCE(move.followup_dispute, FALSE)
                   AND NOT COALESCE(partner.followup_dunning_excluded, FALSE)
              ORDER BY line.partner_id, line.company_id, line.date_maturity, line.id
                """,
                INVOICE_TYPES,
            )
        )
        return {
            (partner_id, company_id): {
                "line_id": line_id,
                "date_due": date_due,
                "invoice_date": invoice_date,
                "invoice_user_id": invoice_user_id,
            }
            for partner_id, company_id, line_id, date_due, invoice_date, invoice_user_id in (
                self.env.cr.fetchall()
            )
        }

    @api.model
    def _payments_to_reconcile(self):
        """{(customer id, company id)} of the customers whose money came in
        but is not matched with their invoices yet: an unreconciled payment
        or bank statement line. Chasing them would ask for paid invoices."""
        self.env["account.move.line"].flush_model()
        self.env["account.bank.statement.line"].flush_model()
        self.env.cr.execute(
            """
            SELECT line.partner_id, line.company_id
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN account_account account ON account.id = line.account_id
             WHERE line.parent_state = 'posted'
               AND NOT line.reconciled
               AND line.amount_residual < 0
               AND account.account_type = 'asset_receivable'
               AND move.move_type = 'entry'
             UNION
            SELECT partner.commercial_partner_id, statement_line.company_id
              FROM account_bank_statement_line statement_line
              JOIN res_partner partner ON partner.id = statement_line.partner_id
              JOIN account_move move ON move.id = statement_line.move_id
             WHERE NOT statement_line.is_reconciled
               AND statement_line.amount > 0
               AND move.state = 'posted'
            """
        )
        return set(self.env.cr.fetchall())

    # ------------------------------------------------------------
    # RUNNING
    # ------------------------------------------------------------

    @api.model
    def _cron_run(self, batch_size=500, auto_commit=None):
        """Plan the due step of every customer's dunning, in batches, and
        close the dunnings of the customers who paid. Woken again at the
        next step's time."""
        if auto_commit is None:
            auto_commit = not modules.module.current_test and not getattr(
                threading.current_thread(), "testing", False
            )
        now = fields.Datetime.now()
        references = self._references()
        holds = self._payments_to_reconcile()
        self._close_paid(references)
        keys = sorted(references)
        done = 0
        for batch in split_every(batch_size, keys):
            self._run_batch({key: references[key] for key in batch}, holds, now)
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(keys) - done)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["followup.dunning.action"].sudo()._update_effectiveness(now - timedelta(days=31))
        self._schedule_next_run(now)

    @api.model
    def _schedule_next_run(self, now):
        self.flush_model(["date_next", "state"])
        self.env.cr.execute(
            "SELECT MIN(date_next) FROM followup_dunning WHERE state = 'in_progress' AND date_next > %s",
            [now],
        )
        (next_run,) = self.env.cr.fetchone()
        if next_run:
            self.env.ref("customer_followup.ir_cron_followup_dunning").sudo()._trigger(at=next_run)

    @api.model
    def _close_paid(self, references):
        """End the cycle of every customer who has nothing left to pay, and
        cancel what was still planned for them."""
        running = self.sudo().search([("state", "!=", "done")])
        paid = running.filtered(lambda d: (d.partner_id.id, d.company_id.id) not in references)
        if not paid:
            return
        paid.write({"state": "done", "hold_reason": False, "date_next": False, "next_step_id": False})
        pending = paid.action_ids.filtered(lambda action: action.state in ("planned", "to_do"))
        pending._cancel("invoice_paid")
        body = self.env._("Every invoice is paid: the dunning stops.")
        paid._message_log_batch(dict.fromkeys(paid.ids, body))

    @api.model
    def _run_batch(self, references, holds, now):
        # records of the cron: no "created" note nor follower on each of them
        Dunning = self.sudo().with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, tracking_disable=True
        )
        dunnings = Dunning.search(
            [
                ("partner_id", "in", [partner_id for partner_id, _company in references]),
                ("company_id", "in", list({company_id for _partner, company_id in references})),
            ]
        )
        by_key = {
            key: dunning
            for dunning in dunnings
            if (key := (dunning.partner_id.id, dunning.company_id.id)) in references
        }
        missing = [key for key in references if key not in by_key]
        if missing:
            created = Dunning.create(
                [{"partner_id": partner_id, "company_id": company_id} for partner_id, company_id in missing]
            )
            by_key.update(zip(missing, created, strict=True))
        plans = self._plans(by_key)
        today = fields.Date.context_today(self)
        due, changes = [], {}
        for key, dunning in by_key.items():
            reference = references[key]
            vals = {"reference_line_id": reference["line_id"], "plan_id": plans[key].id}
            if dunning.state == "done":
                vals.update(cycle=dunning.cycle + 1, step_id=False, state="in_progress")
            if dunning.state == "waiting":
                pass
            elif dunning.date_promise and dunning.date_promise >= today:
                vals.update(state="on_hold", hold_reason="promise", date_next=False, next_step_id=False)
            elif key in holds:
                vals.update(state="on_hold", hold_reason="payment", date_next=False, next_step_id=False)
            elif not plans[key].active:
                # an archived plan, or none for the company: said, not silently ignored
                vals.update(state="on_hold", hold_reason="no_plan", date_next=False, next_step_id=False)
            else:
                vals.update(state="in_progress", hold_reason=False)
                step, moment = dunning._next_step(
                    plans[key], reference, now, dunning.step_id if "step_id" not in vals else vals["step_id"]
                )
                vals.update(next_step_id=step.id, date_next=moment)
                if step and moment <= now:
                    due.append((dunning, step, moment, reference))
            changes[dunning] = dunning._changed(vals)
        write_rows(self, {dunning: vals for dunning, vals in changes.items() if vals})
        self.env["followup.dunning.action"]._execute(due)

    def _changed(self, vals):
        """The values of ``vals`` that differ from those of ``self``."""
        self.ensure_one()
        current = {
            name: self[name].id if self._fields[name].type == "many2one" else self[name] for name in vals
        }
        return {name: value for name, value in vals.items() if (value or False) != (current[name] or False)}

    @api.model
    def _plans(self, by_key):
        """{key: plan} for the dunnings of ``by_key``: the customer's plan in
        that company, else the company's default."""
        plans = {}
        by_company = defaultdict(list)
        for key, dunning in by_key.items():
            by_company[dunning.company_id].append(key)
        for company, keys in by_company.items():
            partners = self.env["res.partner"].sudo().with_company(company).browse([key[0] for key in keys])
            for key, partner in zip(keys, partners, strict=True):
                plans[key] = partner.followup_dunning_plan_id or company.followup_dunning_plan_id
        return plans

    def _next_step(self, plan, reference, now, last_step, date_last_action=None):
        """(step, ideal time) of what comes after ``last_step``: the latest
        step whose time has come, the ones it passes over being too late to
        make sense, or else the next one. The plan's minimum delay since the
        last action may postpone it."""
        self.ensure_one()
        if not plan or not plan.active:
            return self.env["followup.dunning.step"], False
        steps = plan.step_ids.sorted(lambda s: (s.sequence, s.id))
        if last_step:
            steps = steps.filtered(lambda s: (s.sequence, s.id) > (last_step.sequence, last_step.id))
        if not steps:
            return steps, False
        moments = {step: plan._step_moment(step, reference) for step in steps}
        reached = [step for step in steps if moments[step] <= now]
        step = reached[-1] if reached else steps[0]
        moment = moments[step]
        date_last_action = date_last_action or self.date_last_action
        if date_last_action and plan.min_delay_days:
            earliest = date_last_action + timedelta(days=plan.min_delay_days)
            if earliest > moment:
                # postponed to the plan's send hour of the first day the delay allows
                moment = plan._at_send_hour(earliest)
        return step, moment

    def action_open_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_followup.followup_dunning_action_action"
        )
        action["domain"] = [("dunning_id", "=", self.id)]
        action["context"] = {"default_dunning_id": self.id}
        return action

    def action_run_now(self):
        """Run the dunnings right away rather than at the cron's next run."""
        self.env["followup.dunning"]._cron_run(auto_commit=False)
        return True
