import uuid
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .followup_location import eval_filter_domain
from .mail_thread import SMART_BUTTON_KEY

TRIGGERS = [
    ("on_create", "Record created"),
    ("on_state_change", "Status changed"),
    ("on_state_set", "Status changed to"),
    ("on_date_change", "Scheduled date changed"),
    ("before_date", "Reminder before a date"),
]
STATE_TRIGGERS = ("on_state_change", "on_state_set")
DATE_TRIGGERS = ("on_date_change", "before_date")
UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]
# The apps the rule form proposes first, when they are installed.
SUGGESTED_MODELS = ("repair.order", "project.task", "crm.lead")


def _duration(number, unit):
    return timedelta(**{unit: number or 0})


class FollowupRule(models.Model):
    """Tell customers about their work orders, jobs or leads: a message
    planned in the outbox when something happens to a record, or before one
    of its dates."""

    _name = "followup.rule"
    _inherit = ["followup.rule.mixin"]
    _smart_button_key = SMART_BUTTON_KEY
    _description = "Follow-up Notification Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    model_choice = fields.Selection(
        selection="_selection_model_choice",
        string="Applies To",
        compute="_compute_model_choice",
        inverse="_inverse_model_choice",
    )
    model_id = fields.Many2one(
        "ir.model",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
    )
    model_name = fields.Char(related="model_id.model", string="Model Name", store=True, index=True)
    trigger = fields.Selection(TRIGGERS, required=True, default="on_create")
    state_field_id = fields.Many2one(
        "ir.model.fields",
        string="Status Field",
        compute="_compute_state_field_id",
        store=True,
        readonly=False,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('selection', 'many2one')),"
        " ('store', '=', True)]",
    )
    state_selection_id = fields.Many2one(
        "ir.model.fields.selection",
        string="Status",
        ondelete="cascade",
        domain="[('field_id', '=', state_field_id)]",
    )
    stage_model = fields.Char(related="state_field_id.relation", string="Stage Model")
    stage_ref = fields.Many2oneReference(string="Stage", model_field="stage_model")
    date_field_id = fields.Many2one(
        "ir.model.fields",
        compute="_compute_date_field_id",
        store=True,
        readonly=False,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('date', 'datetime')), ('store', '=', True)]",
    )
    reminder_number = fields.Integer(string="Remind", default=1)
    reminder_unit = fields.Selection(UNITS, default="days", required=True)
    delay_number = fields.Integer(string="Delay")
    delay_unit = fields.Selection(UNITS, default="hours", required=True)
    channel = fields.Selection([("email", "E-mail"), ("sms", "SMS")], required=True, default="sms")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', model_name)]",
        ondelete="restrict",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', model_name)]",
        ondelete="restrict",
    )
    partner_field_id = fields.Many2one(
        "ir.model.fields",
        string="Recipient",
        compute="_compute_partner_field_id",
        store=True,
        readonly=False,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', '=', 'many2one'), ('relation', '=', 'res.partner')]",
        help="The field of the record that holds the customer to notify.",
    )
    is_consent_required = fields.Boolean(
        string="Consent Required",
        default=True,
        help="Only send to customers who accepted messages on this channel.",
    )
    working_hours_only = fields.Boolean(
        help="Send during the working hours of the location (else of the company), holidays excluded. "
        "Unticked, messages leave at any time, whatever the send policy's calendar.",
    )
    location_id = fields.Many2one(
        "followup.location",
        check_company=True,
        domain="[('model_id', '=', model_id)]",
    )
    filter_domain = fields.Char(string="Condition", default="[]")
    policy_id = fields.Many2one(
        "followup.policy",
        string="Send Policy",
        check_company=True,
        help="Leave empty for the company's default send policy.",
    )
    source_rule_id = fields.Many2one(
        "followup.rule",
        string="Copied From",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The rule this one was copied from to its location.",
    )
    dispatch_count = fields.Integer(compute="_compute_dispatch_count", string="Messages")

    @api.model
    def _selection_model_choice(self):
        labels = {
            "repair.order": self.env._("Work Orders"),
            "project.task": self.env._("Field Jobs"),
            "crm.lead": self.env._("Leads"),
        }
        return [(model, labels[model]) for model in SUGGESTED_MODELS if model in self.env] + [
            ("other", self.env._("Other"))
        ]

    @api.depends("model_id")
    def _compute_model_choice(self):
        for rule in self:
            model = rule.model_id.model
            rule.model_choice = model if model in SUGGESTED_MODELS else (model and "other")

    def _inverse_model_choice(self):
        for rule in self.filtered(lambda r: r.model_choice and r.model_choice != "other"):
            rule.model_id = self.env["ir.model"]._get(rule.model_choice)

    @api.depends("model_id")
    def _compute_state_field_id(self):
        for rule in self:
            rule.state_field_id = rule._first_field(("stage_id", "state"))

    @api.depends("model_id")
    def _compute_date_field_id(self):
        for rule in self:
            rule.date_field_id = rule._first_field(
                ("schedule_date", "date_deadline", "planned_date_begin", "date_begin")
            )

    @api.depends("model_id")
    def _compute_partner_field_id(self):
        for rule in self:
            rule.partner_field_id = rule._first_field(("partner_id",))

    def _compute_dispatch_count(self):
        counts = dict(
            self.env["followup.dispatch"]._read_group(
                [("origin_model", "=", self._name), ("origin_id", "in", self.ids)], ["origin_id"], ["__count"]
            )
        )
        for rule in self:
            rule.dispatch_count = counts.get(rule.id, 0)

    @api.onchange("model_choice")
    def _onchange_model_choice(self):
        # the templates offered depend on the model: set it now, not at save
        if self.model_choice and self.model_choice != "other":
            self.model_id = self.env["ir.model"]._get(self.model_choice)

    @api.onchange("model_id")
    def _onchange_model_id(self):
        self.state_selection_id = False
        self.stage_ref = False
        self.location_id = False
        self.mail_template_id = False
        self.sms_template_id = False

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("trigger", "state_field_id", "state_selection_id", "stage_ref", "date_field_id")
    def _check_trigger(self):
        for rule in self:
            if rule.trigger in STATE_TRIGGERS and not rule.state_field_id:
                raise ValidationError(
                    self.env._("Rule %(rule)s needs the field that holds the status.", rule=rule.name)
                )
            if rule.trigger == "on_state_set" and not (rule.state_selection_id or rule.stage_ref):
                raise ValidationError(
                    self.env._("Rule %(rule)s needs the status to watch for.", rule=rule.name)
                )
            if rule.trigger in DATE_TRIGGERS and not rule.date_field_id:
                raise ValidationError(self.env._("Rule %(rule)s needs a date field.", rule=rule.name))

    @api.constrains("channel", "mail_template_id", "sms_template_id", "model_id")
    def _check_template(self):
        for rule in self:
            template = rule._template()
            if not template:
                raise ValidationError(
                    self.env._("Rule %(rule)s needs a template for its channel.", rule=rule.name)
                )
            if template.model != rule.model_name:
                raise ValidationError(
                    self.env._(
                        "The template of rule %(rule)s is for %(template_model)s, not %(model)s.",
                        rule=rule.name,
                        template_model=template.model,
                        model=rule.model_name,
                    )
                )

    @api.constrains("reminder_number", "delay_number")
    def _check_durations(self):
        for rule in self:
            if rule.reminder_number < 0 or rule.delay_number < 0:
                raise ValidationError(self.env._("Delays and reminders cannot be negative."))

    @api.constrains("filter_domain", "model_id")
    def _check_filter_domain(self):
        for rule in self.with_context(followup_validate_domain=True):
            rule._get_domain()

    # ------------------------------------------------------------
    # CRUD: the rules by model are cached for the create/write hooks
    # ------------------------------------------------------------

    _rule_cache_fields = ("active", "model_id", "trigger", "company_id")

    @api.model
    def _watching_domain(self):
        return [("active", "=", True)]

    def write(self, vals):
        res = super().write(vals)
        if vals.get("active") is False:
            self._pending_dispatches()._cancel("condition_false")
        return res

    def unlink(self):
        self._pending_dispatches()._cancel("condition_false")
        return super().unlink()

    def _ensure_smart_buttons(self):
        for model_name in set(self.mapped("model_name")):
            self.env["mail.thread"]._followup_ensure_smart_button(model_name)

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _template(self):
        self.ensure_one()
        return self.mail_template_id if self.channel == "email" else self.sms_template_id

    def _get_domain(self):
        self.ensure_one()
        domain = eval_filter_domain(
            self, self.env._("The condition of rule %(name)s is not a valid filter: %(error)s")
        )
        if self.location_id:
            domain = [*domain, *self.location_id._get_domain()]
        return domain

    def _calendar(self):
        self.ensure_one()
        if not self.working_hours_only:
            return self.env["resource.calendar"]
        return self.location_id.resource_calendar_id or self.company_id.resource_calendar_id

    def _watched_value(self):
        """The status value an ``on_state_set`` rule waits for."""
        self.ensure_one()
        return self.stage_ref if self.stage_model else self.state_selection_id.value

    def _date_value(self, record):
        """The rule's date of ``record`` as naive UTC; a date without time is
        midnight in the rule's working calendar time zone."""
        value = record[self.date_field_id.name]
        if not value or isinstance(value, datetime):
            return value or False
        tz = pytz.timezone(self._calendar().tz or self.company_id.resource_calendar_id.tz or "UTC")
        return tz.localize(datetime.combine(value, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def _pending_dispatches(self, records=None):
        domain = [("origin_model", "=", self._name), ("origin_id", "in", self.ids), ("state", "=", "planned")]
        if records is not None:
            domain += [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        return self.env["followup.dispatch"].sudo().search(domain)

    # ------------------------------------------------------------
    # PLANNING, from the create and write hooks of mail.thread
    # ------------------------------------------------------------

    def _on_create(self, records):
        for rule in self:
            if rule.trigger == "on_create":
                rule._plan_now(rule._matching(records), "created")
            elif rule.trigger == "before_date":
                rule._plan_reminders(records)

    def _watched_fields(self, vals):
        names = set()
        for rule in self:
            if rule.trigger in STATE_TRIGGERS and rule.state_field_id.name in vals:
                names.add(rule.state_field_id.name)
            if rule.trigger in DATE_TRIGGERS and rule.date_field_id.name in vals:
                names.add(rule.date_field_id.name)
        return names

    def _on_write(self, records, before):
        """``before``: {field name: {record id: value before the write}}"""
        for rule in self:
            fname = rule.state_field_id.name if rule.trigger in STATE_TRIGGERS else rule.date_field_id.name
            if rule.trigger not in STATE_TRIGGERS + DATE_TRIGGERS or fname not in before:
                continue
            changed = records.filtered(lambda r, f=fname: r[f] != before[f][r.id])
            if not changed:
                continue
            if rule.trigger == "before_date":
                rule._plan_reminders(changed)
                continue
            matching = rule._matching(changed)
            if rule.trigger == "on_state_set":
                value = rule._watched_value()
                matching = matching.filtered(lambda r, rule=rule, value=value: rule._state_value(r) == value)
            elif rule.trigger == "on_date_change":
                matching = matching.filtered(lambda r, f=fname: r[f])
            rule._plan_now(matching, "changed")

    def _plan_now(self, records, event):
        """Plan one message per record, after the rule's delay. While one is
        still planned for a record, a new change plans nothing: the message
        renders the record as it is when it leaves."""
        self.ensure_one()
        if event != "created":
            records -= self.env[records._name].browse(self._pending_dispatches(records).mapped("res_id"))
        now = fields.Datetime.now()
        when = now + _duration(self.delay_number, self.delay_unit)
        occurrence = f"{event}@{now.isoformat()}"
        # each event is its own occurrence, even two in the same second
        self._plan(
            records,
            {
                record: (when, occurrence, f"{self._key(record, occurrence)}:{uuid.uuid4().hex}")
                for record in records
            },
        )

    def _plan_reminders(self, records):
        """(Re)plan the reminder of each record for its current date: the
        reminders of an older date are cancelled, a cleared or passed date
        plans nothing."""
        self.ensure_one()
        now = fields.Datetime.now()
        matching = self._matching(records)
        plans = {}
        for record in matching:
            date = self._date_value(record)
            if date and date > now:
                when = max(now, date - _duration(self.reminder_number, self.reminder_unit))
                occurrence = f"remind:{date.isoformat()}"
                # one reminder per date: saving the same date twice plans it once
                plans[record] = (when, occurrence, self._key(record, occurrence))
        keys = {key for _when, _occurrence, key in plans.values()}
        outdated = self._pending_dispatches(records).filtered(lambda d: d.idempotency_key not in keys)
        outdated._cancel("condition_false")
        self._plan(matching, plans)

    def _recipient(self, record):
        if self.partner_field_id:
            return record[self.partner_field_id.name]
        return record if record._name == "res.partner" else self.env["res.partner"]

    def _key(self, record, occurrence):
        return f"rule:{self.id}:{record._name}:{record.id}:{occurrence}"

    def _plan(self, records, plans):
        """``plans``: {record: (ideal time, occurrence, idempotency key)}"""
        self.ensure_one()
        calendar = self._calendar()
        template = self._template()
        vals_list = []
        for record in records.filtered(lambda r: r in plans):
            when, occurrence, key = plans[record]
            company = record.company_id if "company_id" in record._fields else self.company_id
            vals_list.append(
                {
                    "channel": self.channel,
                    "mail_template_id": self.channel == "email" and template.id,
                    "sms_template_id": self.channel == "sms" and template.id,
                    "partner_id": self._recipient(record).id,
                    "res_model": record._name,
                    "res_id": record.id,
                    "origin_model": self._name,
                    "origin_id": self.id,
                    "occurrence": occurrence,
                    "company_id": (company or self.company_id).id,
                    "policy_id": (self.policy_id or (company or self.company_id).followup_policy_id).id,
                    "resource_calendar_id": calendar.id,
                    "ignore_send_window": not self.working_hours_only,
                    "is_consent_required": self.is_consent_required,
                    "date_planned": when,
                    "idempotency_key": key,
                }
            )
        if vals_list:
            self.env["followup.dispatch"]._plan(vals_list)

    # ------------------------------------------------------------
    # SEND-TIME CHECK, called by the outbox
    # ------------------------------------------------------------

    def _followup_check_dispatches(self, dispatches):
        """{dispatch: (reason, message)} for the messages whose rule no
        longer applies to their record."""
        cancel = {}
        now = fields.Datetime.now()
        rules = self.browse(set(dispatches.mapped("origin_id"))).exists()
        for rule_id, rule_dispatches in dispatches.grouped("origin_id").items():
            rule = self.browse(rule_id)
            if rule not in rules or not rule.active:
                for dispatch in rule_dispatches:
                    cancel[dispatch] = ("condition_false", self.env._("The rule was archived or deleted."))
                continue
            records = self.env[rule.model_name].browse(rule_dispatches.mapped("res_id"))
            matching = rule._matching(records)
            # iterating keeps one prefetch set for all records: browse(id) would not
            by_id = {record.id: record for record in records}
            for dispatch in rule_dispatches:
                record = by_id[dispatch.res_id]
                why = rule._why_not_anymore(record, matching, dispatch, now)
                if why:
                    cancel[dispatch] = ("condition_false", why)
        return cancel

    def _why_not_anymore(self, record, matching, dispatch, now):
        if record not in matching:
            return self.env._("The record no longer matches the rule's condition, company or location.")
        if self.trigger == "on_state_set" and self._state_value(record) != self._watched_value():
            return self.env._("The status is no longer the one the rule waits for.")
        if self.trigger == "before_date":
            date = self._date_value(record)
            if not date or f"remind:{date.isoformat()}" != dispatch.occurrence:
                return self.env._("The date moved or was cleared.")
            if date <= now:
                return self.env._("The date has passed.")
        return False

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_dispatches(self):
        self.ensure_one()
        return self.env["followup.dispatch"]._action_open(
            [("origin_model", "=", self._name), ("origin_id", "=", self.id)]
        )

    def action_copy_to_locations(self):
        """Copy each rule to every location of its model and company that
        has no copy of it yet; a rule without location becomes its copies:
        its planned messages go to the copy of their record's location and
        it is archived, so that no record gets the message twice."""
        copies = self.browse()
        locations = self.env["followup.location"].search([("model_id", "in", self.model_id.ids)])
        by_key = defaultdict(lambda: self.env["followup.location"])
        for location in locations:
            by_key[location.model_id, location.company_id] |= location
        for rule in self:
            root = rule.source_rule_id or rule
            family = root | self.search([("source_rule_id", "=", root.id)])
            targets = by_key[rule.model_id, rule.company_id] - family.location_id
            if not targets:
                raise UserError(
                    self.env._("The rule %(rule)s is already on every location.", rule=rule.display_name)
                )
            vals = rule.copy_data()[0]
            new = self.create(
                [
                    {
                        **vals,
                        "location_id": location.id,
                        "name": f"{root.name} ({location.name})",
                        "source_rule_id": root.id,
                        "active": True,
                    }
                    for location in targets
                ]
            )
            copies |= new
            if not rule.location_id:
                rule._hand_over(new)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Copied Rules"),
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": [("id", "in", copies.ids)],
        }

    def _hand_over(self, rules):
        """Give the planned messages of ``self`` to the rule of ``rules``
        whose location holds their record, then archive ``self``."""
        self.ensure_one()
        pending = self._pending_dispatches()
        records = self.env[self.model_name].browse(pending.mapped("res_id"))
        owner = {}
        for rule in rules:
            for record in rule._matching(records):
                owner.setdefault(record.id, rule)
        Dispatch = self.env["followup.dispatch"].sudo()
        Dispatch._apply_outcomes(
            {
                dispatch: {
                    "origin_id": owner[dispatch.res_id].id,
                    "idempotency_key": dispatch.idempotency_key.replace(
                        f"rule:{self.id}:", f"rule:{owner[dispatch.res_id].id}:", 1
                    ),
                }
                for dispatch in pending
                if dispatch.res_id in owner
            }
        )
        self.active = False
