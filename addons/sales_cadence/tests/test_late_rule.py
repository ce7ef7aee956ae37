from datetime import datetime, timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CadenceCase

MONDAY_10AM = datetime(2026, 11, 23, 15, 0)  # 10:00 in Montreal


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestLateExceptions(CadenceCase):
    """Calls are late after 2 hours (the step type's duration), unless an
    exception for the lead's team or the salesperson says otherwise."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_type = cls.env.ref("sales_cadence.step_type_call")
        cls.team = cls.env["crm.team"].create({"name": "Key accounts"})
        cls.Rule = cls.env["sales.cadence.late.rule"]
        cls.Task = cls.env["sales.cadence.task"]

    def _calls(self, count=1, **lead_vals):
        leads = self._leads(count, **lead_vals)
        enrollments, _already = self.cadence._enroll(leads)
        self._run()
        enrollments.write({"date_next": MONDAY_10AM})
        self._run()
        return self._tasks(leads, self.step_call)

    def _exception(self, minutes, **scope):
        return self.Rule.create({"step_type_id": self.call_type.id, "late_minutes": minutes, **scope})

    def test_no_exception_the_step_type_decides(self):
        call = self._calls()
        self.assertEqual(call.date_late, MONDAY_10AM + timedelta(minutes=120))

    def test_exception_for_the_team_of_the_lead(self):
        self._exception(30, team_id=self.team.id)
        in_team, elsewhere = self._calls(team_id=self.team.id) | self._calls()
        self.assertEqual(in_team.date_late, MONDAY_10AM + timedelta(minutes=30))
        self.assertEqual(elsewhere.date_late, MONDAY_10AM + timedelta(minutes=120))
        with freeze_time(MONDAY_10AM + timedelta(minutes=31)):
            self.assertEqual(self.Task.search([("is_late", "=", True)]), in_team)
            self.assertIn(elsewhere, self.Task.search([("is_late", "=", False)]))

    def test_the_salesperson_before_the_team(self):
        self._exception(30, team_id=self.team.id)
        self._exception(10, user_id=self.salesman.id)
        other_seller = new_test_user(self.env, login="late_other", groups="sales_team.group_sale_salesman")
        mine = self._calls(team_id=self.team.id)
        theirs = self._calls(team_id=self.team.id, user_id=other_seller.id)
        self.assertEqual(mine.date_late, MONDAY_10AM + timedelta(minutes=10))
        self.assertEqual(theirs.date_late, MONDAY_10AM + timedelta(minutes=30), "their team's")

    def test_zero_is_never_late(self):
        self._exception(0, user_id=self.salesman.id)
        call = self._calls()
        self.assertFalse(call.date_late)
        with freeze_time(MONDAY_10AM + timedelta(days=30)):
            call.invalidate_recordset(["is_late"])
            self.assertFalse(call.is_late)
            self.assertIn(call, self.Task.search([("is_late", "=", False)]))

    def test_the_deadline_is_set_when_the_step_arrives(self):
        call = self._calls()
        self._exception(10, user_id=self.salesman.id)
        self.call_type.late_minutes = 5
        self.assertEqual(call.date_late, MONDAY_10AM + timedelta(minutes=120), "given with 2 hours")
        self.assertEqual(self._calls().date_late, MONDAY_10AM + timedelta(minutes=10))

    def test_finished_late_is_kept(self):
        on_time, late, skipped_late, open_call = self._calls(4)
        with freeze_time(MONDAY_10AM + timedelta(minutes=60)):
            on_time._finish("done")
        with freeze_time(MONDAY_10AM + timedelta(minutes=150)):
            late._finish("done")
            skipped_late._finish("skipped", reason=self.env.ref("sales_cadence.skip_reason_not_reachable"))
            self.assertFalse(late.is_late, "no longer late: it is done")
        self.assertEqual(
            [task.was_late for task in (on_time, late, skipped_late, open_call)], [False, True, True, False]
        )

    def test_one_exception_per_scope(self):
        self._exception(30, team_id=self.team.id)
        with self.assertRaises(ValidationError):
            self._exception(45, team_id=self.team.id)
        self._exception(45, user_id=self.salesman.id)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self._exception(20, team_id=self.team.id, user_id=self.salesman.id)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self._exception(20)

    def test_exceptions_are_set_on_the_step_type_form(self):
        with Form(self.call_type) as step_type:
            with step_type.late_rule_ids.new() as line:
                line.team_id = self.team
                line.late_minutes = 15
        self.assertEqual(self.call_type.late_rule_count, 1)
        self.assertEqual(self.call_type.late_rule_ids.display_name, "Key accounts: 15 min")
        self.assertEqual(self._calls(team_id=self.team.id).date_late, MONDAY_10AM + timedelta(minutes=15))

    def test_deadlines_cost_the_same_for_3_or_9_tasks(self):
        self._exception(30, team_id=self.team.id)
        self._exception(10, user_id=self.salesman.id)

        def queries(count):
            calls = self._calls(count, team_id=self.team.id)
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.Rule._late_minutes(self.Task.browse(calls.ids))
            return self.cr.sql_log_count - before

        self.assertEqual(queries(3), queries(9))
