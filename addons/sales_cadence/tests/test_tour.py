from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import CadenceCase


@tagged("post_install", "-at_install")
class TestCadenceTour(CadenceCase, HttpCase):
    def test_salesperson_completes_and_skips_steps_from_the_activity_view(self):
        task_type = self.env.ref("sales_cadence.step_type_task")
        linkedin = self.env["sales.cadence"].create(
            {
                "name": "Social",
                "step_ids": [
                    Command.create({"name": "Connect on LinkedIn", "step_type_id": task_type.id}),
                    Command.create({"name": "Second task", "step_type_id": task_type.id, "wait_number": 1}),
                ],
            }
        )
        # the steps reach the salesperson now, whatever the time the test runs
        any_time = self.env["followup.policy"].create({"name": "Any time", "company_id": self.company.id})
        (self.cadence | linkedin).policy_id = any_time
        call_lead = self._leads(1, name="Tour call lead")
        task_lead = self._leads(1, name="Tour task lead")
        self.step_intro.unlink()  # the call first, due now
        self.step_call.wait_number = 0
        self.cadence._enroll(call_lead)
        linkedin._enroll(task_lead)
        self.Enrollment._cron_run(auto_commit=False)
        self.assertEqual(len((call_lead | task_lead).activity_ids), 2)
        self.start_tour(
            "/odoo/action-crm.crm_lead_action_pipeline?view_type=activity",
            "sales_cadence_activity_tour",
            login="cadence_salesman",
        )
        call = self._tasks(call_lead, self.step_call)
        self.assertEqual(call.state, "done")
        linkedin_task = self.env["sales.cadence.task"].search([("lead_id", "=", task_lead.id)])
        self.assertEqual(linkedin_task.state, "skipped")
        self.assertEqual(linkedin_task.enrollment_id.step_id.name, "Second task")
