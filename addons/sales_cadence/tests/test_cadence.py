import itertools
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CadenceCase

MONDAY_10AM = datetime(2026, 11, 23, 15, 0)  # 10:00 in Montreal


@tagged("post_install", "-at_install")
class TestEnrollment(CadenceCase):
    @freeze_time(MONDAY_10AM)
    def test_enrolled_lead_goes_through_the_steps(self):
        lead = self._leads(1)
        enrollments, already = self.cadence._enroll(lead)
        self.assertFalse(already)
        self._run()
        intro = self._tasks(lead, self.step_intro)
        self.assertEqual((intro.state, intro.dispatch_id.state), ("done", "sent"))
        message = intro.dispatch_id.mail_message_id
        self.assertEqual((message.model, message.res_id), ("crm.lead", lead.id), "on the lead's chatter")
        self.assertEqual(enrollments.step_id, self.step_call)
        self.assertEqual(
            enrollments.date_next, MONDAY_10AM + timedelta(days=2), "the wait counts from the send"
        )
        with freeze_time(MONDAY_10AM + timedelta(days=2)):
            self._run()
        call = self._tasks(lead, self.step_call)
        self.assertEqual((call.state, call.user_id), ("to_do", self.salesman))
        activity = lead.activity_ids.filtered(lambda a: a.cadence_task_id == call)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertIsNone(enrollments.date_next or None, "the cadence waits for the salesperson")
        with freeze_time(MONDAY_10AM + timedelta(days=2, hours=1)):
            activity.with_user(self.salesman).action_feedback(feedback="Interested")
        self.assertEqual((call.state, call.note), ("done", "Interested"))
        self.assertEqual(enrollments.step_id, self.step_follow_up)
        self.assertEqual(enrollments.date_next, MONDAY_10AM + timedelta(days=3, hours=1))
        with freeze_time(MONDAY_10AM + timedelta(days=3, hours=1)):
            self._run()
        self.assertEqual(enrollments.state, "done")
        self.assertEqual(enrollments.progress, "3 / 3")

    @freeze_time(MONDAY_10AM)
    def test_enrolling_twice_leaves_the_lead_as_it_is(self):
        leads = self._leads(2)
        self.cadence._enroll(leads[0])
        enrollments, already = self.cadence._enroll(leads)
        self.assertEqual(already, leads[0])
        self.assertEqual(enrollments.lead_id, leads[1])
        wizard = (
            self.env["sales.cadence.enroll"]
            .with_context(active_model="crm.lead", active_ids=leads.ids)
            .create({"cadence_id": self.cadence.id})
        )
        action = wizard.action_enroll()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("2 already in it", action["params"]["message"])

    @freeze_time(MONDAY_10AM)
    def test_lead_without_contact_gets_one_from_its_email(self):
        lead = self.env["crm.lead"].create(
            {"name": "Web form", "email_from": "new.prospect@example.com", "contact_name": "New Prospect"}
        )
        self.cadence._enroll(lead)
        self.assertEqual(lead.partner_id.email, "new.prospect@example.com")

    @freeze_time(MONDAY_10AM)
    def test_no_consent_skips_the_step_with_its_reason_and_goes_on(self):
        lead = self._leads(1)
        lead.partner_id.followup_email_consent = False
        enrollment, _already = self.cadence._enroll(lead)
        self._run()
        intro = self._tasks(lead, self.step_intro)
        self.assertEqual(intro.state, "skipped")
        self.assertEqual(intro.note, "No consent for this channel")
        self.assertEqual(enrollment.step_id, self.step_call)


