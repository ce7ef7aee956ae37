import logging
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors

from odoo import Command, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext, plaintext2html

from odoo.addons.phone_validation.tools import phone_validation

_logger = logging.getLogger(__name__)

STATES = [
    ("planned", "Planned"),
    ("sent", "Sent"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]

# Machine-readable reasons. Postponing reasons keep the row planned.
REASONS = [
    # cancelled: the source no longer warrants the message
    ("record_deleted", "Source record deleted"),
    ("condition_false", "Condition no longer true"),
    ("cancelled_by_user", "Cancelled by a user"),
    # skipped: the recipient cannot or may not receive it
    ("no_recipient", "No recipient"),
    ("no_consent", "No consent for this channel"),
    ("no_email", "No e-mail address"),
    ("invalid_email", "Invalid e-mail address"),
    ("no_phone", "No phone number"),
    ("invalid_phone", "Invalid phone number"),
    ("blacklisted", "Blacklisted"),
    ("no_template", "No template"),
    # postponed, still planned
    ("outside_hours", "Outside working hours"),
    ("daily_cap", "Daily cap reached"),
    ("min_gap", "Too soon after the previous message"),
    ("contact_pressure", "Contact-pressure budget reached"),
    ("email_spacing", "Spacing between e-mails"),
    # failed
    ("render_error", "Template rendering error"),
    ("send_error", "Sending error"),
]
POSTPONE_REASONS = {"outside_hours", "daily_cap", "min_gap", "contact_pressure", "email_spacing"}


class FollowupDispatch(models.Model):
    """One planned customer message: the outbox every follow-up goes through.

    Features only decide what to say and when ideally (``_plan``); at send
    time, never earlier, the outbox checks the source, the recipient, the
    send window and the caps, in that order, and records why it did not send.
    """

    _name = "followup.dispatch"
    _description = "Follow-up Message"
    _order = "date_earliest desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    state = fields.Selection(
        STATES, string="Status", required=True, default="planned", readonly=True, index=True
    )
    reason = fields.Selection(REASONS, readonly=True, index=True)
    error_message = fields.Text(readonly=True)
    channel = fields.Selection([("email", "E-mail"), ("sms", "SMS")], required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Recipient", index=True, readonly=True, ondelete="set null"
    )
    address = fields.Char(readonly=True, help="E-mail address or E.164 phone number the message was sent to.")
    mail_template_id = fields.Many2one("mail.template", readonly=True, ondelete="set null")
    sms_template_id = fields.Many2one("sms.template", readonly=True, ondelete="set null")
    res_model = fields.Char("Source Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        "Source Record ID", model_field="res_model", required=True, readonly=True
    )
    res_name = fields.Char("Source", compute="_compute_res_name")
    origin_model = fields.Char(readonly=True, index=True)
    origin_id = fields.Many2oneReference("Origin Record ID", model_field="origin_model", readonly=True)
    origin_name = fields.Char("Origin", compute="_compute_origin_name")
    occurrence = fields.Char(readonly=True, help="What happened, or the date a reminder is about.")
    policy_id = fields.Many2one(
        "followup.policy",
        string="Send Policy",
        readonly=True,
        check_company=True,
        default=lambda self: self.env.company.followup_policy_id,
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Calendar",
        readonly=True,
        help="Overrides the policy's calendar, e.g. the calendar of a location.",
    )
    is_consent_required = fields.Boolean(string="Consent Required", default=True, readonly=True)
    date_planned = fields.Datetime("Ideal Time", required=True, readonly=True, default=fields.Datetime.now)
    date_earliest = fields.Datetime(
        "Earliest Time",
        required=True,
        readonly=True,
        help="Not sent before this time; moved later when the send window or a cap postpones it.",
    )
    date_sent = fields.Datetime("Sent On", readonly=True, index=True)
    mail_message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")
    mail_mail_id = fields.Many2one("mail.mail", readonly=True, ondelete="set null")
    sms_id = fields.Many2one("sms.sms", string="SMS", readonly=True, ondelete="set null")
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="One occurrence, one key: a second plan with the same key is ignored.",
    )
    attempt_count = fields.Integer(readonly=True)

    def init(self):
        # One occurrence, one message: a cancelled row frees its key, so that
        # a reminder cancelled by a date move comes back if the date does.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS followup_dispatch_idempotency_key_uniq
                ON followup_dispatch (idempotency_key) WHERE state != 'cancelled'
            """
        )
        # The cron reads due rows only: keep that query indexed whatever the table size.
        tools.create_index(
            self.env.cr,
            "followup_dispatch_due_index",
            self._table,
            ["date_earliest", "id"],
            where="state = 'planned'",
        )
        tools.create_index(
            self.env.cr,
            "followup_dispatch_partner_sent_index",
            self._table,
            ["partner_id", "date_sent"],
            where="state = 'sent'",
        )

    @api.depends("channel", "partner_id", "res_name")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for dispatch in self:
            dispatch.display_name = self.env._(
                "%(channel)s to %(partner)s: %(record)s",
                channel=channels.get(dispatch.channel, ""),
                partner=dispatch.partner_id.display_name or "?",
                record=dispatch.res_name or dispatch.res_model,
            )

    @api.depends("res_model", "res_id")
    def _compute_res_name(self):
        for model, dispatches in self.grouped("res_model").items():
            names = self._display_names(model, dispatches.mapped("res_id"))
            for dispatch in dispatches:
                dispatch.res_name = names.get(dispatch.res_id, False)

    @api.depends("origin_model", "origin_id")
    def _compute_origin_name(self):
        for model, dispatches in self.grouped("origin_model").items():
            names = self._display_names(model, dispatches.mapped("origin_id"))
            for dispatch in dispatches:
                dispatch.origin_name = names.get(dispatch.origin_id, False)

    def _display_names(self, model, ids):
        if not model or model not in self.env:
            return {}
        records = self.env[model].browse(ids).exists()
        return {record.id: record.display_name for record in records}

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("date_earliest", vals.get("date_planned") or fields.Datetime.now())
        return super().create(vals_list)

    # ------------------------------------------------------------
    # PLANNING API, called by every follow-up feature
    # ------------------------------------------------------------

    @api.model
    def _plan(self, vals_list):
        """Plan messages in batch. A row whose ``idempotency_key`` is already
        planned, sent, skipped or failed is ignored, so planning is safe to
        repeat.

        :return: the newly planned rows
        """
        keys = [vals["idempotency_key"] for vals in vals_list]
        existing = set(
            self.sudo()
            .search_fetch(
                [("idempotency_key", "in", keys), ("state", "!=", "cancelled")], ["idempotency_key"]
            )
            .mapped("idempotency_key")
        )
        new_vals = []
        for vals in vals_list:
            key = vals["idempotency_key"]
            if key not in existing:
                existing.add(key)
                new_vals.append(vals)
        dispatches = self._create_new(new_vals)
        dispatches._schedule_wakeup()
        return dispatches.sudo(False)

    @api.model
    def _create_new(self, vals_list):
        """Create the rows, leaving out those whose key another transaction
        planned meanwhile: the unique index guards exactly-once, this keeps a
        race from becoming an error for the user who saved the record."""
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(vals_list)
        except psycopg2.errors.UniqueViolation:
            created = self.sudo()
            for vals in vals_list:
                try:
                    with self.env.cr.savepoint():
                        created |= self.sudo().create(vals)
                except psycopg2.errors.UniqueViolation:
                    _logger.info("Follow-up %s was planned by another transaction", vals["idempotency_key"])
            return created

    def _cancel(self, reason="cancelled_by_user"):
        """Cancel the rows of ``self`` that are still planned."""
        planned = self.filtered(lambda d: d.state == "planned")
        planned.write({"state": "cancelled", "reason": reason, "error_message": False})
        return planned

    def _schedule_wakeup(self):
        """Wake the sending cron at the earliest time of ``self`` (or of the
        whole outbox when empty): exact wake-ups, no polling."""
        planned = self.filtered(lambda d: d.state == "planned")
        if planned:
            at = min(planned.mapped("date_earliest"))
        else:
            first = self.sudo().search_fetch(
                [("state", "=", "planned")], ["date_earliest"], order="date_earliest", limit=1
            )
            if not first:
                return
            at = first.date_earliest
        cron = self.env.ref("customer_followup.ir_cron_followup_dispatch_send", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=max(at, fields.Datetime.now()))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_cancel(self):
        self._cancel()

    def action_retry(self):
        """Plan failed or skipped rows again, for now."""
        retry = self.filtered(lambda d: d.state in ("failed", "skipped"))
        retry.write(
            {
                "state": "planned",
                "reason": False,
                "error_message": False,
                "date_earliest": fields.Datetime.now(),
            }
        )
        retry._schedule_wakeup()

    @api.model
    def _action_open(self, domain):
        """The outbox, showing the rows of ``domain`` only."""
        action = self.env["ir.actions.act_window"]._for_xml_id("customer_followup.followup_dispatch_action")
        return {**action, "domain": domain, "context": {}}

    def action_open_source(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------
    # SENDING CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_send_due(self, batch_size=None, max_batches=None):
        """Send what is due, one locked batch at a time, committing after each
        batch outside tests so that a crash loses nothing already sent."""
        icp = self.env["ir.config_parameter"].sudo()
        batch_size = batch_size or int(icp.get_param("customer_followup.batch_size", 500))
        max_batches = max_batches or int(icp.get_param("customer_followup.max_batches", 20))
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        done = 0
        for _i in range(max_batches):
            dispatches = self._lock_due(batch_size)
            if not dispatches:
                break
            dispatches._process_isolated()
            done += len(dispatches)
            remaining = self._count_due() if len(dispatches) == batch_size else 0
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            if auto_commit:
                # a crash in a later batch must not undo what this one sent
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if not remaining:
                break
        self._schedule_wakeup()
        return done

    @api.model
    def _due_domain(self):
        return [("state", "=", "planned"), ("date_earliest", "<=", fields.Datetime.now())]

    @api.model
    def _count_due(self):
        return self.sudo().search_count(self._due_domain())

    @api.model
    def _lock_due(self, limit):
        """Take up to ``limit`` due rows and lock them; rows another worker
        holds are skipped, so two workers never send the same row."""
        self.flush_model(["state", "date_earliest"])
        self.env.cr.execute(
            """
            SELECT id FROM followup_dispatch
             WHERE state = 'planned' AND date_earliest <= %s
             ORDER BY date_earliest, id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """,
            [fields.Datetime.now(), limit],
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    def _process_isolated(self):
        """Process the batch; should it fail as a whole, process its rows one
        by one so that a row that breaks fails alone, with its error."""
        try:
            with self.env.cr.savepoint():
                self._process()
        except Exception:  # whatever breaks, the other rows go on
            _logger.exception("Follow-up batch of %s messages failed, retrying one by one", len(self))
            for dispatch in self:
                try:
                    with self.env.cr.savepoint():
                        dispatch._process()
                except Exception as error:
                    dispatch._apply_outcomes(
                        {
                            dispatch: {
                                "state": "failed",
                                "reason": "send_error",
                                "error_message": str(error) or repr(error),
                            }
                        }
                    )

    def _process(self):
        """Run the send-time checks in order, then send what passed them all."""
        now = fields.Datetime.now()
        dispatches = self._check_source()
        dispatches, addresses = dispatches._check_recipient()
        windows = {}
        dispatches = dispatches._check_window(now, windows)
        dispatches = dispatches._check_caps(now, windows)
        dispatches._send(addresses)

    # 1. the source still warrants the message ---------------------------

    def _check_source(self):
        outcomes = {}
        for model, dispatches in self.grouped("res_model").items():
            if model not in self.env:
                alive = set()
            else:
                alive = set(self.env[model].sudo().browse(dispatches.mapped("res_id")).exists().ids)
            for dispatch in dispatches:
                if dispatch.res_id not in alive:
                    outcomes[dispatch] = {"state": "cancelled", "reason": "record_deleted"}
        for origin_model, by_origin in self.grouped("origin_model").items():
            dispatches = by_origin.filtered(lambda d: d not in outcomes)
            if not origin_model or origin_model not in self.env or not dispatches:
                continue
            origin = self.env[origin_model].sudo()
            if hasattr(origin, "_followup_check_dispatches"):
                for dispatch, (reason, message) in origin._followup_check_dispatches(dispatches).items():
                    outcomes[dispatch] = {
                        "state": "cancelled",
                        "reason": reason,
                        "error_message": message,
                    }
        return self._apply_outcomes(outcomes)

    # 2. consent, address and blacklists -----------------------------------

    def _check_recipient(self):
        """:return: the rows that may go on, and their address by row id"""
        outcomes, addresses = {}, {}
        for dispatch in self:
            reason, detail, address = dispatch._recipient_address()
            if reason:
                outcomes[dispatch] = self._skip(reason, detail)
            else:
                addresses[dispatch] = address
        blocked = self._blacklisted(
            {a for d, a in addresses.items() if d.channel == "email"},
            {a for d, a in addresses.items() if d.channel == "sms"},
        )
        for dispatch, address in addresses.items():
            if address in blocked:
                outcomes[dispatch] = self._skip("blacklisted", address)
        remaining = self._apply_outcomes(outcomes)
        return remaining, {d.id: address for d, address in addresses.items() if d in remaining}

    def _recipient_address(self):
        """(skip reason, detail, address): where ``self`` can go, or why not."""
        self.ensure_one()
        partner = self.partner_id
        template = self.mail_template_id if self.channel == "email" else self.sms_template_id
        if not partner:
            return "no_recipient", False, False
        if not template:
            return "no_template", False, False
        if self.is_consent_required and not partner._followup_has_consent(self.channel):
            return "no_consent", False, False
        if self.channel == "email":
            if not partner.email:
                return "no_email", False, False
            if not partner.email_normalized:
                return "invalid_email", partner.email, False
            return False, False, partner.email_normalized
        number = partner.mobile or partner.phone
        if not number:
            return "no_phone", False, False
        try:
            return False, False, self._format_e164(number)
        except UserError as error:
            return "invalid_phone", str(error), False

    @api.model
    def _blacklisted(self, emails, numbers):
        blocked = set()
        if emails:
            blacklist = self.env["mail.blacklist"].sudo()
            blocked |= set(blacklist.search_fetch([("email", "in", list(emails))], ["email"]).mapped("email"))
        if numbers:
            blacklist = self.env["phone.blacklist"].sudo()
            blocked |= set(
                blacklist.search_fetch([("number", "in", list(numbers))], ["number"]).mapped("number")
            )
        return blocked

    def _format_e164(self, number):
        """``number`` as E.164, read in the recipient's country (else the
        company's); raise a UserError saying why it is not a valid number."""
        country = self.partner_id.country_id or self.company_id.country_id
        return phone_validation.phone_format(
            number,
            country.code,
            country.phone_code,
            force_format="E164",
            raise_exception=True,
        )

    @api.model
    def _skip(self, reason, message=False):
        return {"state": "skipped", "reason": reason, "error_message": message}

    # 3. the send window ------------------------------------------------------

    def _check_window(self, now, windows):
        outcomes = {}
        for dispatch in self:
            opening = dispatch._window_opening(now, now, windows)
            if opening > now:
                outcomes[dispatch] = {"date_earliest": opening, "reason": "outside_hours"}
        return self._apply_outcomes(outcomes)

    def _window_opening(self, when, now, windows):
        """First moment at or after ``when`` in the send window of ``self``.
        ``windows`` caches the working intervals, from ``now`` on, per
        calendar and time zone for the whole batch."""
        self.ensure_one()
        calendar = self.resource_calendar_id or self.policy_id.resource_calendar_id
        if not calendar:
            return when
        if self.policy_id:
            tz_name = self.policy_id._window_tz(self.partner_id, calendar)
        else:
            tz_name = self.partner_id.tz or calendar.tz or "UTC"
        key = (calendar.id, tz_name)
        Policy = self.env["followup.policy"]
        if key not in windows:
            windows[key] = Policy._get_work_intervals(calendar, tz_name, now)
        return Policy._next_open(windows[key], when)

    # 4. caps, gap, contact pressure, spacing ------------------------------

    def _check_caps(self, now, windows):
        """Postpone what would exceed a cap; never drop it."""
        policies = self.policy_id
        if not policies:
            return self
        sent_today = self._count_sent_today(policies, now)
        history = self._sent_history(policies, now)
        last_email = self._last_email_sent(policies.filtered("email_delay_max"))
        outcomes = {}
        for dispatch in self.sorted(lambda d: (d.date_earliest, d.id)):
            policy = dispatch.policy_id
            if not policy:
                continue
            postpone = dispatch._postponement(policy, now, sent_today, history, last_email)
            if postpone:
                reason, when = postpone
                outcomes[dispatch] = {
                    "date_earliest": dispatch._window_opening(when, now, windows),
                    "reason": reason,
                }
                continue
            # what this batch sends counts against the caps of the next rows
            sent_today[policy, dispatch.channel] += 1
            history[dispatch.partner_id.id].append(now)
            if dispatch.channel == "email" and policy.email_delay_max:
                last_email[policy] = now + policy._random_email_delay()
        return self._apply_outcomes(outcomes)

    def _postponement(self, policy, now, sent_today, history, last_email):
        """(reason, new earliest time) if a cap holds this row back, else None."""
        cap = policy.email_daily_cap if self.channel == "email" else policy.sms_daily_cap
        if cap and sent_today[policy, self.channel] >= cap:
            return "daily_cap", policy._day_start(now) + timedelta(days=1)
        sent = history[self.partner_id.id]
        if policy.min_gap_minutes and sent:
            free_at = max(sent) + timedelta(minutes=policy.min_gap_minutes)
            if free_at > now:
                return "min_gap", free_at
        if policy.pressure_max_messages:
            window_start = now - timedelta(days=policy.pressure_days)
            recent = sorted(date for date in sent if date > window_start)
            if len(recent) >= policy.pressure_max_messages:
                # free again when enough of them leave the window
                oldest_to_expire = recent[len(recent) - policy.pressure_max_messages]
                return "contact_pressure", oldest_to_expire + timedelta(days=policy.pressure_days)
        if self.channel == "email" and last_email.get(policy) and last_email[policy] > now:
            return "email_spacing", last_email[policy]
        return None

    def _count_sent_today(self, policies, now):
        counts = defaultdict(int)
        for policy in policies.filtered(lambda p: p.email_daily_cap or p.sms_daily_cap):
            groups = self.sudo()._read_group(
                [
                    ("policy_id", "=", policy.id),
                    ("state", "=", "sent"),
                    ("date_sent", ">=", policy._day_start(now)),
                ],
                ["channel"],
                ["__count"],
            )
            for channel, count in groups:
                counts[policy, channel] = count
        return counts

    def _sent_history(self, policies, now):
        """Send dates of the recent messages to each recipient of ``self``."""
        history = defaultdict(list)
        days = max(
            [p.pressure_days for p in policies if p.pressure_max_messages]
            + [p.min_gap_minutes / 1440 for p in policies if p.min_gap_minutes]
            + [0]
        )
        partner_ids = [pid for pid in self.partner_id.ids if pid]
        if not days or not partner_ids:
            return history
        self.flush_model(["partner_id", "state", "date_sent"])
        self.env.cr.execute(
            """
            SELECT partner_id, date_sent FROM followup_dispatch
             WHERE state = 'sent' AND partner_id = ANY(%s) AND date_sent > %s
            """,
            [partner_ids, now - timedelta(days=days)],
        )
        for partner_id, date_sent in self.env.cr.fetchall():
            history[partner_id].append(date_sent)
        return history

    def _last_email_sent(self, policies):
        if not policies:
            return {}
        groups = self.sudo()._read_group(
            [("policy_id", "in", policies.ids), ("state", "=", "sent"), ("channel", "=", "email")],
            ["policy_id"],
            ["date_sent:max"],
        )
        return {policy: last + policy._random_email_delay() for policy, last in groups if last}

    # 5. render and send -------------------------------------------------------

    def _send(self, addresses):
        """Render per template in batch, hand the messages to Odoo's mail and
        SMS queues and post them on the source records' chatter."""
        outcomes = {}
        for (channel, company), dispatches in self.grouped(lambda d: (d.channel, d.company_id)).items():
            in_company = dispatches.with_company(company)
            if channel == "email":
                outcomes.update(in_company._send_emails(addresses))
            else:
                outcomes.update(in_company._send_sms(addresses))
        channels = {d.channel for d in self}
        self._apply_outcomes(outcomes)
        if "email" in channels:
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        if "sms" in channels:
            self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()

    def _render(self, template, field, res_ids):
        """Render ``field`` of ``template`` for ``res_ids``; a batch that
        fails is rendered record by record to find which ones fail."""
        try:
            with self.env.cr.savepoint():
                return template._render_field(field, res_ids, compute_lang=True), {}
        except Exception:  # any template error is the user's to fix, not a crash
            rendered, errors = {}, {}
            for res_id in res_ids:
                try:
                    with self.env.cr.savepoint():
                        rendered.update(template._render_field(field, [res_id], compute_lang=True))
                except Exception as error:
                    errors[res_id] = str(error) or repr(error)
            return rendered, errors

    def _render_batch(self, template, fnames):
        """{dispatch: {field: value}} and {dispatch: error} for ``self``,
        all rows sharing ``template``."""
        res_ids = list(set(self.mapped("res_id")))
        values, errors = defaultdict(dict), {}
        if template.model != self[:1].res_model:
            error = self.env._(
                "Template %(template)s is for %(template_model)s, not %(model)s.",
                template=template.display_name,
                template_model=template.model,
                model=self[:1].res_model,
            )
            return values, dict.fromkeys(self, error)
        for fname in fnames:
            rendered, field_errors = self._render(template, fname, res_ids)
            for dispatch in self:
                if dispatch.res_id in field_errors:
                    errors.setdefault(dispatch, field_errors[dispatch.res_id])
                else:
                    values[dispatch][fname] = rendered.get(dispatch.res_id)
        return values, errors

    def _source_reply_tos(self):
        """Reply-to address of each source record of ``self`` (one model)."""
        records = self.env[self[:1].res_model].browse(set(self.mapped("res_id")))
        if not hasattr(records, "_notify_get_reply_to"):
            return {}
        return records._notify_get_reply_to(default=False)

    def _message_base_vals(self):
        return {
            "model": self.res_model,
            "res_id": self.res_id,
            "author_id": self.env.user.partner_id.id,
            "partner_ids": [Command.link(self.partner_id.id)],
        }

    def _send_emails(self, addresses):
        outcomes = {}
        mail_vals, sent = [], []
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for template, dispatches in self.grouped("mail_template_id").items():
            for same_model in dispatches.grouped("res_model").values():
                fnames = ("subject", "body_html", "email_from") + (("reply_to",) if template.reply_to else ())
                values, errors = same_model._render_batch(template, fnames)
                for dispatch, error in errors.items():
                    outcomes[dispatch] = {"state": "failed", "reason": "render_error", "error_message": error}
                # computed here for the whole batch, mail.message would do it once per message
                reply_tos = same_model._source_reply_tos()
                for dispatch in same_model:
                    if dispatch in errors:
                        continue
                    rendered = values[dispatch]
                    email_from = (
                        rendered["email_from"]
                        or dispatch.company_id.email_formatted
                        or self.env.user.email_formatted
                    )
                    mail_vals.append(
                        {
                            **dispatch._message_base_vals(),
                            "message_type": "comment",
                            "subtype_id": subtype_id,
                            "subject": rendered["subject"],
                            "body": rendered["body_html"],
                            "body_html": rendered["body_html"],
                            "email_from": email_from,
                            "reply_to": rendered.get("reply_to")
                            or reply_tos.get(dispatch.res_id)
                            or email_from,
                            "recipient_ids": [Command.link(dispatch.partner_id.id)],
                            "attachment_ids": [Command.link(aid) for aid in template.attachment_ids.ids],
                            "auto_delete": template.auto_delete,
                            "mail_server_id": template.mail_server_id.id,
                            "is_notification": True,
                            "state": "outgoing",
                        }
                    )
                    sent.append(dispatch)
        if not sent:
            return outcomes
        mails = self.env["mail.mail"].sudo().create(mail_vals)
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": mail.author_id.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "res_partner_id": dispatch.partner_id.id,
                    "notification_type": "email",
                    "mail_mail_id": mail.id,
                    "is_read": True,
                    "notification_status": "ready",
                }
                for dispatch, mail in zip(sent, mails, strict=True)
            ]
        )
        now = fields.Datetime.now()
        for dispatch, mail in zip(sent, mails, strict=True):
            outcomes[dispatch] = dispatch._sent_vals(
                now,
                addresses[dispatch.id],
                mail_message_id=mail.mail_message_id.id,
                mail_mail_id=mail.id,
            )
        return outcomes

    def _send_sms(self, addresses):
        outcomes = {}
        message_vals, sent = [], []
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        bodies = {}
        for template, dispatches in self.grouped("sms_template_id").items():
            for same_model in dispatches.grouped("res_model").values():
                values, errors = same_model._render_batch(template, ("body",))
                for dispatch, error in errors.items():
                    outcomes[dispatch] = {"state": "failed", "reason": "render_error", "error_message": error}
                for dispatch in same_model:
                    if dispatch in errors:
                        continue
                    body = html2plaintext(values[dispatch]["body"] or "")
                    bodies[dispatch] = body
                    message_vals.append(
                        {
                            **dispatch._message_base_vals(),
                            "message_type": "sms",
                            "subtype_id": subtype_id,
                            "reply_to": False,
                            "body": plaintext2html(body),
                        }
                    )
                    sent.append(dispatch)
        if not sent:
            return outcomes
        messages = self.env["mail.message"].sudo().create(message_vals)
        sms_records = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "body": bodies[dispatch],
                        "number": addresses[dispatch.id],
                        "partner_id": dispatch.partner_id.id,
                        "mail_message_id": message.id,
                        "state": "outgoing",
                    }
                    for dispatch, message in zip(sent, messages, strict=True)
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                }
                for message, sms in zip(messages, sms_records, strict=True)
            ]
        )
        now = fields.Datetime.now()
        for dispatch, message, sms in zip(sent, messages, sms_records, strict=True):
            outcomes[dispatch] = dispatch._sent_vals(
                now,
                addresses[dispatch.id],
                mail_message_id=message.id,
                sms_id=sms.id,
            )
        return outcomes

    def _sent_vals(self, now, address, **links):
        return {
            "state": "sent",
            "reason": False,
            "error_message": False,
            "date_sent": now,
            "address": address,
            "attempt_count": self.attempt_count + 1,
            **links,
        }

    # ------------------------------------------------------------
    # OUTCOMES
    # ------------------------------------------------------------

    def _apply_outcomes(self, outcomes):
        """Write each row's outcome in one query per set of columns and return
        the rows of ``self`` that had none, i.e. that go on to the next check."""
        by_columns = defaultdict(list)
        for dispatch, vals in outcomes.items():
            by_columns[tuple(sorted(vals))].append((dispatch.id, vals))
        for columns, rows in by_columns.items():
            self._write_rows(columns, rows)
        if outcomes:
            self.browse([d.id for d in outcomes]).invalidate_recordset()
        return self.filtered(lambda d: d not in outcomes)

    def _write_rows(self, columns, rows):
        """One UPDATE for many rows with different values: the per-row results
        of a batch would otherwise cost one query each. Column names come from
        this model's fields, values are parameters."""
        self.flush_model(list(columns))
        fields_ = [self._fields[name] for name in columns]
        row_code = "(%s" + "".join(f", %s::{field.column_type[1]}" for field in fields_) + ")"
        values = SQL(", ").join(
            SQL(row_code, record_id, *(field.convert_to_column(vals[field.name], self) for field in fields_))
            for record_id, vals in rows
        )
        self.env.cr.execute(
            SQL(
                "UPDATE %s AS t SET %s, write_date = %s, write_uid = %s"
                " FROM (VALUES %s) AS v(%s) WHERE t.id = v.id",
                SQL.identifier(self._table),
                SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in columns
                ),
                fields.Datetime.now(),
                self.env.uid,
                values,
                SQL(", ").join(SQL.identifier(name) for name in ("id", *columns)),
            )
        )
