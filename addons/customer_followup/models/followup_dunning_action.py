from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from .bulk_write import write_rows
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
    # the dunning's, which never change: written by the cron with the rest of
    # the row, where a stored related field would cost an UPDATE of the new rows
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    step_id = fields.Many2one("followup.dunning.step", readonly=True, ondelete="set null")
    name = fields.Char(required=True, readonly=True)
    action_type = fields.Selection(
        ACTION_TYPES, string="Type", required=True, help="The responsible may change it before validating."
    )
    is_automatic = fields.Boolean(string="Automatic", readonly=True)
    state = fields.Selection(
        STATES, string="Status", required=True, default="to_do", readonly=True, tracking=True
    )
    cycle = fields.Integer(readonly=True)
    date = fields.Datetime(string="Due On", required=True, readonly=True, default=fields.Datetime.now)
    date_done = fields.Datetime(string="Done On", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True, index=True)
    done_user_id = fields.Many2one("res.users", string="Done By", readonly=True)
    instructions = fields.Html(readonly=True)
    note = fields.Html(string="Notes", help="What the responsible did, heard or decided.")
    subject = fields.Char(help="Subject of the e-mail sent when the action is validated.")
    body = fields.Html(
        string="Message",
        help="Text of the e-mail, SMS or letter, prepared from the step; edit it before validating.",
    )
    body_text = fields.Text(compute="_compute_body_text")
    recipient_ids = fields.Many2many(
        "res.partner",
        string="Recipients",
        help="Who the e-mail, SMS or letter goes to: the customer's contacts.",
    )
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments")
    is_registered = fields.Boolean(string="Registered Mail", help="The letter is sent by registered mail.")
    reason = fields.Text(help="Why the action was ignored or cancelled.")
    dispatch_id = fields.Many2one(
        "followup.dispatch", string="Outbox Message", readonly=True, ondelete="set null"
    )
    dispatch_state = fields.Selection(related="dispatch_id.state", string="Message Status")
    # set by the cron from the due lines of the dunning's company only: no
    # company check, which would read every line again for each action
    move_line_ids = fields.Many2many(
        "account.move.line",
        relation="followup_dunning_action_move_line_rel",
        column1="action_id",
        column2="move_line_id",
        string="Invoices Covered",
        readonly=True,
    )
    move_ids = fields.Many2many("account.move", string="Invoices", compute="_compute_move_ids")
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(
        string="Amount Due", readonly=True, help="What the customer owed when the action was due."
    )
    # Effectiveness: what the customer paid of the covered invoices after the action
    amount_collected_7 = fields.Monetary(string="Collected in 7 Days", readonly=True)
    amount_collected_30 = fields.Monetary(string="Collected in 30 Days", readonly=True)
    paid_7_count = fields.Integer(
        string="Paid in 7 Days", readonly=True, help="1 when every covered invoice was paid within 7 days."
    )
    paid_30_count = fields.Integer(
        string="Paid in 30 Days", readonly=True, help="1 when every covered invoice was paid within 30 days."
    )

    @api.depends("move_line_ids")
    def _compute_move_ids(self):
        for action in self:
            action.move_ids = action.move_line_ids.move_id

    @api.depends("body")
    def _compute_body_text(self):
        for action in self:
            action.body_text = tools.html2plaintext(action.body or "").strip()

    @api.constrains("recipient_ids", "partner_id")
    def _check_recipients(self):
        for action in self:
            strangers = action.recipient_ids.filtered(
                lambda p, action=action: p.commercial_partner_id != action.partner_id
            )
            if strangers:
                raise ValidationError(
                    self.env._(
                        "%(partners)s are not contacts of %(customer)s.",
                        partners=", ".join(strangers.mapped("display_name")),
                        customer=action.partner_id.display_name,
                    )
                )

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
        texts = self._prepared_texts(
            [(dunning, step) for dunning, step, *_rest in due if not step.is_automatic]
        )
        actions = (
            self.sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True, tracking_disable=True)
            .create(
                [
                    {
                        "dunning_id": dunning.id,
                        "partner_id": dunning.partner_id.id,
                        "company_id": dunning.company_id.id,
                        "step_id": step.id,
                        "name": self._in_lang(step, dunning, reference).name,
                        "action_type": step.action_type,
                        "is_automatic": step.is_automatic,
                        "state": "planned" if step.is_automatic else "to_do",
                        "cycle": dunning.cycle,
                        "date": moment,
                        "user_id": False
                        if step.is_automatic
                        else self._responsible(step, dunning, reference).id,
                        "instructions": self._in_lang(step, dunning, reference).instructions,
                        "is_registered": step.is_registered,
                        "recipient_ids": [Command.set(recipients[dunning.partner_id].ids)],
                        **texts.get((dunning, step), {}),
                        "move_line_ids": [Command.set(listed[dunning].ids)],
                        "amount": sum(listed[dunning].mapped("amount_residual")),
                    }
                    for dunning, step, moment, reference in due
                ]
            )
        )
        automatic = actions.filtered("is_automatic")
        dispatches = self.env["followup.dispatch"]._plan(
            [
                {
                    "company_id": action.company_id.id,
                    "channel": action.action_type,
                    "partner_id": recipients[action.partner_id].id,
                    "mail_template_id": action.step_id.mail_template_id.id
                    if action.action_type == "email"
                    else False,
                    "sms_template_id": action.step_id.sms_template_id.id
                    if action.action_type == "sms"
                    else False,
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
        dispatch_by_action = {dispatch.origin_id: dispatch.id for dispatch in dispatches}
        write_rows(
            self,
            {
                action: {"dispatch_id": dispatch_by_action[action.id]}
                for action in automatic
                if action.id in dispatch_by_action
            },
        )
        (actions - automatic)._schedule_activities()
        now = fields.Datetime.now()
        progress = {}
        for action, (dunning, step, _moment, reference) in zip(actions, due, strict=True):
            # a late start acts now: the minimum delay counts from now
            done_at = max(action.date, now)
            next_step, date_next = dunning._next_step(step.plan_id, reference, now, step, done_at)
            progress[dunning] = {
                "step_id": step.id,
                "date_last_action": done_at,
                "state": "in_progress" if action.is_automatic else "waiting",
                "next_step_id": next_step.id,
                # a manual action holds the plan: no date until it is done
                "date_next": date_next if action.is_automatic else False,
            }
        write_rows(dunnings, progress)
        return actions

    @api.model
    def _in_lang(self, step, dunning, reference):
        """``step`` in the language of who reads the action: its responsible
        for a manual one, the company's for the history of automatic ones."""
        if step.is_automatic:
            lang = dunning.company_id.partner_id.lang
        else:
            lang = self._responsible(step, dunning, reference).lang
        return step.with_context(lang=lang or self.env.lang)

    @api.model
    def _prepared_texts(self, dunning_steps):
        """{(dunning, step): {"subject", "body"}}: what a manual action
        proposes to send, rendered from its step's template for the
        customer, one rendering per template; a letter starts from the
        step's instructions."""
        texts = {}
        by_template = {}
        for dunning, step in dunning_steps:
            template = step._template()
            if template:
                by_template.setdefault(template, []).append((dunning, step))
            elif step.action_type == "letter":
                texts[dunning, step] = {"body": step.instructions}
        for template, pairs in by_template.items():
            res_ids = list({dunning.id for dunning, _step in pairs})
            if template._name == "mail.template":
                subjects = template._render_field("subject", res_ids, compute_lang=True)
                bodies = template._render_field("body_html", res_ids, compute_lang=True)
            else:
                subjects = {}
                bodies = template._render_field("body", res_ids, compute_lang=True)
            for dunning, step in pairs:
                texts[dunning, step] = {"subject": subjects.get(dunning.id), "body": bodies[dunning.id]}
        return texts

    @api.model
    def _recipients(self, partners):
        """{customer: who its dunning messages go to}: its invoicing contact,
        else the customer itself."""
        contacts = (
            self.env["res.partner"]
            .sudo()
            .search(
                [("parent_id", "in", partners.ids), ("type", "=", "invoice"), ("email", "!=", False)],
                order="id",
            )
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
        """The activities of manual actions, for their responsible, created together."""
        if not self:
            return
        call = self.env.ref("mail.mail_activity_data_call")
        todo = self.env.ref("mail.mail_activity_data_todo")
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id(self._name),
                    "res_id": action.id,
                    "activity_type_id": (call if action.action_type == "call" else todo).id,
                    "summary": action.name,
                    "note": action.instructions,
                    "user_id": action.user_id.id,
                    # today for the responsible, wherever the cron runs
                    "date_deadline": fields.Date.context_today(action.with_context(tz=action.user_id.tz)),
                }
                for action in self
            ]
        )

    # ------------------------------------------------------------
    # THE RESPONSIBLE'S DECISIONS
    # ------------------------------------------------------------

    def _check_responsible(self):
        for action in self:
            if action.state != "to_do":
                raise UserError(
                    self.env._("%(action)s is not waiting for anyone.", action=action.display_name)
                )
            if action.user_id != self.env.user:
                raise UserError(
                    self.env._(
                        "Only %(user)s, the responsible of %(action)s, can complete it.",
                        user=action.user_id.name,
                        action=action.display_name,
                    )
                )

    def action_validate(self):
        """Validate the responsible's actions: an e-mail or SMS leaves now,
        through the outbox, from the responsible's address."""
        self._check_responsible()
        messages = self.filtered(lambda a: a.action_type in ("email", "sms"))
        for action in messages:
            if not action.recipient_ids:
                raise UserError(self.env._("Choose who %(action)s goes to.", action=action.display_name))
            if not action.body_text:
                raise UserError(self.env._("Write the message of %(action)s.", action=action.display_name))
        self._close("done")
        messages._send_now()
        return True

    def _send_now(self):
        """Hand validated e-mails and SMS to the outbox, which checks the
        addresses and blacklists and posts them on the action's chatter."""
        templates = {
            "email": self.env.ref("customer_followup.mail_template_dunning_manual"),
            "sms": self.env.ref("customer_followup.sms_template_dunning_manual"),
        }
        dispatches = self.env["followup.dispatch"]._plan(
            [
                {
                    "company_id": action.company_id.id,
                    "channel": action.action_type,
                    "partner_id": partner.id,
                    "mail_template_id": templates["email"].id if action.action_type == "email" else False,
                    "sms_template_id": templates["sms"].id if action.action_type == "sms" else False,
                    "res_model": self._name,
                    "res_id": action.id,
                    "origin_model": self._name,
                    "origin_id": action.id,
                    "occurrence": action.name,
                    "is_consent_required": False,
                    "ignore_send_window": True,
                    "idempotency_key": f"dunning-manual:{action.id}:{partner.id}",
                }
                for action in self
                for partner in action.recipient_ids
            ]
        )
        dispatches.sudo()._process()
        for action in self:
            action.dispatch_id = dispatches.filtered(lambda d, action=action: d.origin_id == action.id)[:1]
        return dispatches

    def action_print_letter(self):
        return self.env.ref("customer_followup.action_report_dunning_letter").report_action(self)

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
        self.activity_ids.action_feedback(
            feedback=self.env._("Validated") if state == "done" else self.reason
        )
        dunnings = self.sudo().dunning_id.filtered(lambda d: d.state == "waiting")
        dunnings.write({"state": "in_progress", "date_last_action": now})
        self.env.ref("customer_followup.ir_cron_followup_dunning").sudo()._trigger()

    def _cancel(self, reason):
        """Cancel actions that were still to happen, their messages and activities."""
        actions = self.sudo()
        actions.dispatch_id._cancel(reason)
        actions.activity_ids.unlink()
        reasons = dict(self.env["followup.dispatch"]._fields["reason"]._description_selection(self.env))
        actions.write({"state": "cancelled", "reason": reasons.get(reason, reason)})

    # ------------------------------------------------------------
    # EFFECTIVENESS
    # ------------------------------------------------------------

    @api.model
    def _update_effectiveness(self, since):
        """What was paid of the invoices each action covered, within 7 and
        30 days after it, for the actions since ``since``: one query reads
        the reconciliations of them all."""
        self.flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env.cr.execute(
            """
            SELECT action.id, action.amount,
                   COALESCE(SUM(partial.amount) FILTER (WHERE partial.max_date <= action.date::date + 7), 0),
                   COALESCE(SUM(partial.amount) FILTER (WHERE partial.max_date <= action.date::date + 30), 0)
              FROM followup_dunning_action action
              JOIN followup_dunning_action_move_line_rel rel ON rel.action_id = action.id
              JOIN account_partial_reconcile partial ON partial.debit_move_id = rel.move_line_id
             WHERE action.date >= %s
               AND action.state IN ('done', 'planned')
               AND partial.max_date >= action.date::date
          GROUP BY action.id, action.amount
            """,
            [since],
        )
        rows = self.env.cr.fetchall()
        actions = self.browse([row[0] for row in rows])
        currencies = {action.id: action.currency_id for action in actions}
        write_rows(
            self,
            {
                self.browse(action_id): {
                    "amount_collected_7": collected_7,
                    "amount_collected_30": collected_30,
                    "paid_7_count": int(currencies[action_id].compare_amounts(collected_7, amount) >= 0),
                    "paid_30_count": int(currencies[action_id].compare_amounts(collected_30, amount) >= 0),
                }
                for action_id, amount, collected_7, collected_30 in rows
            },
        )

    # ------------------------------------------------------------
    # OUTBOX HOOKS
    # ------------------------------------------------------------

    @api.model
    def _followup_check_dispatches(self, dispatches):
        """At send time: nothing is sent for paid invoices or a held dunning."""
        actions = self.browse(dispatches.mapped("origin_id")).exists()
        # the dunnings' open invoices, read afresh once for the batch: the e-mails list them next
        dunnings = actions.dunning_id
        dunnings.invalidate_recordset(["line_ids", "amount_due", "amount_summary"])
        dunnings.mapped("line_ids")
        by_id = {action.id: action for action in actions}  # keeps the batch's prefetch
        outcomes = {}
        for dispatch in dispatches:
            action = by_id.get(dispatch.origin_id)
            if not action or action.state == "cancelled":
                outcomes[dispatch] = ("cancelled_by_user", False)
            elif not action.dunning_id.line_ids:
                outcomes[dispatch] = ("invoice_paid", False)
            elif action.dunning_id.state == "on_hold":
                outcomes[dispatch] = ("on_hold", action.dunning_id.hold_reason)
        if outcomes:
            self.browse([dispatch.origin_id for dispatch in outcomes]).filtered(
                lambda action: action.state == "planned"
            ).write({"state": "cancelled"})
        return outcomes

    @api.model
    def _followup_attachment_ids(self, dispatches):
        """{dispatch: attachment ids}: a manual e-mail's attachments, and the
        PDFs of the listed invoices when the step asks for them."""
        actions = self.browse(dispatches.mapped("origin_id")).exists()
        invoice_pdfs = actions.filtered(
            "step_id.attach_invoices"
        ).move_line_ids.move_id._followup_invoice_pdfs()
        by_id = {action.id: action for action in actions}  # keeps the batch's prefetch
        result = {}
        for dispatch in dispatches:
            action = by_id.get(dispatch.origin_id)
            if not action:
                continue
            ids = list(action.attachment_ids.ids)
            if action.step_id.attach_invoices:
                ids += [
                    invoice_pdfs[move].id for move in action.move_line_ids.move_id if move in invoice_pdfs
                ]
            result[dispatch] = ids
        return result

    @api.model
    def _followup_delivery_event(self, dispatches, event):
        """A message left, or could not: the action is done; when the
        customer did not get it, its responsible gets an activity."""
        actions = self.browse(dispatches.mapped("origin_id")).exists()
        if event in ("delivered", "sent"):
            actions.filtered(lambda a: a.state == "planned").write(
                {"state": "done", "date_done": fields.Datetime.now()}
            )
            return
        if event not in ("bounced", "failed", "skipped"):
            return
        actions.filtered(lambda a: a.state == "planned").write(
            {"state": "done", "date_done": fields.Datetime.now()}
        )
        for action in actions:
            dispatch = dispatches.filtered(lambda d, action=action: d.origin_id == action.id)[:1]
            action.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Dunning message not received"),
                note=self.env._(
                    "%(message)s: %(state)s (%(reason)s). Check the customer's contact details.",
                    message=dispatch.display_name,
                    state=dict(dispatch._fields["state"]._description_selection(self.env)).get(
                        dispatch.state
                    ),
                    reason=dispatch.error_message
                    or dict(dispatch._fields["reason"]._description_selection(self.env)).get(dispatch.reason)
                    or "",
                ),
                user_id=(action.dunning_id.partner_id.user_id or self.env.ref("base.user_admin")).id,
            )
