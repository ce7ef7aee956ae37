import hashlib
import hmac
import json

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.customer_followup.tests.webhook_receiver import start_receiver

from .common import CadenceCase
from .test_cadence import MONDAY_10AM


@tagged("post_install", "-at_install")
class TestWorkflow(CadenceCase):
    """Workflows: a trigger, its actions; standard for the company, advanced
    for a cadence, which replaces the standard one for its leads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Workflow = cls.env["sales.cadence.workflow"]
        cls.stage_new, cls.stage_qualified, cls.stage_won = (
            cls.env["crm.stage"].create({"name": name, "sequence": 100 + n})
            for n, name in enumerate(("W-New", "W-Qualified", "W-Won"))
        )
        cls.manager = new_test_user(
            cls.env, login="cadence_team_lead", groups="sales_team.group_sale_salesman", name="Team Lead"
        )
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.nurture = cls.env["sales.cadence"].create({"name": "Nurture", "policy_id": cls.policy.id})

    def _workflow(self, trigger, *actions, **vals):
        return self.Workflow.create(
            {
                "name": f"On {trigger}",
                "trigger": trigger,
                "action_ids": [Command.create(action) for action in actions],
                **vals,
            }
        )

    def _activity(self, summary):
        return {"action_type": "activity", "activity_type_id": self.todo.id, "activity_summary": summary}

    def _summaries(self, lead):
        return set(lead.activity_ids.mapped("summary"))

    # ------------------------------------------------------------
    # RULES OF THE WORKFLOWS
    # ------------------------------------------------------------

    def test_one_workflow_per_trigger_for_the_company_and_each_cadence(self):
        self._workflow("reply", self._activity("Call back"))
        with self.assertRaises(ValidationError):
            self._workflow("reply", self._activity("Again"))
        advanced = self._workflow("reply", self._activity("Cadence"), cadence_id=self.cadence.id)
        self.assertEqual(advanced.kind, "advanced")
        with self.assertRaises(ValidationError):
            self._workflow("reply", self._activity("Cadence again"), cadence_id=self.cadence.id)
        self._workflow("reply", self._activity("Other cadence"), cadence_id=self.nurture.id)
        advanced.active = False
        self._workflow("reply", self._activity("Replaces the archived one"), cadence_id=self.cadence.id)

    def test_an_action_needs_what_it_acts_with(self):
        with self.assertRaises(ValidationError):
            self._workflow("reply", {"action_type": "stage"})
        with self.assertRaises(ValidationError):
            self._workflow("reply", {"action_type": "webhook", "webhook_url": "ftp://example.com"})
        with self.assertRaises(ValidationError):
            self._workflow("score_above", self._activity("Hot"), score_threshold=0)

    def test_the_advanced_workflow_replaces_the_standard_one_for_its_cadence(self):
        self._workflow("reply", self._activity("Standard"))
        self._workflow("reply", self._activity("Advanced"), cadence_id=self.cadence.id)
        in_cadence, other = self._leads(2)
        with freeze_time(MONDAY_10AM):
            self.cadence._enroll(in_cadence)
        for lead in in_cadence | other:
            lead.message_post(body="Interested", message_type="email", author_id=lead.partner_id.id)
        self.assertEqual(self._summaries(in_cadence), {"Advanced"})
        self.assertEqual(self._summaries(other), {"Standard"})
        self.assertIn("Workflow “On reply”", in_cadence.message_ids[0].body)

    # ------------------------------------------------------------
    # TRIGGERS
    # ------------------------------------------------------------

    def _enrolled(self, count=1):
        with freeze_time(MONDAY_10AM):
            leads = self._leads(count)
            enrollments, _already = self.cadence._enroll(leads)
            self._run()
        return leads, enrollments

    def test_a_bounce_and_an_unsubscription(self):
        self._workflow("bounce", self._activity("Find the right address"))
        self._workflow("unsubscribe", {"action_type": "lost"})
        bounced, unsubscribed = self._leads(2)
        self.env["mail.blacklist"]._add(unsubscribed.partner_id.email)
        with freeze_time(MONDAY_10AM):
            self.cadence._enroll(bounced | unsubscribed)
            self._run()
        notification = self._tasks(bounced, self.step_intro).dispatch_id.mail_message_id.notification_ids
        notification.write({"notification_status": "bounce", "failure_type": "mail_bounce"})
        self.assertIn("Find the right address", self._summaries(bounced))
        self.assertFalse(unsubscribed.active, "marked lost")
        self.assertEqual(unsubscribed.cadence_enrollment_ids.state, "stopped")

    def test_a_click(self):
        self._workflow("link_clicked", {"action_type": "stage", "stage_id": self.stage_qualified.id})
        lead, _enrollment = self._enrolled()
        self._tasks(lead, self.step_intro).dispatch_id._track_engagement("clicked")
        self.assertEqual(lead.stage_id, self.stage_qualified)

    def test_a_completed_cadence_enrolls_in_the_next_one(self):
        self._workflow("enrollment_done", {"action_type": "enroll", "target_cadence_id": self.nurture.id})
        lead, enrollment = self._enrolled()
        enrollment._stop(state="done")
        self.assertEqual(lead.cadence_enrollment_ids.cadence_id, self.cadence | self.nurture)
        stopped_lead, stopped = self._enrolled()
        stopped._stop()
        self.assertEqual(
            stopped_lead.cadence_enrollment_ids.cadence_id, self.cadence, "stopped is not completed"
        )

    def test_the_last_step_done_completes_the_cadence_and_starts_its_workflow(self):
        self.cadence.step_ids.filtered(lambda s: s != self.step_intro).unlink()
        self._workflow("enrollment_done", self._activity("Cadence over"))
        lead, enrollment = self._enrolled()
        self.assertEqual(enrollment.state, "done")
        self.assertIn("Cadence over", self._summaries(lead))

    def test_a_stage_change_to_the_chosen_stage_and_no_loop(self):
        self._workflow(
            "stage_changed",
            {"action_type": "assign", "user_id": self.manager.id},
            {"action_type": "stage", "stage_id": self.stage_won.id},
            stage_id=self.stage_qualified.id,
        )
        lead = self._leads(1)
        lead.stage_id = self.stage_new
        self.assertEqual(lead.user_id, self.salesman, "another stage: nothing")
        lead.stage_id = self.stage_qualified
        self.assertEqual(lead.user_id, self.manager)
        self.assertEqual(lead.stage_id, self.stage_won, "the workflow's own stage change starts nothing more")

    def test_a_score_reaching_the_threshold_once(self):
        self._workflow("score_above", self._activity("Hot lead"), score_threshold=10)
        lead = self._leads(1)
        lead._engagement_add("email_clicked")
        self.assertFalse(lead.activity_ids)
        lead._engagement_add("email_clicked")
        self.assertEqual(lead.engagement_score, 10)
        self.assertEqual(lead.activity_ids.mapped("summary"), ["Hot lead"])
        lead._engagement_add("inbound_call")
        self.assertEqual(len(lead.activity_ids), 1, "above already: no second time")

    def test_actions_assign_and_schedule_for_the_right_user(self):
        self._workflow(
            "reply",
            {"action_type": "assign", "user_id": self.manager.id},
            {**self._activity("Call today"), "activity_days": 2},
        )
        lead = self._leads(1)
        with freeze_time(MONDAY_10AM):
            lead.message_post(body="Call me", message_type="email", author_id=lead.partner_id.id)
        activity = lead.activity_ids
        self.assertEqual((lead.user_id, activity.user_id), (self.manager, self.manager))
        self.assertEqual(str(activity.date_deadline), "2026-11-25")


@tagged("post_install", "-at_install")
class TestWorkflowWebhook(CadenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_receiver(cls)

    def test_a_webhook_action_posts_each_lead_signed_after_the_event(self):
        workflow = self.env["sales.cadence.workflow"].create(
            {
                "name": "Tell the dialer",
                "trigger": "reply",
                "action_ids": [Command.create({"action_type": "webhook", "webhook_url": self.receiver_url})],
            }
        )
        action = workflow.action_ids
        lead = self._leads(1)
        lead.message_post(body="Hello", message_type="email", author_id=lead.partner_id.id)
        self.assertFalse(self.receiver.received, "posted by the cron, not inside the event")
        call = self.env["followup.webhook"].search(
            [("origin_model", "=", action._name), ("origin_id", "=", action.id)]
        )
        self.assertEqual((call.name, call.res_id, call.state), ("cadence.reply", lead.id, "pending"))
        self.env["followup.webhook"]._cron_post_due(auto_commit=False)
        headers, body = self.receiver.received[0]
        payload = json.loads(body)
        self.assertEqual((payload["event"], payload["lead"]["id"]), ("reply", lead.id))
        expected = hmac.new(action.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Followup-Signature"], f"sha256={expected}")
        self.assertEqual(call.state, "sent")

    def test_sales_managers_see_and_send_again_the_workflows_calls_only(self):
        workflow = self.env["sales.cadence.workflow"].create(
            {
                "name": "Tell the dialer",
                "trigger": "reply",
                "action_ids": [Command.create({"action_type": "webhook", "webhook_url": self.receiver_url})],
            }
        )
        lead = self._leads(1)
        lead.message_post(body="Hello", message_type="email", author_id=lead.partner_id.id)
        ours = self.env["followup.webhook"].search([("origin_model", "=", workflow.action_ids._name)])
        other = self.env["followup.webhook"]._queue(
            [
                {
                    "name": "survey.answer",
                    "url": self.receiver_url,
                    "secret": "s",
                    "body": {},
                    "origin_model": "satisfaction.campaign",
                }
            ]
        )
        sales_manager = new_test_user(
            self.env, login="cadence_webhook_manager", groups="sales_team.group_sale_manager"
        )
        calls = self.env["followup.webhook"].with_user(sales_manager).search([])
        self.assertTrue(ours and ours <= calls)
        self.assertNotIn(other, calls)
        self.assertEqual(set(calls.mapped("origin_model")), {"sales.cadence.workflow.action"})
        ours.state = "failed"
        ours.with_user(sales_manager).action_retry()
        self.assertEqual(ours.state, "pending")
        both = new_test_user(
            self.env,
            login="cadence_webhook_both",
            groups="sales_team.group_sale_manager,customer_followup.group_followup_manager",
        )
        self.assertLessEqual(ours | other, self.env["followup.webhook"].with_user(both).search([]))
