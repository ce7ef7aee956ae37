import logging
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, consteq

from .bulk_write import create_rows, write_rows

_logger = logging.getLogger(__name__)

STATES = [
    ("planned", "Planned"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("bounced", "Bounced"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
# Handed to Odoo's queue: what follows only tells how the delivery went.
SENT_STATES = ("sent", "delivered", "bounced")

# Machine-readable reasons. Postponing reasons keep the row planned.
REASONS = [
    # cancelled: the source no longer warrants the message
    ("record_deleted", "Source record deleted"),
    ("condition_false", "Condition no longer true"),
    ("cancelled_by_user", "Cancelled by a user"),
    ("invoice_paid", "Invoices paid"),
    ("on_hold", "Dunning on hold"),
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
    ("delivery_failed", "Delivery failed"),
    # bounced
    ("bounced", "Bounced"),
]
POSTPONE_REASONS = {"outside_hours", "daily_cap", "min_gap", "contact_pressure", "email_spacing"}

# Odoo's notification status -> the row's state once it was handed over
NOTIFICATION_STATES = {
    "ready": "sent",
    "process": "sent",
    "pending": "sent",
    "sent": "delivered",
    "bounce": "bounced",
    "exception": "failed",
}
# Failures that may pass by themselves (a server down, no credit left);
# failures in the outbox itself (rendering, a crash) are all tried again.
TRANSIENT_FAILURES = {"mail_smtp", "unknown", "sms_server", "sms_credit", "sms_acc", "sms_expired"}
MAX_ATTEMPTS = 4
RETRY_DELAYS = [timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]

# Length of the token that signs the tracking links of a message.
TOKEN_LENGTH = 16

WORKER_XMLID = "customer_followup.ir_cron_followup_dispatch_send"
WORKER_CODE = "model._cron_send_due(worker=%s)"


class FollowupDispatch(models.Model):
    """One planned customer message: the outbox every follow-up goes through.

    Features only decide what to say and when ideally (``_plan``); the outbox
    puts the row in its send window when it is planned, then, when it is due,
    checks the source, the recipient, the send window and the caps, in that
    order, records why it did not send, and hands the rest to their channel
    (``followup.channel.<channel>``). After that it follows each message
    through Odoo's notifications to delivered, bounced or failed.

    Hooks for the models that plan messages (``origin_model``), each called
    with the rows of that origin:

    - ``_followup_check_dispatches(dispatches)``: at send time, {dispatch:
      (reason, message)} for the rows the origin no longer warrants
      (cancelled) or that the recipient may not receive (skipped, for the
      reasons of ``_skip_reasons``);
    - ``_followup_message_records(dispatches)``: {dispatch: record} whose
      chatter shows the message, when it is not the rendered source record;
    - ``_followup_delivery_event(dispatches, event)``: what became of the
      rows, ``event`` being ``"sent"`` (handed to Odoo's queue),
      ``"skipped"`` (with its ``reason``), ``"delivered"``, ``"bounced"`` or
      ``"failed"`` (a failure for good, with its ``failure_type``: no retry
      is left), ``"opened"`` or ``"clicked"`` (the first time the
      recipient opened the e-mail or followed one of its links, for the rows
      the origin tracks);
    - ``_followup_track_engagement(dispatches)``: {dispatch: True} for the
      rows whose links and opening are tracked (``link_tracker``'s short
      links and a pixel; see ``_track_engagement``).
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
    failure_type = fields.Selection(
        selection=lambda self: self.env["mail.notification"]._fields["failure_type"].selection,
        readonly=True,
        help="Odoo's failure type, for a message its channel could not deliver.",
    )
    channel = fields.Selection([("email", "E-mail"), ("sms", "SMS")], required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Recipient", index=True, readonly=True, ondelete="set null"
    )
    address = fields.Char(readonly=True, help="E-mail address or E.164 phone number the message was sent to.")
    mail_template_id = fields.Many2one("mail.template", readonly=True, ondelete="set null")
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", readonly=True, ondelete="set null"
    )
    res_model = fields.Char("Source Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        "Source Record ID", model_field="res_model", required=True, readonly=True
    )
    res_name = fields.Char("Source", compute="_compute_res_name")
    origin_model = fields.Char(readonly=True, index=True)
    origin_id = fields.Many2oneReference("Origin Record ID", model_field="origin_model", readonly=True)
    origin_name = fields.Char("Origin", compute="_compute_origin_name")
    occurrence = fields.Char(
        "Occurrence Code", readonly=True, help="What happened, or the date a reminder is about."
    )
    occurrence_label = fields.Char("Occurrence", compute="_compute_occurrence_label")
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
    ignore_send_window = fields.Boolean(
        string="Any Time",
        readonly=True,
        help="Leaves at any time: no working calendar applies (caps still do).",
    )
    is_consent_required = fields.Boolean(string="Consent Required", default=True, readonly=True)
    date_planned = fields.Datetime("Ideal Time", required=True, readonly=True, default=fields.Datetime.now)
    date_earliest = fields.Datetime(
        "Leaves At",
        required=True,
        readonly=True,
        help="Not sent before this time: the ideal time moved into the send window, "
        "moved later again when a cap postpones it.",
    )
    date_sent = fields.Datetime("Sent On", readonly=True, index=True)
    date_retry = fields.Datetime("Next Retry", readonly=True, help="When a failed message is tried again.")
    mail_message_id = fields.Many2one(
        "mail.message", readonly=True, ondelete="set null", index="btree_not_null"
    )
    # indexed: Odoo deletes sent e-mails and SMS, and each delete looks here
    mail_mail_id = fields.Many2one("mail.mail", readonly=True, ondelete="set null", index="btree_not_null")
    sms_id = fields.Many2one(
        "sms.sms", string="SMS", readonly=True, ondelete="set null", index="btree_not_null"
    )
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="One occurrence, one key: a second plan with the same key is ignored.",
    )
    attempt_count = fields.Integer("Attempts", readonly=True)
    date_opened = fields.Datetime(
        "Opened On", readonly=True, help="When the recipient first opened the e-mail."
    )
    date_clicked = fields.Datetime(
        "Clicked On", readonly=True, help="When the recipient first followed a link of the message."
    )
    click_ids = fields.One2many("link.tracker.click", "followup_dispatch_id", string="Clicks", readonly=True)

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
            "followup_dispatch_retry_index",
            self._table,
            ["date_retry", "id"],
            where="date_retry IS NOT NULL",
        )
        self.env.cr.execute("DROP INDEX IF EXISTS followup_dispatch_partner_sent_index")
        tools.create_index(
            self.env.cr,
            "followup_dispatch_partner_date_sent_index",
            self._table,
            ["partner_id", "date_sent"],
            where="date_sent IS NOT NULL",
        )

    @api.depends("channel", "partner_id", "res_name")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for dispatch in self:
            about_recipient = (
                dispatch.res_model == "res.partner" and dispatch.res_id == dispatch.partner_id.id
            )
            if about_recipient or not dispatch.res_name:
                dispatch.display_name = self.env._(
                    "%(channel)s to %(partner)s",
                    channel=channels.get(dispatch.channel, ""),
                    partner=dispatch.partner_id.display_name or "?",
                )
            else:
                dispatch.display_name = self.env._(
                    "%(channel)s to %(partner)s: %(record)s",
                    channel=channels.get(dispatch.channel, ""),
                    partner=dispatch.partner_id.display_name or "?",
                    record=dispatch.res_name,
                )

    @api.depends("occurrence")
    def _compute_occurrence_label(self):
        labels = {
            "created": self.env._("Created on %(when)s"),
            "changed": self.env._("Changed on %(when)s"),
            "remind": self.env._("Reminder of %(when)s"),
        }
        for dispatch in self:
            occurrence = dispatch.occurrence or ""
            kind, _sep, when = occurrence.partition(":" if occurrence.startswith("remind:") else "@")
            try:
                moment = fields.Datetime.to_datetime(when.replace("T", " "))
            except ValueError:
                moment = None
            if kind in labels and moment:
                label = labels[kind] % {"when": tools.format_datetime(self.env, moment, dt_format="short")}
            else:
                label = dispatch.occurrence
            dispatch.occurrence_label = label

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
        return super().create(self._with_date_earliest(vals_list))._move_into_window()

    @api.model
    def _with_date_earliest(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            vals.setdefault("date_earliest", vals.get("date_planned") or now)
        return vals_list

    def _move_into_window(self):
        self._apply_outcomes(self._window_outcomes(fields.Datetime.now()))
        return self

    def _channel(self, channel=None):
        """The model of ``channel`` (default: the channel of ``self``)."""
        return self.env[f"followup.channel.{channel or self.channel}"]

    # ------------------------------------------------------------
    # PLANNING API, called by every follow-up feature
    # ------------------------------------------------------------

    @api.model
    def _plan(self, vals_list):
        """Plan messages in batch. A row whose ``idempotency_key`` is already
        planned, sent, skipped or failed is ignored, so planning is safe to
        repeat. The earliest time of each row is its ideal time moved into
        its send window, so that the outbox shows when it will really leave.

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
        """Create the rows in bulk (``create_rows``, as ``create`` would),
        leaving out those whose key another transaction planned meanwhile:
        the unique index guards exactly-once, this keeps a race from
        becoming an error for the user who saved the record."""
        try:
            # the race is expected: not an error in the server's log
            with tools.mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                return self._insert_rows(vals_list)
        except psycopg2.errors.UniqueViolation:
            created = self.sudo()
            for vals in vals_list:
                try:
                    with tools.mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                        created |= self._insert_rows([vals])
                except psycopg2.errors.UniqueViolation:
                    _logger.info("Follow-up %s was planned by another transaction", vals["idempotency_key"])
            return created

    @api.model
    def _insert_rows(self, vals_list):
        return create_rows(self.sudo(), self._with_date_earliest(vals_list))._move_into_window()

    def _cancel(self, reason="cancelled_by_user"):
        """Cancel the rows of ``self`` that are still planned."""
        planned = self.filtered(lambda d: d.state == "planned")
        planned.write({"state": "cancelled", "reason": reason, "error_message": False, "date_retry": False})
        return planned

    def _schedule_wakeup(self):
        """Wake the send workers at the earliest time of ``self`` (or of the
        whole outbox when empty): exact wake-ups, no polling."""
        planned = self.filtered(lambda d: d.state == "planned")
        retries = self.filtered("date_retry")
        if planned or retries:
            at = min(planned.mapped("date_earliest") + retries.mapped("date_retry"))
        else:
            self.flush_model(["state", "date_earliest", "date_retry"])
            self.env.cr.execute(
                """
                SELECT LEAST(
                    (SELECT min(date_earliest) FROM followup_dispatch WHERE state = 'planned'),
                    (SELECT min(date_retry) FROM followup_dispatch WHERE date_retry IS NOT NULL))
                """
            )
            at = self.env.cr.fetchone()[0]
            if not at:
                return
        at = max(at, fields.Datetime.now())
        for cron in self._send_workers():
            cron._trigger(at=at)

    @api.model
    def _send_workers(self):
        """The active cron jobs that send the outbox, the first one included."""
        first = self.env.ref(WORKER_XMLID, raise_if_not_found=False)
        if not first:
            return self.env["ir.cron"]
        # a cached parameter: no query for the usual single worker
        if int(self.env["ir.config_parameter"].sudo().get_param("customer_followup.send_workers", 1)) <= 1:
            return first.sudo()
        return first.sudo() | self.env["ir.cron"].sudo().search([("code", "=like", WORKER_CODE % "%")])

    @api.model
    def _set_send_workers(self, count):
        """Run ``count`` send workers: one cron job each, since Odoo runs one
        job once at a time; they take disjoint locked batches."""
        count = max(count, 1)
        first = self.env.ref(WORKER_XMLID).sudo()
        Cron = self.env["ir.cron"].sudo().with_context(active_test=False)
        workers = {cron.code: cron for cron in Cron.search([("code", "=like", WORKER_CODE % "%")])}
        for number in range(2, count + 1):
            code = WORKER_CODE % number
            if code not in workers:
                workers[code] = first.copy(
                    {
                        "name": self.env._("Follow-up: send due messages (worker %(number)s)", number=number),
                        "code": code,
                    }
                )
        wanted = {WORKER_CODE % number for number in range(2, count + 1)}
        for code, cron in workers.items():
            cron.active = code in wanted
        self.env["ir.config_parameter"].sudo().set_param("customer_followup.send_workers", count)
        self._schedule_wakeup()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_cancel(self):
        self._cancel()

    def action_retry(self):
        """Try failed or skipped rows again, now."""
        retry = self.filtered(lambda d: d.state in ("failed", "skipped"))
        retry._retry()
        retry._schedule_wakeup()

    def action_send_now(self):
        """Send planned rows now, whatever their send window and caps say;
        the source, consent, address and blacklist checks still apply."""
        if not self.env.user.has_group("customer_followup.group_followup_manager"):
            raise AccessError(self.env._("Only a follow-up administrator can send messages now."))
        try:
            with tools.mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                dispatches = self.sudo()._lock_planned(self.ids)
        except (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure) as error:
            raise UserError(
                self.env._("These messages are being sent right now. Refresh the outbox to see them.")
            ) from error
        dispatches = dispatches._check_source()
        dispatches, addresses = dispatches._check_recipient()
        dispatches._send(addresses)

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
    def _cron_send_due(self, batch_size=None, max_batches=None, worker=1, auto_commit=None):
        """Send what is due, one locked batch at a time, committing after each
        batch outside tests so that a crash loses nothing already sent.

        Several workers (cron jobs, ``worker`` tells which) may run at once:
        each locks its own rows. A worker whose snapshot predates another's
        commit meets a serialization failure on the rows that one sent; it
        ends that batch and, in a fresh transaction, goes on. Within a
        transaction that it may not end (``auto_commit`` false), the failure
        is raised for the caller's transaction to be retried."""
        icp = self.env["ir.config_parameter"].sudo()
        batch_size = batch_size or int(icp.get_param("customer_followup.batch_size", 500))
        max_batches = max_batches or int(icp.get_param("customer_followup.max_batches", 20))
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        done = 0
        for batch in range(max_batches):
            try:
                with tools.mute_logger("odoo.sql_db"):
                    if not batch:
                        self._retry_due(batch_size)
                    dispatches = self._lock_due(batch_size)
            except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
                if not auto_commit:
                    raise
                _logger.info("Follow-up worker %s met rows another worker sent; starting afresh", worker)
                self.env.cr.rollback()
                continue
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

    @api.model
    def _lock_planned(self, ids):
        """Lock the planned rows of ``ids``, or fail at once if a worker holds one."""
        self.flush_model(["state"])
        self.env.cr.execute(
            "SELECT id FROM followup_dispatch WHERE id = ANY(%s) AND state = 'planned' FOR UPDATE NOWAIT",
            [list(ids)],
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

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
                    vals = dispatch._failure_vals("send_error", str(error) or repr(error))
                    dispatch._apply_outcomes({dispatch: vals})

    # ------------------------------------------------------------
    # SEND-TIME CHECKS, in the order of the outbox's promises
    # ------------------------------------------------------------

    def _process(self):
        """Run the send-time checks in order, then send what passed them all."""
        now = fields.Datetime.now()
        dispatches = self._check_source()
        dispatches, addresses = dispatches._check_recipient()
        dispatches = dispatches._check_window(now)
        dispatches = dispatches._check_caps(now)
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
            origin = self._origin_model(origin_model)
            if dispatches and hasattr(origin, "_followup_check_dispatches"):
                for dispatch, (reason, message) in origin._followup_check_dispatches(dispatches).items():
                    outcomes[dispatch] = {
                        "state": "skipped" if reason in self._skip_reasons() else "cancelled",
                        "reason": reason,
                        "error_message": message,
                    }
        remaining = self._apply_outcomes(outcomes)
        self.browse([d.id for d, vals in outcomes.items() if vals["state"] == "skipped"])._notify_origins(
            "skipped"
        )
        return remaining

    @api.model
    def _skip_reasons(self):
        """The reasons an origin's send-time check gives for a message the
        recipient may not receive (skipped), rather than one the source no
        longer warrants (cancelled); e.g. a survey's mute period."""
        return set()

    @api.model
    def _origin_model(self, origin_model):
        """The model that planned rows, as superuser, or None."""
        if not origin_model or origin_model not in self.env:
            return None
        return self.env[origin_model].sudo()

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
        for channel, dispatches in self.grouped("channel").items():
            blocked = self._channel(channel)._blacklisted(
                {addresses[d] for d in dispatches if d in addresses}
            )
            for dispatch in dispatches:
                if addresses.get(dispatch) in blocked:
                    outcomes[dispatch] = self._skip("blacklisted", addresses[dispatch])
        remaining = self._apply_outcomes(outcomes)
        self.browse([dispatch.id for dispatch in outcomes])._notify_origins("skipped")
        return remaining, {d.id: address for d, address in addresses.items() if d in remaining}

    def _recipient_address(self):
        """(skip reason, detail, address): where ``self`` can go, or why not."""
        self.ensure_one()
        channel = self._channel()
        if not self.partner_id:
            return "no_recipient", False, False
        if not channel._template(self):
            return "no_template", False, False
        if self.is_consent_required and not self.partner_id._followup_has_consent(self.channel):
            return "no_consent", False, False
        return channel._recipient_address(self)

    @api.model
    def _skip(self, reason, message=False):
        return {"state": "skipped", "reason": reason, "error_message": message}

    # 3. the send window ------------------------------------------------------

    def _check_window(self, now):
        return self._apply_outcomes(self._window_outcomes(now))

    def _window_outcomes(self, now, cache=None):
        """{dispatch: values} for the rows of ``self`` whose earliest time is
        outside their send window: moved to its next opening."""
        cache = {} if cache is None else cache
        outcomes = {}
        for dispatch in self:
            when = max(dispatch.date_earliest, now)
            opening = dispatch._window_opening(when, cache)
            if opening > when:
                outcomes[dispatch] = {"date_earliest": opening, "reason": "outside_hours"}
        return outcomes

    def _window_opening(self, when, cache):
        """First moment at or after ``when`` in the send window of ``self``."""
        self.ensure_one()
        calendar = self.resource_calendar_id or self.policy_id.resource_calendar_id
        if not calendar or self.ignore_send_window:
            return when
        if self.policy_id:
            tz_name = self.policy_id._window_tz(self.partner_id, calendar)
        else:
            tz_name = self.partner_id.tz or calendar.tz or "UTC"
        return self.env["followup.policy"]._window_opening(calendar, tz_name, when, cache)

    # 4. caps, gap, contact pressure, spacing ------------------------------

    def _check_caps(self, now):
        """Postpone what would exceed a cap of its policy; never drop it."""
        cache, outcomes, capped, spaced = {}, {}, {}, set()
        for dispatch, (reason, when) in self.env["followup.policy"]._postponements(self, now).items():
            outcomes[dispatch] = {"date_earliest": dispatch._window_opening(when, cache), "reason": reason}
            if reason == "daily_cap":
                capped[dispatch.policy_id, dispatch.channel] = when
            elif reason == "email_spacing":
                spaced.add(dispatch.policy_id)
        remaining = self._apply_outcomes(outcomes)
        self._postpone_capped_lines(capped, cache)
        # an e-mail leaves: the next one in line of its policy leaves after its delay
        leaving = remaining.filtered(lambda d: d.channel == "email" and d.policy_id.email_delay_max).policy_id
        self._move_up_spaced_lines(leaving - self.env["followup.policy"].union(*spaced), cache)
        return remaining

    def _move_up_spaced_lines(self, policies, cache):
        """The first e-mail waiting for the spacing of each of ``policies``
        leaves at the time drawn for it (``date_next_email``), in its send
        window; those after it wait for their turn."""
        for policy in policies:
            self.env.cr.execute(
                """
                SELECT id FROM followup_dispatch
                 WHERE state = 'planned' AND policy_id = %s AND channel = 'email' AND reason = 'email_spacing'
                   AND id != ALL(%s::int[])
                 ORDER BY date_earliest, id
                 LIMIT 1
                   FOR UPDATE SKIP LOCKED
                """,
                [policy.id, self.ids],
            )
            first = self.browse([row[0] for row in self.env.cr.fetchall()])
            if first:
                self._apply_outcomes(
                    {first: {"date_earliest": first._window_opening(policy.date_next_email, cache)}}
                )

    def _postpone_capped_lines(self, capped, cache):
        """A policy at its daily cap sends nothing more today on that channel:
        the rest of its line waits for the next day at once, instead of
        coming due one by one to be postponed again. Rows another worker
        holds are left to it.

        :param capped: {(policy, channel): when the cap opens again}
        """
        for (policy, channel), when in capped.items():
            self.env.cr.execute(
                """
                SELECT id FROM followup_dispatch
                 WHERE state = 'planned' AND policy_id = %s AND channel = %s
                   AND date_earliest < %s AND id != ALL(%s::int[])
                   FOR UPDATE SKIP LOCKED
                """,
                [policy.id, channel, when, self.ids],
            )
            line = self.browse([row[0] for row in self.env.cr.fetchall()])
            self._apply_outcomes(
                {
                    dispatch: {"date_earliest": dispatch._window_opening(when, cache), "reason": "daily_cap"}
                    for dispatch in line
                }
            )

    # ------------------------------------------------------------
    # DELIVERY: after "sent", Odoo's notifications tell the rest
    # ------------------------------------------------------------

    @api.model
    def _track_notifications(self, notifications):
        """Follow the rows whose message ``notifications`` belong to: sent,
        delivered, bounced or failed with Odoo's failure type and reason.
        Called when Odoo writes a notification status; two queries for the
        whole set, whatever its size."""
        by_message = {n.mail_message_id.id: n for n in notifications if n.mail_message_id}
        if not by_message:
            return
        dispatches = self.sudo().search(
            [("mail_message_id", "in", list(by_message)), ("state", "in", (*SENT_STATES, "failed"))]
        )
        outcomes, events = {}, defaultdict(self.sudo)
        # Odoo's format_failure_reason() gives the English label: the user's language here
        failure_labels = dict(
            self.env["mail.notification"]._fields["failure_type"]._description_selection(self.env)
        )
        for dispatch in dispatches:
            notification = by_message[dispatch.mail_message_id.id]
            state = NOTIFICATION_STATES.get(notification.notification_status)
            if not state or (state == dispatch.state and state != "failed"):
                continue
            if state == "failed":
                vals = dispatch._failure_vals(
                    "delivery_failed",
                    notification.failure_reason
                    or notification.mail_mail_id.failure_reason
                    or failure_labels.get(notification.failure_type)
                    or notification.format_failure_reason(),
                    failure_type=notification.failure_type or "unknown",
                    attempted=False,
                )
                if not vals["date_retry"]:
                    events["failed"] |= dispatch
            elif state == "bounced":
                vals = {
                    "state": "bounced",
                    "reason": "bounced",
                    "failure_type": notification.failure_type or "mail_bounce",
                    "error_message": notification.failure_reason or False,
                    "date_retry": False,
                }
                events["bounced"] |= dispatch
            else:
                vals = {"state": state, "reason": False, "failure_type": False, "error_message": False}
                if state == "delivered":
                    events["delivered"] |= dispatch
            outcomes[dispatch] = vals
        self._apply_outcomes(outcomes)
        if any(vals.get("date_retry") for vals in outcomes.values()):
            self.browse([d.id for d, vals in outcomes.items() if vals.get("date_retry")])._schedule_wakeup()
        for event, event_dispatches in events.items():
            event_dispatches._notify_origins(event)

    # ------------------------------------------------------------
    # ENGAGEMENT: opened and clicked, for the origins that track them
    # ------------------------------------------------------------

    def _tracking_token(self):
        """Signs the tracking links of a row: nobody opens or clicks for
        someone else. Short, since SMS carry it too."""
        self.ensure_one()
        return tools.hmac(self.env(su=True), "customer_followup-engagement", self.id)[:TOKEN_LENGTH]

    def _check_tracking_token(self, token):
        return bool(self and token) and consteq(self._tracking_token(), str(token))

    def _tracked_url(self, link_tracker):
        """The short link of ``link_tracker``, followed for this row."""
        self.ensure_one()
        return f"{link_tracker.short_url}/f/{self.id}/{self._tracking_token()}"

    def _pixel_url(self):
        """The image whose loading tells that the e-mail was opened."""
        self.ensure_one()
        return f"{self.get_base_url()}/followup/track/{self.id}/{self._tracking_token()}/blank.gif"

    def _track_engagement(self, event, when=None):
        """The recipient opened (``event`` "opened") or clicked ("clicked",
        which also means opened) the message of ``self``: recorded the first
        time only, and told to the origins. One conditional UPDATE per event:
        two requests at once record it once (the second one's transaction
        is retried by Odoo and finds it done). A row still waiting or that
        never left has nothing to track."""
        when = when or fields.Datetime.now()
        left = self.sudo().filtered(lambda d: d.state in SENT_STATES)
        if not left:
            return
        events = [("opened", "date_opened")] + ([("clicked", "date_clicked")] if event == "clicked" else [])
        for name, fname in events:
            self.flush_model([fname])
            self.env.cr.execute(
                SQL(
                    "UPDATE followup_dispatch SET %s = %s WHERE id IN %s AND %s IS NULL RETURNING id",
                    SQL.identifier(fname),
                    when,
                    tuple(left.ids),
                    SQL.identifier(fname),
                )
            )
            first = left.browse([row[0] for row in self.env.cr.fetchall()])
            first.invalidate_recordset([fname])
            first._notify_origins(name)

    def _notify_origins(self, event, by_origin=None):
        """Tell the models that planned ``self`` what became of them;
        ``by_origin``: ``self`` grouped by origin model, when already known."""
        for origin_model, dispatches in (by_origin or self.grouped("origin_model")).items():
            origin = self._origin_model(origin_model)
            if origin is not None and hasattr(origin, "_followup_delivery_event"):
                origin._followup_delivery_event(dispatches, event)

    # ------------------------------------------------------------
    # RETRIES
    # ------------------------------------------------------------

    @api.model
    def _retry_due(self, limit):
        """Try again the failed rows whose retry time has come."""
        self.flush_model(["date_retry", "state"])
        self.env.cr.execute(
            """
            SELECT id FROM followup_dispatch
             WHERE date_retry <= %s AND state = 'failed'
             ORDER BY date_retry, id
             LIMIT %s
               FOR UPDATE SKIP LOCKED
            """,
            [fields.Datetime.now(), limit],
        )
        self.sudo().browse(row[0] for row in self.env.cr.fetchall())._retry()

    def _retry(self):
        """A row whose message never left is planned again, for now; a
        message whose delivery failed goes back to Odoo's queue."""
        handed_over = self.filtered(lambda d: d.state == "failed" and d.reason == "delivery_failed")
        to_plan = self - handed_over
        for channel, dispatches in handed_over.grouped("channel").items():
            to_plan |= self._channel(channel)._retry_delivery(dispatches)
        back = handed_over - to_plan
        self._apply_outcomes(
            {
                **{
                    dispatch: {
                        "state": "sent",
                        "reason": False,
                        "error_message": False,
                        "failure_type": False,
                        "date_retry": False,
                        "attempt_count": dispatch.attempt_count + 1,
                    }
                    for dispatch in back
                },
                **{
                    dispatch: {
                        "state": "planned",
                        "reason": False,
                        "error_message": False,
                        "failure_type": False,
                        "date_retry": False,
                        "date_earliest": fields.Datetime.now(),
                    }
                    for dispatch in to_plan
                },
            }
        )

    # 5. render and send -------------------------------------------------------

    def _send(self, addresses):
        """Hand each row to its channel, which renders it, queues it in
        Odoo and posts it on the source record's chatter."""
        outcomes = {}
        for (channel, company), dispatches in self.grouped(lambda d: (d.channel, d.company_id)).items():
            in_company = dispatches.with_company(company)
            outcomes.update(in_company._channel(channel)._send(in_company, addresses))
        sent = self.browse([d.id for d, vals in outcomes.items() if vals.get("state") == "sent"])
        by_origin = sent.grouped("origin_model")  # read before the outcomes empty the cache
        self._apply_outcomes(outcomes)
        sent._notify_origins("sent", by_origin)

    def _sent_vals(self, now, address, **links):
        return {
            "state": "sent",
            "reason": False,
            "error_message": False,
            "failure_type": False,
            "date_retry": False,
            "date_sent": now,
            "address": address,
            "attempt_count": self.attempt_count + 1,
            **links,
        }

    def _failure_vals(self, reason, message, failure_type=False, attempted=True):
        """A failure: tried again automatically later while attempts remain."""
        attempts = self.attempt_count + (1 if attempted else 0)
        final = (failure_type and failure_type not in TRANSIENT_FAILURES) or attempts >= MAX_ATTEMPTS
        delay = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
        return {
            "state": "failed",
            "reason": reason,
            "error_message": message,
            "failure_type": failure_type,
            "attempt_count": attempts,
            "date_retry": False if final else fields.Datetime.now() + delay,
        }

    # ------------------------------------------------------------
    # OUTCOMES
    # ------------------------------------------------------------

    def _apply_outcomes(self, outcomes):
        """Write each row's outcome in one query per set of columns and return
        the rows of ``self`` that had none, i.e. that go on to the next check."""
        write_rows(self, outcomes)
        if outcomes:
            self.browse([d.id for d in outcomes]).invalidate_recordset()
        return self.filtered(lambda d: d not in outcomes)