@tagged("post_install", "-at_install")
class TestSendPolicy(CadenceCase):
    def test_outside_working_hours_waits_and_later_steps_shift(self):
        friday_evening = datetime(2026, 11, 27, 23, 0)  # 18:00 in Montreal
        lead = self._leads(1)
        with freeze_time(friday_evening):
            enrollment, _already = self.cadence._enroll(lead)
            self._run()
        intro = self._tasks(lead, self.step_intro)
        self.assertEqual(intro.dispatch_id.reason, "outside_hours")
        monday_9am = datetime(2026, 11, 30, 14, 0)
        self.assertEqual(intro.dispatch_id.date_earliest, monday_9am)
        with freeze_time(monday_9am):
            self._run()
        self.assertEqual(intro.state, "done")
        self.assertEqual(
            enrollment.date_next, monday_9am + timedelta(days=2), "the call shifts with the e-mail"
        )

    def test_daily_cap_sends_exactly_the_cap_per_working_day(self):
        self.policy.email_daily_cap = 3
        leads = self._leads(7)
        with freeze_time(MONDAY_10AM):
            self.cadence._enroll(leads)
            self._run()
        tasks = self._tasks(leads, self.step_intro)
        sent_on = {}
        for day in range(4):
            with freeze_time(MONDAY_10AM + timedelta(days=day, minutes=1)):
                self._run()
            for task in tasks.filtered(lambda t: t.state == "done"):
                sent_on.setdefault(task.id, task.dispatch_id.date_sent.date())
        per_day = sorted({d: list(sent_on.values()).count(d) for d in sent_on.values()}.items())
        self.assertEqual([count for _day, count in per_day], [3, 3, 1])
        for task in tasks:
            local_hour = (task.dispatch_id.date_sent - timedelta(hours=5)).hour
            self.assertTrue(9 <= local_hour < 17, "inside working hours")

    def test_random_delay_between_emails_stays_in_its_bounds(self):
        self.policy.write({"email_delay_min": 60, "email_delay_max": 120})
        leads = self._leads(4)
        with freeze_time(MONDAY_10AM):
            self.cadence._enroll(leads)
            self._run()
        for minute in range(1, 15):
            with freeze_time(MONDAY_10AM + timedelta(minutes=minute)):
                self._run()
        sent = sorted(self._tasks(leads, self.step_intro).dispatch_id.mapped("date_sent"))
        self.assertEqual(len(sent), 4)
        for before, after in itertools.pairwise(sent):
            self.assertGreaterEqual((after - before).total_seconds(), 60)


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestManualSteps(CadenceCase):
    def _at_call(self, count=1):
        leads = self._leads(count)
        enrollments, _already = self.cadence._enroll(leads)
        self._run()
        enrollments.write({"date_next": MONDAY_10AM})
        self._run()
        return leads, enrollments, self._tasks(leads, self.step_call)

    def test_skip_needs_a_reason_for_calls(self):
        leads, enrollments, call = self._at_call()
        activity = leads.activity_ids
        with self.assertRaisesRegex(UserError, "needs a reason"):
            activity.with_user(self.salesman).unlink()
        action = call.with_user(self.salesman).action_skip()
        self.assertEqual(action["res_model"], "sales.cadence.skip")
        wizard = (
            self.env["sales.cadence.skip"]
            .with_context(**action["context"])
            .create(
                {"reason_id": self.env.ref("sales_cadence.skip_reason_not_reachable").id, "note": "Voicemail"}
            )
        )
        wizard.action_skip()
        self.assertEqual(
            (call.state, call.skip_reason_id.name, call.note),
            ("skipped", "Could not reach the lead", "Voicemail"),
        )
        self.assertFalse(leads.activity_ids, "its activity is gone")
        self.assertEqual(enrollments.step_id, self.step_follow_up)

    def test_cancelling_the_activity_skips_a_step_without_required_reason(self):
        self.env.ref("sales_cadence.step_type_call").is_reason_required = False
        leads, enrollments, call = self._at_call()
        leads.activity_ids.with_user(self.salesman).unlink()
        self.assertEqual(call.state, "skipped")
        self.assertEqual(enrollments.step_id, self.step_follow_up)

    def test_late_label(self):
        _leads, _enrollments, call = self._at_call()
        self.assertFalse(call.is_late)
        with freeze_time(MONDAY_10AM + timedelta(minutes=121)):
            call.invalidate_recordset(["is_late"])
            self.assertTrue(call.is_late, "a call is late after 2 hours")
            Task = self.env["sales.cadence.task"]
            self.assertIn(call, Task.search([("is_late", "=", True)]))
            self.assertNotIn(call, Task.search([("is_late", "=", False)]))

    def test_other_reason_is_always_offered(self):
        other = self.env.ref("sales_cadence.skip_reason_other")
        with self.assertRaises(UserError):
            other.unlink()
        with self.assertRaises(UserError):
            other.active = False
        other.name = "Something else"
        self.env.ref("sales_cadence.skip_reason_wrong_contact").unlink()

    def test_salesperson_sees_only_their_steps(self):
        _leads, _enrollments, call = self._at_call()
        other = self._leads(1)
        other.user_id = self.env.ref("base.user_admin")
        self.cadence._enroll(other)
        self._run()
        self.Enrollment.search([("lead_id", "=", other.id)]).write({"date_next": MONDAY_10AM})
        self._run()
        visible = self.env["sales.cadence.task"].with_user(self.salesman).search([("state", "=", "to_do")])
        self.assertEqual(visible, call)


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestPauseStop(CadenceCase):
    def test_pause_withdraws_the_planned_message_and_resume_plans_it_again(self):
        self.policy.email_daily_cap = 1
        leads = self._leads(2)
        enrollments, _already = self.cadence._enroll(leads)
        self._run()
        waiting = enrollments.filtered(lambda e: e.step_id == self.step_intro)
        dispatch = waiting.task_ids.dispatch_id
        self.assertEqual((dispatch.state, dispatch.reason), ("planned", "daily_cap"))
        waiting.action_pause()
        self.assertEqual((waiting.state, dispatch.state), ("paused", "cancelled"))
        self.assertFalse(waiting.task_ids)
        waiting.action_resume()
        self._run()
        self.assertEqual(waiting.task_ids.dispatch_id.state, "planned", "planned again, for the next day")

    def test_stop_cancels_and_the_outbox_checks_again(self):
        leads = self._leads(1)
        enrollment, _already = self.cadence._enroll(leads)
        self.Enrollment._cron_run(auto_commit=False)
        dispatch = enrollment.task_ids.dispatch_id
        enrollment.state = "paused"  # left the cadence without the usual path
        self.Dispatch._cron_send_due(auto_commit=False)
        self.assertEqual((dispatch.state, dispatch.reason), ("cancelled", "condition_false"))
        enrollment.state = "active"
        enrollment.action_stop()
        self.assertEqual(enrollment.state, "stopped")
        self.assertTrue(enrollment.date_done)

    def test_archiving_the_cadence_stops_its_leads(self):
        leads = self._leads(1)
        enrollment, _already = self.cadence._enroll(leads)
        self.cadence.active = False
        self.assertEqual(enrollment.state, "stopped")

    def test_a_deleted_step_ends_the_cadence_of_its_leads(self):
        leads = self._leads(1)
        enrollment, _already = self.cadence._enroll(leads)
        self.step_intro.unlink()
        self.Enrollment._cron_run(auto_commit=False)
        self.assertEqual(enrollment.state, "done")

    def test_automatic_step_needs_a_template(self):
        with self.assertRaises(ValidationError):
            self.step_intro.mail_template_id = False


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestCost(CadenceCase):
    def _queries(self, count):
        leads = self._leads(count)
        self.cadence._enroll(leads)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self._run()
        self.env.flush_all()
        self.assertEqual(set(self._tasks(leads, self.step_intro).mapped("state")), {"done"})
        return self.cr.sql_log_count - before

    def test_running_steps_costs_the_same_for_3_or_9_leads(self):
        small = self._queries(3)
        large = self._queries(9)
        self.assertLessEqual(large, small + 3, f"{small} queries for 3 leads, {large} for 9")


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestBounceUnsubscribeReply(CadenceCase):
    def setUp(self):
        super().setUp()
        self.auto_email = self.env.ref("sales_cadence.step_type_auto_email")
        self.manual_email = self.env.ref("sales_cadence.step_type_manual_email")
        self.call_type = self.env.ref("sales_cadence.step_type_call")
        Rule = self.env["sales.cadence.rule"]
        Rule.search([]).unlink()
        self.bounce_rule = Rule.create({"event": "bounce", "step_type_ids": [(6, 0, self.auto_email.ids)]})

    def _at_call(self):
        lead = self._leads(1)
        enrollment, _already = self.cadence._enroll(lead)
        self._run()
        enrollment.date_next = MONDAY_10AM
        self._run()
        return lead, enrollment

    def _bounce(self, task):
        notification = task.dispatch_id.mail_message_id.notification_ids
        notification.write({"notification_status": "bounce", "failure_type": "mail_bounce"})

    def test_bounce_skips_exactly_the_types_of_the_rule_and_logs_an_activity(self):
        lead, enrollment = self._at_call()
        self._bounce(self._tasks(lead, self.step_intro))
        bounce_activity = lead.activity_ids.filtered(lambda a: a.summary == "E-mail bounced")
        self.assertEqual(bounce_activity.user_id, self.salesman)
        call = self._tasks(lead, self.step_call)
        self.assertEqual(call.state, "to_do", "calls are not named by the rule")
        call._finish("done")
        enrollment.date_next = MONDAY_10AM
        self._run()
        follow_up = self._tasks(lead, self.step_follow_up)
        self.assertEqual(follow_up.state, "skipped")
        self.assertFalse(follow_up.dispatch_id, "nothing planned for a bounced address")
        self.assertEqual(enrollment.state, "done")

    def test_when_every_remaining_step_is_skipped_the_cadence_is_over(self):
        self.bounce_rule.step_type_ids |= self.call_type
        lead, enrollment = self._at_call()
        self._bounce(self._tasks(lead, self.step_intro))
        self.assertEqual(self._tasks(lead, self.step_call).state, "skipped", "the pending call, at once")
        self.assertEqual(enrollment.state, "done")

    def test_exceptions_for_a_team_and_a_salesperson(self):
        team = self.env["crm.team"].create({"name": "Key accounts"})
        Rule = self.env["sales.cadence.rule"]
        team_rule = Rule.create(
            {"event": "bounce", "team_id": team.id, "step_type_ids": [(6, 0, self.call_type.ids)]}
        )
        lead = self._leads(1, team_id=team.id)
        enrollment, _already = self.cadence._enroll(lead)
        self.assertEqual(Rule._skipped_types("bounce", enrollment)[enrollment], self.call_type)
        user_rule = Rule.create(
            {"event": "bounce", "user_id": self.salesman.id, "step_type_ids": [(6, 0, self.manual_email.ids)]}
        )
        self.assertEqual(Rule._skipped_types("bounce", enrollment)[enrollment], self.manual_email)
        user_rule.unlink()
        team_rule.unlink()
        self.assertEqual(Rule._skipped_types("bounce", enrollment)[enrollment], self.auto_email)
        with self.assertRaises(ValidationError):
            Rule.create({"event": "bounce", "step_type_ids": [(6, 0, self.call_type.ids)]})

    def test_unsubscribed_lead_applies_the_unsubscribe_rule(self):
        self.env["sales.cadence.rule"].create(
            {"event": "unsubscribe", "step_type_ids": [(6, 0, (self.auto_email | self.call_type).ids)]}
        )
        lead = self._leads(1)
        self.env["mail.blacklist"]._add(lead.partner_id.email)
        enrollment, _already = self.cadence._enroll(lead)
        self._run()
        intro = self._tasks(lead, self.step_intro)
        self.assertEqual((intro.state, intro.note), ("skipped", "Blacklisted: prospect0@example.com"))
        self.assertEqual(enrollment.state, "done", "every remaining step is skipped")

    def test_a_reply_stops_the_automatic_steps(self):
        lead, enrollment = self._at_call()
        lead.message_post(
            body="Yes, call me tomorrow",
            message_type="email",
            author_id=lead.partner_id.id,
            subtype_xmlid="mail.mt_comment",
        )
        self.assertIn(self.auto_email, enrollment.skip_step_type_ids)
        call = self._tasks(lead, self.step_call)
        self.assertEqual(call.state, "to_do", "the salesperson still calls")
        call._finish("done")
        enrollment.date_next = MONDAY_10AM
        self._run()
        self.assertEqual(self._tasks(lead, self.step_follow_up).state, "skipped")

    def test_a_message_from_an_employee_does_not_stop_anything(self):
        lead, enrollment = self._at_call()
        lead.message_post(body="Internal note", message_type="comment")
        self.assertFalse(enrollment.skip_step_type_ids)


