import logging
import threading
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models, tools

from odoo.addons.customer_followup.models.bulk_write import write_rows

_logger = logging.getLogger(__name__)

STATES = [("active", "In Progress"), ("paused", "Paused"), ("done", "Completed"), ("stopped", "Stopped")]
CRON_XMLID = "sales_cadence.ir_cron_sales_cadence_run"


class SalesCadenceEnrollment(models.Model):
    """A lead going through a cadence: the step it is at and when that step
    is due. An automatic step is planned in the outbox and the lead moves
    on once it left; a manual one waits for its salesperson."""

    _name = "sales.cadence.enrollment"
    _description = "Cadence Enrollment"
    _order = "date_next, id"
    _check_company_auto = True
    _rec_names_search = ["lead_id", "cadence_id"]

    cadence_id = fields.Many2one(
        "sales.cadence", required=True, index=True, ondelete="cascade", check_company=True
    )
    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="cadence_id.company_id", store=True, index=True)
    user_id = fields.Many2one(related="lead_id.user_id", string="Salesperson", store=True, index=True)
    partner_id = fields.Many2one(related="lead_id.partner_id", string="Contact")
    state = fields.Selection(
        STATES, string="Status", required=True, default="active", readonly=True, index=True
    )
    step_id = fields.Many2one("sales.cadence.step", string="Current Step", readonly=True, ondelete="set null")
    date_next = fields.Datetime(
        "Next Step At", readonly=True, help="When the current step is due; empty while it is being done."
    )
    date_enrolled = fields.Datetime("Enrolled On", default=fields.Datetime.now, readonly=True)
    date_done = fields.Datetime("Ended On", readonly=True)
    date_replied = fields.Datetime("Replied On", readonly=True, help="When the lead last replied by e-mail.")
    task_ids = fields.One2many("sales.cadence.task", "enrollment_id", string="Steps Done")
    skip_step_type_ids = fields.Many2many(
        "sales.cadence.step.type",
        "sales_cadence_enrollment_skip_type_rel",
        "enrollment_id",
        "step_type_id",
        string="Steps Skipped From Now",
        readonly=True,
        help="Set by a bounce, an unsubscription or a reply: the remaining steps of these types are skipped.",
    )
    task_count = fields.Integer(compute="_compute_task_count")
    progress = fields.Char(compute="_compute_task_count")

    def init(self):
        # one enrollment in progress per lead and cadence
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS sales_cadence_enrollment_lead_uniq
                ON sales_cadence_enrollment (cadence_id, lead_id) WHERE state IN ('active', 'paused')
            """
        )
        tools.create_index(
            self.env.cr,
            "sales_cadence_enrollment_due_index",
            self._table,
            ["date_next", "id"],
            where="state = 'active' AND date_next IS NOT NULL",
        )

    @api.depends("cadence_id", "lead_id")
    def _compute_display_name(self):
        for enrollment in self:
            enrollment.display_name = f"{enrollment.lead_id.name} ({enrollment.cadence_id.name})"

    @api.depends("task_ids", "step_id")
    def _compute_task_count(self):
        for enrollment in self:
            enrollment.task_count = len(enrollment.task_ids)
            steps = enrollment.cadence_id.step_ids
            done = len(enrollment.task_ids.filtered(lambda t: t.state in ("done", "skipped")))
            enrollment.progress = f"{done} / {len(steps)}"

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_pause(self):
        """Hold the lead at its step: what was planned for it waits."""
        active = self.filtered(lambda e: e.state == "active")
        active._withdraw_pending()
        active.write({"state": "paused", "date_next": False})

    def action_resume(self):
        """Go on with the current step, now."""
        paused = self.filtered(lambda e: e.state == "paused")
        paused.write({"state": "active", "date_next": fields.Datetime.now()})
        paused._schedule_run()

    def action_stop(self):
        self._stop()

    def _stop(self, state="stopped"):
        running = self.filtered(lambda e: e.state in ("active", "paused"))
        running._withdraw_pending()
        running.write({"state": state, "date_next": False, "date_done": fields.Datetime.now()})
        if state == "done":
            running._on_completed()

    def _on_completed(self):
        """The leads of ``self`` went through their cadence: its workflow follows."""
        self.env["sales.cadence.workflow"]._run("enrollment_done", self.lead_id, self)

    def _withdraw_pending(self):
        """Take back the current step's unfinished task: its planned message
        or its activity; it is done again on resume."""
        pending = self.task_ids.filtered(lambda t: t.state in ("planned", "to_do"))
        pending.dispatch_id._cancel("condition_false")
        pending.activity_ids.sudo().with_context(sales_cadence_withdraw=True).unlink()
        pending.unlink()

    # ------------------------------------------------------------
    # RUNNING: the due steps, in batches
    # ------------------------------------------------------------

    @api.model
    def _cron_run(self, batch_size=500, auto_commit=None):
        """Start the due step of every active enrollment whose step is due."""
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        done = 0
        while True:
            due = self.search(
                [("state", "=", "active"), ("date_next", "<=", fields.Datetime.now())],
                limit=batch_size,
                order="date_next, id",
            )
            if not due:
                break
            due._start_steps()
            done += len(due)
            self.env["ir.cron"]._notify_progress(done=done, remaining=0 if len(due) < batch_size else 1)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if len(due) < batch_size:
                break
        self._schedule_run()
        return done

    def _start_steps(self):
        """A task per enrollment for its current step: automatic ones planned
        in the outbox, manual ones given to the salesperson as activities;
        a step of a type the lead skips (bounce, unsubscription, reply) is
        recorded as skipped and the lead moves on."""
        # a step deleted from its cadence: nothing left to do for its leads
        ended = self.filtered(lambda e: not e.step_id)
        ended._stop(state="done")
        postponed = (self - ended).filtered(lambda e: not e.step_id.is_automatic)._postpone_tasks()
        starting = self - ended - postponed
        starting.write({"date_next": False})
        tasks = self.env["sales.cadence.task"].create(
            [
                {
                    "enrollment_id": enrollment.id,
                    "step_id": enrollment.step_id.id,
                    "state": "planned" if enrollment.step_id.is_automatic else "to_do",
                    "user_id": enrollment._assignee().id,
                }
                for enrollment in starting
            ]
        )
        skipped = tasks.filtered(lambda t: t.step_type_id in t.enrollment_id.skip_step_type_ids)
        skipped._finish(
            "skipped", note=self.env._("Skipped by the lead's bounce, unsubscription or reply."), forced=True
        )
        tasks -= skipped
        tasks.filtered(lambda t: t.state == "planned")._plan_messages()
        manual = tasks.filtered(lambda t: t.state == "to_do")
        manual._prefill_emails()
        manual._schedule_activities()

    def _assignee(self):
        self.ensure_one()
        return self.lead_id.user_id or self.cadence_id.create_uid

    def _postpone_tasks(self):
        """Manual steps reach their salesperson inside working hours (the
        cadence's send policy calendar, in the salesperson's time zone) and
        within the company's daily task cap per user: the others wait for
        the next opening, or the next working day.

        :return: the enrollments of ``self`` postponed
        """
        if not self:
            return self
        now = fields.Datetime.now()
        Policy = self.env["followup.policy"]
        Task = self.env["sales.cadence.task"]
        cache, moves = {}, {}
        given = defaultdict(int)
        capped_users = self.filtered(lambda e: e.company_id.cadence_task_cap)._users()
        if capped_users:
            # the manual steps each user got since the start of their own day
            for task in Task.search_fetch(
                [
                    ("user_id", "in", capped_users.ids),
                    ("step_type_id.is_automatic", "=", False),
                    ("date_assigned", ">=", now - timedelta(days=1)),
                ],
                ["user_id", "date_assigned"],
            ):
                tz = task.user_id.tz or "UTC"
                if task.date_assigned >= self._next_day_start(tz, now) - timedelta(days=1):
                    given[task.user_id.id] += 1
        for enrollment in self:
            user = enrollment._assignee()
            policy = enrollment.cadence_id.policy_id or enrollment.company_id.followup_policy_id
            calendar = policy.resource_calendar_id
            tz = user.tz or calendar.tz or "UTC"
            opening = Policy._window_opening(calendar, tz, now, cache)
            cap = enrollment.company_id.cadence_task_cap
            if opening <= now and cap and given[user.id] >= cap:
                # the user had their share today: from tomorrow's first working hour
                opening = Policy._window_opening(calendar, tz, enrollment._next_day_start(tz, now), cache)
            if opening > now:
                moves[enrollment] = {"date_next": opening}
            else:
                given[user.id] += 1
        write_rows(self, moves)
        postponed = self.browse([enrollment.id for enrollment in moves])
        postponed._schedule_run()
        return postponed

    def _users(self):
        return self.env["res.users"].union(*(enrollment._assignee() for enrollment in self))

    @staticmethod
    def _next_day_start(tz, now):
        local = pytz.utc.localize(now).astimezone(pytz.timezone(tz))
        midnight = pytz.timezone(tz).localize(datetime.combine(local.date() + timedelta(days=1), time.min))
        return midnight.astimezone(pytz.utc).replace(tzinfo=None)

    def _skip_from_now(self, step_types, note):
        """The lead skips ``step_types`` from now on: its pending step of
        those types is skipped at once; when none of its remaining steps is
        left to do, the cadence is over for it."""
        for enrollment in self.filtered(lambda e: e.state in ("active", "paused")):
            enrollment.skip_step_type_ids |= step_types
            pending = enrollment.task_ids.filtered(
                lambda t: t.state in ("planned", "to_do") and t.step_type_id in step_types
            )
            pending.dispatch_id._cancel("condition_false")
            pending._finish("skipped", note=note, forced=True)
            remaining = enrollment.step_id | enrollment._remaining_steps()
            skipped = enrollment.skip_step_type_ids
            if enrollment.state == "active" and not remaining.filtered(
                lambda s, skipped=skipped: s.step_type_id not in skipped
            ):
                enrollment._stop(state="done")

    def _remaining_steps(self):
        self.ensure_one()
        steps = self.env["sales.cadence.step"]
        step = self.step_id
        while step:
            step = step._next()
            steps |= step
        return steps

    def _advance(self, after):
        """The current step is over: on to the next one, after its wait;
        written for all of ``self`` at once."""
        progress = {}
        for enrollment in self.filtered(lambda e: e.state == "active"):
            step = enrollment.step_id._next() if enrollment.step_id else enrollment.step_id
            if step:
                progress[enrollment] = {"step_id": step.id, "date_next": after + step._wait()}
            else:
                progress[enrollment] = {
                    "state": "done",
                    "step_id": False,
                    "date_next": False,
                    "date_done": after,
                }
        write_rows(self, progress)
        self._schedule_run()
        self.browse([e.id for e, vals in progress.items() if vals.get("state") == "done"])._on_completed()

    def _schedule_run(self):
        """Wake the cron when the first of ``self`` (or of all) is due."""
        dates = [d for d in self.mapped("date_next") if d]
        if not dates:
            first = self.search(
                [("state", "=", "active"), ("date_next", "!=", False)], order="date_next", limit=1
            )
            dates = first.mapped("date_next")
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if dates and cron:
            cron.sudo()._trigger(at=max(min(dates), fields.Datetime.now()))
