from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import CadenceCase

MONDAY_10AM = datetime(2026, 11, 23, 15, 0)  # 10:00 in Montreal


@tagged("post_install", "-at_install")
@freeze_time(MONDAY_10AM)
class TestStepsPerSalesperson(CadenceCase):
    """Five calls for Sam, late after 2 hours: done on time, done late,
    skipped for two reasons, one still to do; one call done by Nina.

    The report reads the database's clock for the steps still to do: Sam's
    open call, given in November 2026, is late by now."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = new_test_user(
            cls.env, login="report_nina", groups="sales_team.group_sale_salesman", name="Nina Other"
        )
        cls.manager = new_test_user(cls.env, login="report_manager", groups="sales_team.group_sale_manager")
        cls.Report = cls.env["sales.cadence.user.report"]

    def _calls(self, leads):
        enrollments, _already = self.cadence._enroll(leads)
        self._run()
        enrollments.write({"date_next": MONDAY_10AM})
        self._run()
        return self._tasks(leads, self.step_call).sorted("id")

    def setUp(self):
        super().setUp()
        not_reachable = self.env.ref("sales_cadence.skip_reason_not_reachable")
        wrong_contact = self.env.ref("sales_cadence.skip_reason_wrong_contact")
        on_time, late, skipped, skipped_late, _open = self._calls(self._leads(5))
        nina_call = self._calls(self._leads(1, user_id=self.other.id))
        with freeze_time(MONDAY_10AM + timedelta(hours=1)):
            (on_time | nina_call)._finish("done")
            skipped._finish("skipped", reason=not_reachable)
        with freeze_time(MONDAY_10AM + timedelta(hours=3)):
            late._finish("done")
            skipped_late._finish("skipped", reason=wrong_contact)
        self.env.flush_all()

    def _figures(self, user, groupby):
        groups = self.Report.with_user(user)._read_group(
            self._manual_calls(), ["user_id", *groupby], ["__count"]
        )
        return {tuple(key): count for *key, count in groups}

    def _manual_calls(self):
        return [("cadence_id", "=", self.cadence.id), ("is_automatic", "=", False)]

    def test_per_salesperson_status_reason_and_late(self):
        sam, nina = self.salesman, self.other
        self.assertEqual(
            self._figures(self.manager, ["state"]),
            {(sam, "done"): 2, (sam, "skipped"): 2, (sam, "to_do"): 1, (nina, "done"): 1},
        )
        not_reachable = self.env.ref("sales_cadence.skip_reason_not_reachable")
        wrong_contact = self.env.ref("sales_cadence.skip_reason_wrong_contact")
        no_reason = self.env["sales.cadence.skip.reason"]
        self.assertEqual(
            self._figures(self.manager, ["skip_reason_id"]),
            {(sam, not_reachable): 1, (sam, wrong_contact): 1, (sam, no_reason): 3, (nina, no_reason): 1},
        )
        self.assertEqual(
            self._figures(self.manager, ["timeliness"]),
            {(sam, "late"): 3, (sam, "on_time"): 2, (nina, "on_time"): 1},
        )

    def test_sums_per_salesperson(self):
        totals = self.Report.with_user(self.manager)._read_group(
            self._manual_calls(),
            ["user_id"],
            ["done_count:sum", "skipped_count:sum", "late_count:sum", "__count"],
        )
        self.assertEqual(
            {user: figures for user, *figures in totals},
            {self.salesman: [2, 2, 3, 5], self.other: [1, 0, 0, 1]},
        )

    def test_salespeople_see_their_own(self):
        self.assertEqual(
            self._figures(self.other, ["state"]), {(self.other, "done"): 1}, "Nina sees only her own call"
        )
        seen = self.Report.with_user(self.salesman).search([("cadence_id", "=", self.cadence.id)])
        self.assertEqual(seen.user_id, self.salesman)
        self.assertEqual(len(seen), 10, "Sam's 5 calls and his leads' 5 intro e-mails")
