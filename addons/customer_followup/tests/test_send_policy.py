from datetime import datetime, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import FollowupCase

UTC = datetime


@tagged("post_install", "-at_install")
class TestSendWindow(FollowupCase):
    """Working hours and holidays of a resource.calendar, in the recipient's
    time zone; outside them the message is postponed, never dropped."""

    def test_saturday_waits_for_monday_opening(self):
        with freeze_time(UTC(2025, 11, 8, 16, 0)):  # Saturday noon in Montreal
            dispatch = self.plan()
            self.send_due()
        self.assertEqual((dispatch.state, dispatch.reason), ("planned", "outside_hours"))
        self.assertEqual(dispatch.date_earliest, UTC(2025, 11, 10, 14, 0))  # Monday 9:00 EST
        with freeze_time(UTC(2025, 11, 10, 14, 0)):
            self.send_due()
        self.assertEqual((dispatch.state, dispatch.reason), ("sent", False))

    def test_dst_change_moves_the_opening_in_utc(self):
        # Friday 2025-10-31 18:00 EDT (UTC-4) is after hours; clocks go back on
        # Sunday, so Monday 9:00 is 14:00 UTC, not Friday's 13:00.
        with freeze_time(UTC(2025, 10, 31, 22, 0)):
            dispatch = self.plan()
            self.send_due()
        self.assertEqual(dispatch.date_earliest, UTC(2025, 11, 3, 14, 0))
        with freeze_time(UTC(2025, 10, 31, 12, 30)):  # Friday 8:30 EDT: opens at 13:00 UTC
            early = self.plan(key="early")
            self.send_due()
        self.assertEqual(early.date_earliest, UTC(2025, 10, 31, 13, 0))

    def test_public_holiday_is_skipped(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": self.calendar.id,
                "date_from": UTC(2025, 11, 3, 5, 0),
                "date_to": UTC(2025, 11, 4, 4, 59, 59),
            }
        )
        with freeze_time(self.MONDAY_OPEN):
            dispatch = self.plan()
            self.send_due()
        self.assertEqual((dispatch.state, dispatch.reason), ("planned", "outside_hours"))
        self.assertEqual(dispatch.date_earliest, UTC(2025, 11, 4, 14, 0))

    def test_recipient_time_zone(self):
        parisian = self._partners(1, tz="Europe/Paris")
        montrealer = self._partners(1, tz="America/Montreal", email="other@example.com")
        with freeze_time(UTC(2025, 11, 3, 16, 30)):  # 11:30 in Montreal, 17:30 in Paris
            in_paris = self.plan(parisian)
            in_montreal = self.plan(montrealer)
            self.send_due()
        self.assertEqual(in_montreal.state, "sent")
        self.assertEqual((in_paris.state, in_paris.reason), ("planned", "outside_hours"))
        self.assertEqual(in_paris.date_earliest, UTC(2025, 11, 4, 8, 0))  # Tuesday 9:00 CET

    def test_calendar_time_zone_when_recipient_tz_is_off(self):
        self.policy.use_recipient_tz = False
        parisian = self._partners(1, tz="Europe/Paris")
        with freeze_time(UTC(2025, 11, 3, 16, 30)):
            dispatch = self.plan(parisian)
            self.send_due()
        self.assertEqual(dispatch.state, "sent")

    def test_no_calendar_sends_any_time(self):
        self.policy.resource_calendar_id = False
        with freeze_time(UTC(2025, 11, 9, 7, 0)):  # Sunday 2:00
            dispatch = self.plan()
            self.send_due()
        self.assertEqual(dispatch.state, "sent")

    def test_dispatch_calendar_overrides_the_policy(self):
        always = self.env["resource.calendar"].create(
            {
                "name": "Every day",
                "tz": "America/Montreal",
                "attendance_ids": [
                    (0, 0, {"name": f"D{d}", "dayofweek": str(d), "hour_from": 0, "hour_to": 24})
                    for d in range(7)
                ],
            }
        )
        with freeze_time(UTC(2025, 11, 8, 16, 0)):
            dispatch = self.plan(resource_calendar_id=always.id)
            self.send_due()
        self.assertEqual(dispatch.state, "sent")


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestCaps(FollowupCase):
    """Caps and spacing postpone, with the reason kept; nothing is dropped."""

    def test_daily_cap_postpones_to_the_next_opening(self):
        self.policy.email_daily_cap = 2
        dispatches = self.plan(self._partners(3))
        self.send_due()
        held = dispatches.filtered(lambda d: d.state == "planned")
        self.assertEqual(len(dispatches.filtered(lambda d: d.state == "sent")), 2)
        self.assertEqual(held.reason, "daily_cap")
        self.assertEqual(held.date_earliest, UTC(2025, 11, 4, 14, 0), "Tuesday's opening, not midnight")
        sms = self.plan(self._partners(1, email="x@example.com"), channel="sms")
        self.send_due()
        self.assertEqual(sms.state, "sent", "The e-mail cap does not hold SMS back")
        with freeze_time(UTC(2025, 11, 4, 14, 0)):
            self.send_due()
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})

    def test_min_gap_between_two_messages_to_one_person(self):
        self.policy.min_gap_minutes = 60
        first = self.plan(key="first")
        second = self.plan(key="second", channel="sms")
        self.send_due()
        self.assertEqual(first.state, "sent")
        self.assertEqual((second.state, second.reason), ("planned", "min_gap"))
        self.assertEqual(second.date_earliest, self.MONDAY_OPEN + timedelta(minutes=60))
        with freeze_time(self.MONDAY_OPEN + timedelta(minutes=60)):
            self.send_due()
        self.assertEqual(second.state, "sent")

    def test_contact_pressure_across_all_sources(self):
        self.policy.write({"pressure_max_messages": 2, "pressure_days": 7})
        other_policy = self.policy.copy({"name": "Another feature", "pressure_max_messages": 0})
        self.plan(key="dunning", policy_id=other_policy.id)
        self.send_due()
        second = self.plan(key="survey")
        third = self.plan(key="cadence", channel="sms")
        self.send_due()
        self.assertEqual(second.state, "sent")
        self.assertEqual((third.state, third.reason), ("planned", "contact_pressure"))
        self.assertEqual(third.date_earliest, self.MONDAY_OPEN + timedelta(days=7))

    def test_random_delay_between_emails(self):
        self.policy.write({"email_delay_min": 60, "email_delay_max": 60})
        dispatches = self.plan(self._partners(3))
        self.send_due()
        sent = dispatches.filtered(lambda d: d.state == "sent")
        held = dispatches - sent
        self.assertEqual(len(sent), 1)
        self.assertEqual(set(held.mapped("reason")), {"email_spacing"})
        self.assertEqual(
            sorted(held.mapped("date_earliest")),
            [self.MONDAY_OPEN + timedelta(seconds=60), self.MONDAY_OPEN + timedelta(seconds=120)],
            "each in line no sooner than a minimum delay after the one before",
        )
        with freeze_time(self.MONDAY_OPEN + timedelta(seconds=60)):
            self.send_due()
        self.assertEqual(len(dispatches.filtered(lambda d: d.state == "sent")), 2)
        with freeze_time(self.MONDAY_OPEN + timedelta(seconds=120)):
            self.send_due()
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})

    def test_invalid_delay_bounds(self):
        with self.assertRaises(ValidationError):
            self.policy.write({"email_delay_min": 60, "email_delay_max": 10})


