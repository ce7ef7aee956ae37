from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import CadenceCase
from .test_cadence import MONDAY_10AM


@tagged("post_install", "-at_install")
class TestManualEmail(CadenceCase):
    """A manual e-mail step starts from its template; the salesperson edits
    and sends it through the outbox, where the daily cap counts automatic
    and manual e-mails together (seed: "automatisés et semi-automatisés")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman.email = "sam.seller@example.com"
        cls.policy.email_daily_cap = 1
        cls.draft = cls.env["mail.template"].create(
            {
                "name": "Personal note",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "subject": "About {{ object.name }}",
                "body_html": "<p>Hello, a word about <t t-out='object.name'/>.</p>",
            }
        )
        cls.manual = cls.env["sales.cadence"].create(
            {
                "name": "Personal",
                "policy_id": cls.policy.id,
                "step_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Intro e-mail",
                            "step_type_id": cls.env.ref("sales_cadence.step_type_auto_email").id,
                            "mail_template_id": cls.intro.id,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "name": "Personal e-mail",
                            "step_type_id": cls.env.ref("sales_cadence.step_type_manual_email").id,
                            "mail_template_id": cls.draft.id,
                        }
                    ),
                ],
            }
        )

    def _at_manual_email(self):
        lead = self._leads(1)
        with freeze_time(MONDAY_10AM):
            enrollment, _already = self.manual._enroll(lead)
            self._run()
        with freeze_time(MONDAY_10AM + timedelta(minutes=5)):
            self._run()
        task = self.env["sales.cadence.task"].search(
            [("lead_id", "=", lead.id), ("code", "=", "manual_email")]
        )
        return lead, enrollment, task

    def test_written_from_the_template_sent_by_the_outbox_within_the_daily_cap(self):
        lead, enrollment, task = self._at_manual_email()
        self.assertEqual(task.state, "to_do")
        self.assertEqual(task.email_subject, "About Lead 0")
        self.assertIn("a word about Lead 0", task.email_body)
        self.assertEqual(task.activity_ids.user_id, self.salesman)
        task.email_body = "<p>Hello, I read your request: shall we talk on Thursday?</p>"
        with freeze_time(MONDAY_10AM + timedelta(minutes=10)):
            task.with_user(self.salesman).action_send_email()
            self.Dispatch._cron_send_due(auto_commit=False)
        dispatch = task.dispatch_id
        self.assertEqual((task.state, task.email_user_id), ("planned", self.salesman))
        self.assertFalse(task.activity_ids, "the step is in the outbox now")
        self.assertEqual(
            (dispatch.state, dispatch.reason), ("planned", "daily_cap"), "the intro e-mail used today's one"
        )
        with freeze_time(dispatch.date_earliest):
            self.Dispatch._cron_send_due(auto_commit=False)
        self.assertEqual(dispatch.state, "sent")
        self.assertEqual(task.state, "done")
        self.assertEqual(enrollment.state, "done")
        message = dispatch.mail_message_id
        self.assertEqual((message.model, message.res_id), ("crm.lead", lead.id), "on the lead's chatter")
        self.assertIn("shall we talk on Thursday", message.body)
        self.assertIn("sam.seller@example.com", dispatch.mail_mail_id.email_from)
        self.assertEqual(lead.engagement_email_sent, 2, "both e-mails count for the lead")

    def test_an_empty_email_or_a_step_done_cannot_be_sent(self):
        _lead, _enrollment, task = self._at_manual_email()
        task.email_body = False
        with self.assertRaises(UserError):
            task.action_send_email()
        task._finish("done")
        with self.assertRaises(UserError):
            task.action_send_email()
