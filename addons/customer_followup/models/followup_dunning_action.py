from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from .followup_dunning_step import ACTION_TYPES

STATES = [
    ("planned", "Planned"),
    ("to_do", "To Do"),
    ("done", "Done"),
    ("ignored", "Ignored"),
    ("cancelled", "Cancelled"),
]


class FollowupDunningAction(models.Model):
    """One action of a customer's dunning: the history of what was done,
    and, for a manual step, the task its responsible validates or ignores.

    An automatic action is a message of the outbox (``dispatch_id``), whose
    state tells what became of it; a manual one is an activity of its
    responsible, and the dunning waits for it. Only the responsible sees a
    manual action (record rule, administrators included).
    """

    _name = "followup.dunning.action"
    _description = "Dunning Action"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    dunning_id = fields.Many2one(
        "followup.dunning", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="dunning_id.partner_id", string="Customer", store=True, index=True)
    company_id = fields.Many2one(related="dunning_id.company_id", store=True, index=True)
    step_id = fields.Many2one("followup.dunning.step", string="Step", readonly=True, ondelete="set null")
    name = fields.Char(required=True, readonly=True)
    action_type = fields.Selection(ACTION_TYPES, string="Type", required=True)
    is_automatic = fields.Boolean(string="Automatic", readonly=True)
    state = fields.Selection(STATES, string="Status", required=True, default="to_do", readonly=True, tracking=True)
    cycle = fields.Integer(readonly=True)
    date = fields.Datetime(string="Due On", required=True, readonly=True, default=fields.Datetime.now)
    date_done = fields.Datetime(string="Done On", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True, index=True)
    done_user_id = fields.Many2one("res.users", string="Done By", readonly=True)
    instructions = fields.Html(readonly=True)
    note = fields.Html(string="Notes", help="What the responsible did, heard or decided.")
    reason = fields.Text(string="Reason", help="Why the action was ignored or cancelled.")
    dispatch_id = fields.Many2one("followup.dispatch", string="Message", readonly=True, ondelete="set null")
    dispatch_state = fields.Selection(related="dispatch_id.state", string="Message Status")
    move_line_ids = fields.Many2many(
        "account.move.line", string="Invoices Covered", readonly=True, check_company=True
    )
    move_ids = fields.Many2many("account.move", string="Invoices", compute="_compute_move_ids")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(string="Amount Due", readonly=True, help="What the customer owed when the action was due.")

    @api.depends("move_line_ids")
    def _compute_move_ids(self):
        for action in self:
            action.move_ids = action.move_line_ids.move_id

    @api.depends("name", "partner_id")
    def _compute_display_name(self):
        for action in self:
            action.display_name = f"{action.name} - {action.partner_id.display_name}"

    # ------------------------------------------------------------
    # PLANNING, from the dunning's cron
    # ------------------------------------------------------------

    @api.model
    def _execute(self, due):
        """Carry out the due steps: ``due`` = [(dunning, step, ideal time,
        reference)]. Automatic steps become outbox messages, manual ones
        activities of their responsible, which the dunning waits for."""
        if not due:
            return self.browse()
        dunnings = self.env["followup.dunning"].browse([dunning.id for dunning, *_rest in due])
        listed = dunnings._listed_lines()
        recipients = self._recipients(dunnings.partner_id)
        actions = self.sudo().create(
            [
                {
                    "dunning_id": dunning.id,
                    "step_id": step.id,
                    "name": step.name,
                    "action_type": step.action_type,
                    "is_automatic": step.is_automatic,
                    "state": "planned" if step.is_automatic else "to_do",
                    "cycle": dunning.cycle,
                    "date": moment,
                    "user_id": False if step.is_automatic else self._responsible(step, dunning, reference).id,
                    "instructions": step.instructions,
                    "move_line_ids": [Command.set(listed[dunning].ids)],
                    "amount": sum(listed[dunning].mapped("amount_residual")),
                }
                for dunning, step, moment, reference in due
            ]
        )
        automatic = actions.filtered("is_automatic")
        dispatches = self.env["followup.dispatch"]._plan(
            [
                {
                    "company_id": action.company_id.id,
                    "channel": action.action_type,
                    "partner_id": recipients[action.partner_id].id,
                    "mail_template_id": action.step_id.mail_template_id.id if action.action_type == "email" else False,
                    "sms_template_id": action.step_id.sms_template_id.id if action.action_type == "sms" else False,
                    "res_model": "followup.dunning",
                    "res_id": action.dunning_id.id,
                    "origin_model": self._name,
                    "origin_id": action.id,
                    "occurrence": action.name,
                    "policy_id": action.step_id.plan_id.policy_id.id,
                    "is_consent_required": False,
                    "date_planned": action.date,
                    "idempotency_key": f"dunning:{action.dunning_id.id}:{action.cycle}:{action.step_id.id}",
                }
                for action in automatic
            ]
        )
        dispatch_by_action = {dispatch.origin_id: dispatch for dispatch in dispatches}
        for action in automatic:
            action.dispatch_id = dispatch_by_action.get(action.id)
        manual = actions - automatic
        manual._schedule_activities()
        now = fields.Datetime.now()
        for action, (dunning, step, _moment, reference) in zip(actions, due, strict=True):
            # a late start acts now: the minimum delay counts from now
            done_at = max(action.date, now)
            next_step, date_next = dunning._next_step(step.plan_id, reference, now, step, done_at)
            dunning.write(
                {
                    "step_id": step.id,
                    "date_last_action": done_at,
                    "state": "in_progress" if action.is_automatic else "waiting",
                    "next_step_id": next_step.id,
                    # a manual action holds the plan: no date until it is done
                    "date_next": date_next if action.is_automatic else False,
                }
            )
        return actions

    @api.model
    def _recipients(self, partners):
        """{customer: who its dunning messages go to}: its invoicing contact,
        else the customer itself."""
        contacts = self.env["res.partner"].sudo().search(
            [("parent_id", "in", partners.ids), ("type", "=", "invoice"), ("email", "!=", False)],
            order="id",
        )
        recipients = {partner: partner for partner in partners}
        for contact in contacts:
            if recipients[contact.parent_id] == contact.parent_id:
                recipients[contact.parent_id] = contact
        return recipients

    @api.model
    def _responsible(self, step, dunning, reference):
        if step.responsible == "user":
            return step.user_id
        if step.responsible == "invoice_user" and reference.get("invoice_user_id"):
            return self.env["res.users"].browse(reference["invoice_user_id"])
        return dunning.partner_id.user_id or step.user_id or self.env.ref("base.user_admin")

    def _schedule_activities(self):
        call = self.env.ref("mail.mail_activity_data_call")
        todo = self.env.ref("mail.mail_activity_data_todo")
        for action in self:
            action.activity_schedule(
                activity_type_id=(call if action.action_type == "call" else todo).id,
                summary=action.name,
                note=action.instructions,
                user_id=action.user_id.id,
                date_deadline=fields.Date.context_today(action),
            )

    # ------------------------------------------------------------
    # THE RESPONSIBLE'S DECISIONS
    # ------------------------------------------------------------

    def _check_responsible(self):
        for action in self:
            if action.state != "to_do":
                raise UserError(self.env._("%(action)s is not waiting for anyone.", action=action.display_name))
            if action.user_id != self.env.user:
                raise UserError(
                    self.env._(
                        "Only %(user)s, the responsible of %(action)s, can complete it.",
                        user=action.user_id.name,
                        action=action.display_name,
                    )
                )

    def action_validate(self):
        self._check_responsible()
        self._close("done")
        return True

    def action_ignore(self):
        self._check_responsible()
        if any(not action.reason for action in self):
            raise UserError(self.env._("Say why you ignore this action in its Reason field."))
        self._close("ignored")
        return True

    def _close(self, state):
        """End manual actions and let their dunnings go on."""
        now = fields.Datetime.now()
        self.write({"state": state, "date_done": now, "done_user_id": self.env.user.id})
        self.activity_ids.action_feedback(feedback=self.env._("Validated") if state == "done" else self.reason)
        dunnings = self.sudo().dunning_id.filtered(lambda d: d.state == "waiting")
        dunnings.write({"state": "in_progress", "date_last_action": now})
        self.env.ref("customer_followup.ir_cron_followup_dunning").sudo()._trigger()

    def _cancel(self, reason):
        """Cancel actions that were still to happen, their messages and activities."""
        self = self.sudo()
        self.dispatch_id._cancel(reason)
        self.activity_ids.unlink()
        reasons = dict(self.env["followup.dispatch"]._fields["reason"]._description_selection(self.env))
        self.write({"state": "cancelled", "reason": reasons.get(reason, reason)})

    # ------------------------------------------------------------
    # OUTBOX HOOKS
    # ------------------------------------------------------------

    @api.model
    def _followup_check_dispatches(self, dispatches):
        """At send time: nothing is sent for paid invoices or a held dunning."""
        actions = self.browse(dispatches.mapped("origin_id")).exists()
        listed = actions.dunning_id._listed_lines()
        outcomes = {}
        for dispatch in dispatches:
            action = self.browse(dispatch.origin_id)
            if action not in actions or action.state == "cancelled":
                outcomes[dispatch] = ("cancelled_by_user", False)
            elif not listed.get(action.dunning_id):
                outcomes[dispatch] = ("invoice_paid", False)
            elif action.dunning_id.state == "on_hold":
                outcomes[dispatch] = ("on_hold", action.dunning_id.hold_reason)
        if outcomes:
            self.browse([dispatch.origin_id for dispatch in outcomes]).filtered(
                lambda action: action.state == "planned"
            ).write({"state": "cancelled"})
        return outcomes

    @api.model
    def _followup_delivery_event(self, dispatches, event):
        """A message left, or could not: the action is done; when the
        customer did not get it, its responsible gets an activity."""
        actions = self.browse(dispatches.mapped("origin_id")).exists()
        if event in ("delivered", "sent"):
            actions.filtered(lambda a: a.state == "planned").write({"state": "done", "date_done": fields.Datetime.now()})
            return
        if event not in ("bounced", "failed", "skipped"):
            return
        actions.filtered(lambda a: a.state == "planned").write({"state": "done", "date_done": fields.Datetime.now()})
        for action in actions:
            dispatch = dispatches.filtered(lambda d, action=action: d.origin_id == action.id)[:1]
            action.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Dunning message not received"),
                note=self.env._(
                    "%(message)s: %(state)s (%(reason)s). Check the customer's contact details.",
                    message=dispatch.display_name,
                    state=dict(dispatch._fields["state"]._description_selection(self.env)).get(dispatch.state),
                    reason=dispatch.error_message
                    or dict(dispatch._fields["reason"]._description_selection(self.env)).get(dispatch.reason)
                    or "",
                ),
                user_id=(action.dunning_id.partner_id.user_id or self.env.ref("base.user_admin")).id,
            )