@tagged("post_install", "-at_install")
class TestTaskTiming(CadenceCase):
    def _due_calls(self, count, when):
        leads = self._leads(count)
        with freeze_time(MONDAY_10AM):
            enrollments, _already = self.cadence._enroll(leads)
            self._run()
        enrollments.write({"date_next": when})
        with freeze_time(when):
            self._run()
        return leads, enrollments

    def test_a_manual_step_reaches_the_salesperson_in_working_hours(self):
        friday_evening = datetime(2026, 11, 27, 23, 0)  # 18:00 in Montreal
        leads, enrollments = self._due_calls(1, friday_evening)
        self.assertFalse(self._tasks(leads, self.step_call))
        monday_9am = datetime(2026, 11, 30, 14, 0)
        self.assertEqual(enrollments.date_next, monday_9am)
        with freeze_time(monday_9am):
            self._run()
        call = self._tasks(leads, self.step_call)
        self.assertEqual((call.state, call.date_assigned), ("to_do", monday_9am))

    def test_task_cap_per_user_per_day(self):
        self.company.cadence_task_cap = 2
        tuesday = MONDAY_10AM + timedelta(days=1)
        leads, enrollments = self._due_calls(3, tuesday)
        calls = self.env["sales.cadence.task"].search(
            [("lead_id", "in", leads.ids), ("step_id", "=", self.step_call.id)]
        )
        self.assertEqual(len(calls), 2, "two tasks a day for the salesperson")
        waiting = enrollments.filtered(
            lambda e: not e.task_ids.filtered(lambda t: t.step_id == self.step_call)
        )
        wednesday_9am = datetime(2026, 11, 25, 14, 0)
        self.assertEqual(waiting.date_next, wednesday_9am)
        with freeze_time(wednesday_9am):
            self._run()
        self.assertEqual(len(self._tasks(leads, self.step_call)), 3)


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestStepReport(CadenceCase):
    def test_sent_bounced_and_replied_per_step(self):
        leads = self._leads(3)
        enrollments, _already = self.cadence._enroll(leads)
        self._run()
        intro = self._tasks(leads, self.step_intro)
        bounced = intro.filtered(lambda t: t.lead_id == leads[0])
        bounced.dispatch_id.mail_message_id.notification_ids.write(
            {"notification_status": "bounce", "failure_type": "mail_bounce"}
        )
        leads[1].message_post(body="Call me", message_type="email", author_id=leads[1].partner_id.id)
        self.env.flush_all()
        line = self.env["sales.cadence.step.report"].search([("step_id", "=", self.step_intro.id)])
        self.assertEqual(
            (line.task_count, line.sent_count, line.bounced_count, line.replied_count), (3, 3, 1, 1)
        )
        self.assertAlmostEqual(line.bounce_rate, 1 / 3)
        self.assertAlmostEqual(line.reply_rate, 1 / 3)
        self.assertEqual(enrollments.filtered(lambda e: e.lead_id == leads[1]).date_replied, MONDAY_10AM)
