import random
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# How far ahead the send window is searched for an opening; a calendar with no
# working time in that span postpones to its end rather than looping forever.
WINDOW_HORIZON_DAYS = 21


class FollowupPolicy(models.Model):
    """When a planned message may actually leave: working calendar, caps,
    spacing and contact pressure. The outbox applies it at send time."""

    _name = "followup.policy"
    _description = "Follow-up Send Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Calendar",
        check_company=True,
        help="Messages only leave during the working hours of this calendar, "
        "public holidays excluded. Leave empty to send at any time.",
    )
    use_recipient_tz = fields.Boolean(
        string="Recipient's Time Zone",
        default=True,
        help="Evaluate working hours in the recipient's time zone when it is "
        "known, instead of the calendar's.",
    )
    email_daily_cap = fields.Integer(string="E-mails per Day", help="0 means no limit.")
    sms_daily_cap = fields.Integer(string="SMS per Day", help="0 means no limit.")
    min_gap_minutes = fields.Integer(
        string="Minimum Gap (minutes)",
        help="Minimum time between two messages to the same person.",
    )
    email_delay_min = fields.Integer(
        string="Delay between E-mails, from (seconds)",
        help="Automated e-mails of this policy leave one by one, separated by "
        "a random delay between these two bounds.",
    )
    email_delay_max = fields.Integer(string="Delay between E-mails, to (seconds)")
    pressure_max_messages = fields.Integer(
        string="Max Messages per Person",
        help="Contact-pressure budget: at most this many messages to one "
        "person, all follow-ups together, within the period below. 0 means "
        "no limit.",
    )
    pressure_days = fields.Integer(string="Period (days)", default=7)

    _sql_constraints = [
        (
            "caps_positive",
            "CHECK(email_daily_cap >= 0 AND sms_daily_cap >= 0 AND min_gap_minutes >= 0"
            " AND pressure_max_messages >= 0)",
            "Caps and gaps cannot be negative.",
        ),
    ]

    @api.constrains("email_delay_min", "email_delay_max")
    def _check_email_delay(self):
        for policy in self:
            if policy.email_delay_min < 0 or policy.email_delay_max < policy.email_delay_min:
                raise ValidationError(
                    self.env._(
                        "The delay between e-mails of %(policy)s must go from a "
                        "positive lower bound to a higher upper bound.",
                        policy=policy.display_name,
                    )
                )

    @api.constrains("pressure_max_messages", "pressure_days")
    def _check_pressure(self):
        for policy in self:
            if policy.pressure_max_messages and policy.pressure_days <= 0:
                raise ValidationError(
                    self.env._(
                        "The contact-pressure period of %(policy)s must last at least one day.",
                        policy=policy.display_name,
                    )
                )

    # ------------------------------------------------------------
    # SEND WINDOW
    # ------------------------------------------------------------

    def _window_tz(self, partner, calendar=None):
        self.ensure_one()
        calendar = calendar or self.resource_calendar_id
        if self.use_recipient_tz and partner.tz:
            return partner.tz
        return calendar.tz or "UTC"

    def _get_work_intervals(self, calendar, tz_name, start):
        """Working intervals of ``calendar`` seen from ``tz_name``, from
        ``start`` (naive UTC) over the horizon, public holidays removed."""
        tz = pytz.timezone(tz_name)
        start_local = pytz.utc.localize(start).astimezone(tz)
        end_local = start_local + timedelta(days=WINDOW_HORIZON_DAYS)
        intervals = calendar._work_intervals_batch(start_local, end_local, tz=tz)[False]
        return [
            (
                begin.astimezone(pytz.utc).replace(tzinfo=None),
                stop.astimezone(pytz.utc).replace(tzinfo=None),
            )
            for begin, stop, _meta in intervals
        ]

    @api.model
    def _next_open(self, intervals, when):
        """First moment at or after ``when`` inside ``intervals``."""
        for begin, stop in intervals:
            if stop > when:
                return max(begin, when)
        return when + timedelta(days=WINDOW_HORIZON_DAYS)

    def _day_start(self, when):
        """Start (naive UTC) of the calendar day holding ``when``, in the
        policy's calendar time zone: daily caps count per local day."""
        self.ensure_one()
        tz = pytz.timezone(self.resource_calendar_id.tz or "UTC")
        local_day = pytz.utc.localize(when).astimezone(tz).date()
        return tz.localize(datetime.combine(local_day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)

    def _random_email_delay(self):
        self.ensure_one()
        if not self.email_delay_max:
            return timedelta(0)
        return timedelta(seconds=random.uniform(self.email_delay_min, self.email_delay_max))
