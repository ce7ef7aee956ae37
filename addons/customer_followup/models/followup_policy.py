import bisect
import random
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .bulk_write import write_rows

# How far ahead the send window is searched for an opening; a calendar with no
# working time in that span postpones to its end rather than looping forever.
HORIZON = timedelta(days=21)


class FollowupPolicy(models.Model):
    """When a planned message may actually leave: working calendar, caps,
    spacing and contact pressure. The outbox applies the window when a
    message is planned and again when it is due, the caps when it is due."""

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
    date_next_email = fields.Datetime(
        "Next E-mail From",
        readonly=True,
        copy=False,
        help="Set when an e-mail of the policy leaves: the next one waits until then (the random "
        "delay, drawn once per e-mail).",
    )
    pressure_max_messages = fields.Integer(
        string="Max Messages per Person",
        help="Contact-pressure budget: at most this many messages to one "
        "person, all follow-ups together, within the period below. 0 means "
        "no limit.",
    )
    pressure_days = fields.Integer(string="Period (days)", default=7)
    limits_summary = fields.Char(string="Limits", compute="_compute_limits_summary")

    _sql_constraints = [
        (
            "caps_positive",
            "CHECK(email_daily_cap >= 0 AND sms_daily_cap >= 0 AND min_gap_minutes >= 0"
            " AND pressure_max_messages >= 0)",
            "Caps and gaps cannot be negative.",
        ),
    ]

    @api.depends(
        "email_daily_cap", "sms_daily_cap", "min_gap_minutes", "pressure_max_messages", "pressure_days"
    )
    def _compute_limits_summary(self):
        for policy in self:
            limits = []
            if policy.email_daily_cap:
                limits.append(self.env._("%(count)s e-mails a day", count=policy.email_daily_cap))
            if policy.sms_daily_cap:
                limits.append(self.env._("%(count)s SMS a day", count=policy.sms_daily_cap))
            if policy.min_gap_minutes:
                limits.append(self.env._("%(minutes)s min between two", minutes=policy.min_gap_minutes))
            if policy.pressure_max_messages:
                limits.append(
                    self.env._(
                        "%(count)s per person in %(days)s days",
                        count=policy.pressure_max_messages,
                        days=policy.pressure_days,
                    )
                )
            policy.limits_summary = ", ".join(limits) or self.env._("No limit")

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

    def _get_work_intervals(self, calendar, tz_name, start, stop):
        """Working intervals of ``calendar`` seen from ``tz_name`` between
        ``start`` and ``stop`` (naive UTC), public holidays removed."""
        tz = pytz.timezone(tz_name)
        intervals = calendar._work_intervals_batch(
            pytz.utc.localize(start).astimezone(tz), pytz.utc.localize(stop).astimezone(tz), tz=tz
        )[False]
        return [
            (
                begin.astimezone(pytz.utc).replace(tzinfo=None),
                end.astimezone(pytz.utc).replace(tzinfo=None),
            )
            for begin, end, _meta in intervals
        ]

    @api.model
    def _window_opening(self, calendar, tz_name, when, cache):
        """First moment at or after ``when`` in the working time of
        ``calendar`` seen from ``tz_name``. ``cache`` keeps the intervals
        already read, per calendar and time zone, across calls of one batch."""
        if not calendar:
            return when
        spans = cache.setdefault((calendar.id, tz_name), [])
        span = next((span for span in spans if span[0] <= when and when + HORIZON <= span[1]), None)
        if span is None:
            # read ahead: the rows of a batch tend to fall in the same weeks
            span = (
                when,
                when + 2 * HORIZON,
                self._get_work_intervals(calendar, tz_name, when, when + 2 * HORIZON),
            )
            spans.append(span)
        intervals = span[2]
        index = bisect.bisect_right([stop for _begin, stop in intervals], when)
        if index < len(intervals):
            return max(intervals[index][0], when)
        return when + HORIZON

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
        # whole seconds, as Odoo keeps its times
        return timedelta(seconds=random.randint(self.email_delay_min, self.email_delay_max))

    # ------------------------------------------------------------
    # CAPS, GAP, CONTACT PRESSURE, SPACING
    # ------------------------------------------------------------

    @api.model
    def _postponements(self, dispatches, now):
        """{dispatch: (reason, new earliest time)} for the rows of
        ``dispatches`` that a cap of their policy holds back, taking the
        rows in the order they would leave: what a batch sends counts against
        the caps of its next rows."""
        policies = dispatches.policy_id
        if not policies:
            return {}
        sent_today = self._count_sent_today(policies, now)
        history = self._sent_history(policies, dispatches.partner_id, now)
        last_email = self._next_email_times(policies.filtered("email_delay_max"))
        in_line = defaultdict(int)
        spaced = set()
        postponed = {}
        for dispatch in dispatches.sorted(lambda d: (d.date_earliest, d.id)):
            policy = dispatch.policy_id
            if not policy:
                continue
            postpone = policy._postponement(dispatch, now, sent_today, history, last_email)
            if postpone and postpone[0] == "email_spacing":
                # the first in line leaves when the spacing allows; the n-th no
                # later than n-1 longest delays after it, and is moved forward
                # when its turn comes (``followup.dispatch._check_caps``); those
                # past today's cap wait for tomorrow. Each run reads the one row
                # that may leave, not the whole line.
                cap = policy.email_daily_cap
                if cap and sent_today[policy, "email"] + in_line[policy] >= cap:
                    postpone = ("daily_cap", policy._day_start(now) + timedelta(days=1))
                else:
                    postpone = (
                        postpone[0],
                        postpone[1] + in_line[policy] * timedelta(seconds=policy.email_delay_max),
                    )
                    in_line[policy] += 1
            if postpone:
                postponed[dispatch] = postpone
                continue
            sent_today[policy, dispatch.channel] += 1
            history[dispatch.partner_id.id].append(now)
            if dispatch.channel == "email" and policy.email_delay_max:
                last_email[policy] = now + policy._random_email_delay()
                spaced.add(policy)
        write_rows(self, {policy: {"date_next_email": last_email[policy]} for policy in spaced})
        return postponed

    def _postponement(self, dispatch, now, sent_today, history, last_email):
        """(reason, new earliest time) if a cap holds ``dispatch`` back, else None."""
        self.ensure_one()
        cap = self.email_daily_cap if dispatch.channel == "email" else self.sms_daily_cap
        if cap and sent_today[self, dispatch.channel] >= cap:
            return "daily_cap", self._day_start(now) + timedelta(days=1)
        sent = history[dispatch.partner_id.id]
        if self.min_gap_minutes and sent:
            free_at = max(sent) + timedelta(minutes=self.min_gap_minutes)
            if free_at > now:
                return "min_gap", free_at
        if self.pressure_max_messages:
            window_start = now - timedelta(days=self.pressure_days)
            recent = sorted(date for date in sent if date > window_start)
            if len(recent) >= self.pressure_max_messages:
                # free again when enough of them leave the window
                oldest_to_expire = recent[len(recent) - self.pressure_max_messages]
                return "contact_pressure", oldest_to_expire + timedelta(days=self.pressure_days)
        if dispatch.channel == "email" and last_email.get(self) and last_email[self] > now:
            return "email_spacing", last_email[self]
        return None

    @api.model
    def _count_sent_today(self, policies, now):
        counts = defaultdict(int)
        Dispatch = self.env["followup.dispatch"].sudo()
        for policy in policies.filtered(lambda p: p.email_daily_cap or p.sms_daily_cap):
            groups = Dispatch._read_group(
                [("policy_id", "=", policy.id), ("date_sent", ">=", policy._day_start(now))],
                ["channel"],
                ["__count"],
            )
            for channel, count in groups:
                counts[policy, channel] = count
        return counts

    @api.model
    def _sent_history(self, policies, partners, now):
        """Send dates of the recent messages to each of ``partners``, all
        policies and features together."""
        history = defaultdict(list)
        days = max(
            [p.pressure_days for p in policies if p.pressure_max_messages]
            + [p.min_gap_minutes / 1440 for p in policies if p.min_gap_minutes]
            + [0]
        )
        partner_ids = [pid for pid in partners.ids if pid]
        if not days or not partner_ids:
            return history
        self.env["followup.dispatch"].flush_model(["partner_id", "date_sent"])
        self.env.cr.execute(
            """
            SELECT partner_id, date_sent FROM followup_dispatch
             WHERE date_sent IS NOT NULL AND partner_id = ANY(%s) AND date_sent > %s
            """,
            [partner_ids, now - timedelta(days=days)],
        )
        for partner_id, date_sent in self.env.cr.fetchall():
            history[partner_id].append(date_sent)
        return history

    @api.model
    def _next_email_times(self, policies):
        """{policy: when its next e-mail may leave}, as drawn when its last
        e-mail left: a run that comes early waits for the same time, it
        does not draw again."""
        return {policy: policy.date_next_email for policy in policies if policy.date_next_email}
