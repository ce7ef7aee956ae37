from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import hmac

from odoo.addons.customer_followup.models.bulk_write import write_rows

STATES = [("planned", "Planned"), ("to_do", "To Do"), ("done", "Done"), ("skipped", "Skipped")]


class SalesCadenceTask(models.Model):
    """One step done (or to do) for one enrolled lead: an automatic message
    in the outbox, or a manual action in its salesperson's activities. Its
    history feeds the reports per step and per user."""

    _name = "sales.cadence.task"
    _description = "Cadence Task"
    _order = "id desc"
    _check_company_auto = True

    enrollment_id = fields.Many2one("sales.cadence.enrollment", required=True, index=True, ondelete="cascade")
    cadence_id = fields.Many2one(related="enrollment_id.cadence_id", store=True, index=True)
    company_id = fields.Many2one(related="enrollment_id.company_id", store=True)
    lead_id = fields.Many2one(related="enrollment_id.lead_id", store=True, index=True)
    step_id = fields.Many2one("sales.cadence.step", required=True, ondelete="cascade")
    step_type_id = fields.Many2one(related="step_id.step_type_id", store=True)
    name = fields.Char(related="step_id.name")
    instructions = fields.Html(related="step_id.instructions")
    user_id = fields.Many2one("res.users", string="Assigned To", index=True)
    state = fields.Selection(
        STATES, string="Status", required=True, default="planned", readonly=True, index=True
    )
    date_assigned = fields.Datetime("Reached the User", default=fields.Datetime.now, readonly=True)
    date_done = fields.Datetime("Done On", readonly=True)
    skip_reason_id = fields.Many2one("sales.cadence.skip.reason", readonly=True)
    note = fields.Text(readonly=True)
    dispatch_id = fields.Many2one(
        "followup.dispatch", string="Outbox Message", readonly=True, ondelete="set null"
    )
    dispatch_state = fields.Selection(related="dispatch_id.state", string="Message Status")
    activity_ids = fields.One2many("mail.activity", "cadence_task_id", string="Activities")
    code = fields.Selection(related="step_type_id.code")
    # a manual e-mail, written (from the step's template) and sent by the salesperson
    email_subject = fields.Char("Subject")
    email_body = fields.Html("E-mail")
    email_user_id = fields.Many2one("res.users", string="Sent By", readonly=True)
    date_late = fields.Datetime(
        "Late From",
        compute="_compute_date_late",
        store=True,
        index=True,
        help="When the step reached the salesperson, plus the late duration of its type, its team or "
        "its salesperson. Empty: never late.",
    )
    is_late = fields.Boolean("Late", compute="_compute_is_late", search="_search_is_late")
    was_late = fields.Boolean(
        "Finished Late", compute="_compute_was_late", store=True, help="Done or skipped after it was late."
    )

    @api.depends("date_assigned", "step_type_id", "user_id")
    def _compute_date_late(self):
        # the deadline is set when the step reaches its user: a late duration
        # changed later applies to the next steps, not to those already given
        manual = self.filtered(
            lambda t: t.date_assigned and t.step_type_id and not t.step_type_id.is_automatic
        )
        minutes = self.env["sales.cadence.late.rule"]._late_minutes(manual)
        for task in self:
            late_after = minutes.get(task)
            task.date_late = task.date_assigned + timedelta(minutes=late_after) if late_after else False

    @api.depends("state", "date_late")
    def _compute_is_late(self):
        now = fields.Datetime.now()
        for task in self:
            task.is_late = bool(task.state == "to_do" and task.date_late and task.date_late < now)

    def _search_is_late(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on Late."))
        now = fields.Datetime.now()
        if (operator == "=") == value:
            return [("state", "=", "to_do"), ("date_late", "<", now)]
        return ["|", "|", ("state", "!=", "to_do"), ("date_late", "=", False), ("date_late", ">=", now)]

    @api.depends("state", "date_done", "date_late")
    def _compute_was_late(self):
        for task in self:
            task.was_late = bool(
                task.state in ("done", "skipped")
                and task.date_late
                and task.date_done
                and task.date_done > task.date_late
            )

    # ------------------------------------------------------------
    # STARTING A STEP
    # ------------------------------------------------------------

    def _plan_messages(self):
        """The automatic steps' messages, planned in the outbox: its send
        policy decides when they really leave (working hours, caps, delay
        between e-mails); the lead moves on once they left."""
        vals_list = []
        for task in self:
            step, lead, cadence = task.step_id, task.lead_id, task.cadence_id
            vals_list.append(
                {
                    "channel": step.channel,
                    "mail_template_id": step.channel == "email" and step.mail_template_id.id,
                    "sms_template_id": step.channel == "sms" and step.sms_template_id.id,
                    "partner_id": lead.partner_id.id,
                    "res_model": lead._name,
                    "res_id": lead.id,
                    "origin_model": self._name,
                    "origin_id": task.id,
                    "occurrence": f"step:{step.id}",
                    "company_id": cadence.company_id.id,
                    "policy_id": (cadence.policy_id or cadence.company_id.followup_policy_id).id,
                    "date_planned": fields.Datetime.now(),
                    "idempotency_key": f"cadence:{task.enrollment_id.id}:{step.id}:{task.id}",
                }
            )
        dispatches = self.env["followup.dispatch"]._plan(vals_list)
        by_task = {dispatch.origin_id: dispatch for dispatch in dispatches}
        write_rows(self, {task: {"dispatch_id": by_task[task.id].id} for task in self if task.id in by_task})
        self.invalidate_recordset(["dispatch_id"])

    def _prefill_emails(self):
        """The manual e-mails start from their step's template, rendered for
        their lead, in batch per template: the salesperson edits, then sends."""
        for template, tasks in (
            self.filtered(lambda t: t.code == "manual_email" and t.step_id.mail_template_id)
            .grouped(lambda task: task.step_id.mail_template_id)
            .items()
        ):
            lead_ids = tasks.lead_id.ids
            subjects = template._render_field("subject", lead_ids, compute_lang=True)
            bodies = template._render_field("body_html", lead_ids, compute_lang=True)
            # one UPDATE for the batch: the cron starts hundreds of steps at once
            write_rows(
                tasks,
                {
                    task: {"email_subject": subjects[task.lead_id.id], "email_body": bodies[task.lead_id.id]}
                    for task in tasks
                },
            )

    def action_send_email(self):
        """Send the manual e-mail as written, through the outbox: the
        cadence's send policy applies to it as to the automatic ones (working
        hours, the daily cap of e-mails, automatic and manual together), and
        it leaves from the salesperson's address; the step is done once it
        left."""
        for task in self:
            if task.state != "to_do" or task.code != "manual_email":
                raise UserError(self.env._("Only a manual e-mail step still to do can be sent."))
            if not task.email_subject or not task.email_body:
                raise UserError(self.env._("Write the subject and the text of the e-mail first."))
        template = self.env.ref("sales_cadence.mail_template_cadence_manual")
        dispatches = self.env["followup.dispatch"]._plan(
            [
                {
                    "channel": "email",
                    "mail_template_id": template.id,
                    "partner_id": task.lead_id.partner_id.id,
                    "res_model": self._name,
                    "res_id": task.id,
                    "origin_model": self._name,
                    "origin_id": task.id,
                    "occurrence": f"step:{task.step_id.id}",
                    "company_id": task.cadence_id.company_id.id,
                    "policy_id": (
                        task.cadence_id.policy_id or task.cadence_id.company_id.followup_policy_id
                    ).id,
                    "date_planned": fields.Datetime.now(),
                    "idempotency_key": f"cadence:{task.enrollment_id.id}:{task.step_id.id}:{task.id}:manual",
                }
                for task in self
            ]
        )
        by_task = {dispatch.origin_id: dispatch for dispatch in dispatches}
        for task in self:
            task.write(
                {"state": "planned", "email_user_id": self.env.uid, "dispatch_id": by_task[task.id].id}
            )
        self.activity_ids.sudo().with_context(sales_cadence_withdraw=True).unlink()
        dispatches._schedule_wakeup()
        return True

    def _schedule_activities(self):
        """Manual steps reach their salesperson as activities on the lead."""
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": task.lead_id.id,
                    "activity_type_id": (task.step_type_id.activity_type_id or todo).id,
                    "summary": task.step_id.name,
                    "note": task.step_id.instructions,
                    "user_id": task.user_id.id,
                    "date_deadline": fields.Date.context_today(task.with_context(tz=task.user_id.tz)),
                    "cadence_task_id": task.id,
                }
                for task in self
            ]
        )

    # ------------------------------------------------------------
    # ENDING A STEP
    # ------------------------------------------------------------

    def action_done(self):
        self._check_assignee()
        self._finish("done")

    def action_skip(self):
        """Skip now, or ask for a reason when the step's type needs one."""
        self._check_assignee()
        if any(task.step_type_id.is_reason_required for task in self):
            return {
                "type": "ir.actions.act_window",
                "name": self.env._("Skip a Step"),
                "res_model": "sales.cadence.skip",
                "view_mode": "form",
                "target": "new",
                "context": {"default_task_ids": self.ids},
            }
        self._finish("skipped")
        return True

    def _check_assignee(self):
        for task in self:
            if task.state != "to_do":
                raise UserError(self.env._("The step %(step)s is no longer to do.", step=task.name))

    def _check_skip_reason(self, reason):
        missing = self.filtered(lambda t: t.step_type_id.is_reason_required and not reason)
        if missing:
            raise UserError(
                self.env._("Skipping %(step)s needs a reason.", step=", ".join(missing.mapped("name")))
            )

    def _finish(self, state, reason=None, note=False, when=None, forced=False):
        """End the tasks of ``self`` (done or skipped) and move their leads
        on; ``forced``: skipped by a rule, which needs no reason."""
        when = when or fields.Datetime.now()
        tasks = self.filtered(lambda t: t.state in ("planned", "to_do"))
        if not tasks:
            return
        if state == "skipped" and not forced:
            tasks._check_skip_reason(reason)
        tasks.write(
            {
                "state": state,
                "date_done": when,
                "skip_reason_id": reason and reason.id,
                "note": note,
            }
        )
        tasks.activity_ids.sudo().with_context(sales_cadence_withdraw=True).unlink()
        tasks.enrollment_id._advance(when)

    # ------------------------------------------------------------
    # OUTBOX HOOKS
    # ------------------------------------------------------------

    @api.model
    def _followup_check_dispatches(self, dispatches):
        """Nothing leaves for a lead that is no longer going through the cadence."""
        tasks = self.browse(dispatches.mapped("origin_id")).exists()
        by_id = {task.id: task for task in tasks}
        cancel = {}
        for dispatch in dispatches:
            task = by_id.get(dispatch.origin_id)
            if not task or task.enrollment_id.state != "active":
                cancel[dispatch] = ("condition_false", self.env._("The lead left the cadence."))
        return cancel

    @api.model
    def _followup_delivery_event(self, dispatches, event):
        """The message left (or will not): the lead moves on to the next
        step. A bounce gives the salesperson an activity and applies the
        bounce rule; a blacklisted address, the unsubscribe rule."""
        tasks = self.browse(dispatches.mapped("origin_id")).exists()
        by_id = {task.id: task for task in tasks}
        if event == "bounced":
            self._on_bounce(dispatches, by_id)
            return
        if event in ("sent", "opened", "clicked"):
            self._count_engagement(dispatches, event)
        if event == "clicked":
            clicked = self.browse([by_id[d.origin_id].id for d in dispatches if d.origin_id in by_id])
            self.env["sales.cadence.workflow"]._run("link_clicked", clicked.lead_id, clicked.enrollment_id)
        if event not in ("sent", "skipped", "failed"):
            return
        reasons = dict(dispatches._fields["reason"]._description_selection(self.env))
        now = fields.Datetime.now()
        by_outcome = defaultdict(self.browse)
        unsubscribed = self.browse()
        for dispatch in dispatches:
            task = by_id.get(dispatch.origin_id)
            if not task or task.state != "planned":
                continue
            if event == "sent":
                by_outcome["done", dispatch.date_sent, False] |= task
            else:
                note = ": ".join(filter(None, [reasons.get(dispatch.reason), dispatch.error_message]))
                by_outcome["skipped", now, note] |= task
                if dispatch.reason == "blacklisted":
                    unsubscribed |= task
        for (state, when, note), outcome_tasks in by_outcome.items():
            outcome_tasks._finish(state, note=note, when=when)
        self._apply_rules("unsubscribe", unsubscribed.enrollment_id, self.env._("The lead unsubscribed."))

    @api.model
    def _followup_message_records(self, dispatches):
        """Every e-mail of a cadence, manual ones included, shows on its lead."""
        tasks = self.browse(dispatches.mapped("origin_id")).exists()
        leads = {task.id: task.lead_id for task in tasks}
        return {dispatch: leads[dispatch.origin_id] for dispatch in dispatches if dispatch.origin_id in leads}

    @api.model
    def _followup_track_engagement(self, dispatches):
        """The cadences that say so follow the opening and the clicks of their
        automatic messages: they count for the lead's engagement score."""
        tasks = self.browse(dispatches.mapped("origin_id")).exists()
        tracked = {task.id for task in tasks if task.cadence_id.is_tracked}
        return {dispatch: dispatch.origin_id in tracked for dispatch in dispatches}

    @api.model
    def _count_engagement(self, dispatches, event):
        """Each message sent, opened or clicked counts for its lead's score."""
        leads = {task.id: task.lead_id.id for task in self.browse(dispatches.mapped("origin_id")).exists()}
        counts = defaultdict(lambda: defaultdict(int))
        for dispatch in dispatches.filtered(lambda d: d.origin_id in leads):
            if event == "opened" and dispatch.channel != "email":
                continue
            counts[f"{dispatch.channel}_{event}"][leads[dispatch.origin_id]] += 1
        Lead = self.env["crm.lead"].sudo()
        for engagement_event, by_lead in counts.items():
            Lead.browse(list(by_lead)).exists()._engagement_add(engagement_event, dict(by_lead))

    @api.model
    def _followup_unsubscribe_urls(self, dispatches):
        """Each automatic e-mail of a cadence carries a link that stops them:
        prospecting e-mails must let the lead say no."""
        return {
            dispatch: f"{dispatch.get_base_url()}/sales_cadence/unsubscribe/{dispatch.id}/"
            f"{self._unsubscribe_token(dispatch)}"
            for dispatch in dispatches
        }

    @api.model
    def _unsubscribe_token(self, dispatch):
        return hmac(self.env(su=True), "sales_cadence-unsubscribe", dispatch.id)

    @api.model
    def _unsubscribe(self, dispatch):
        """The lead asked, through the link of ``dispatch``, to receive no more
        e-mails: the address goes to Odoo's blacklist (every e-mail of the
        outbox checks it), the unsubscribe rule skips the lead's next steps,
        and the lead's chatter says so."""
        task = self.browse(dispatch.origin_id).exists()
        note = self.env._(
            "%(email)s unsubscribed with the link of the e-mail “%(step)s”.",
            email=dispatch.address,
            step=task.name or "",
        )
        self.env["mail.blacklist"].sudo()._add(dispatch.address, message=note)
        if task:
            task.lead_id.sudo().message_post(body=note, subtype_xmlid="mail.mt_note")
            self._apply_rules("unsubscribe", task.enrollment_id, self.env._("The lead unsubscribed."))

    @api.model
    def _on_bounce(self, dispatches, by_id):
        tasks = self.browse([by_id[d.origin_id].id for d in dispatches if d.origin_id in by_id])
        if not tasks:
            return
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": task.lead_id.id,
                    "activity_type_id": todo.id,
                    "summary": self.env._("E-mail bounced"),
                    "note": self.env._(
                        "The e-mail of step %(step)s to %(address)s bounced: check the lead's address.",
                        step=task.name,
                        address=task.dispatch_id.address or task.lead_id.email_from or "",
                    ),
                    "user_id": task.user_id.id,
                }
                for task in tasks
            ]
        )
        self._apply_rules("bounce", tasks.enrollment_id, self.env._("An e-mail to the lead bounced."))

    @api.model
    def _apply_rules(self, event, enrollments, note):
        if not enrollments:
            return
        self.env["sales.cadence.workflow"]._run(event, enrollments.lead_id, enrollments)
        for enrollment, step_types in (
            self.env["sales.cadence.rule"]._skipped_types(event, enrollments).items()
        ):
            enrollment._skip_from_now(step_types, note)