@tagged("post_install", "-at_install")
class TestWindowAtPlanning(FollowupCase):
    """The send window is applied when a row is planned: the outbox and its
    preview show when it will really leave."""

    SATURDAY = datetime(2025, 11, 8, 16, 0)

    def test_saturday_message_leaves_monday_9_in_the_recipients_time_zone(self):
        with freeze_time(self.SATURDAY):
            dispatch = self.plan()
        self.assertEqual(dispatch.date_planned, self.SATURDAY)
        self.assertEqual(
            dispatch.date_earliest, datetime(2025, 11, 10, 14, 0), "Monday 9:00 in Montreal (UTC-5)"
        )
        self.assertEqual(dispatch.reason, "outside_hours")
        self.partner.tz = "America/Los_Angeles"
        with freeze_time(self.SATURDAY):
            dispatch = self.plan(key="west")
        self.assertEqual(
            dispatch.date_earliest, datetime(2025, 11, 10, 17, 0), "Monday 9:00 in Los Angeles (UTC-8)"
        )

    def test_reminder_planned_weeks_ahead_is_in_its_window(self):
        with freeze_time(self.MONDAY_OPEN):
            dispatch = self.plan(date_planned=datetime(2025, 12, 27, 12, 0))  # a Saturday
        self.assertEqual(dispatch.date_earliest, datetime(2025, 12, 29, 14, 0))

    def test_inside_the_window_the_ideal_time_stands(self):
        with freeze_time(self.MONDAY_OPEN):
            dispatch = self.plan()
        self.assertEqual(dispatch.date_earliest, self.MONDAY_OPEN)
        self.assertFalse(dispatch.reason)
