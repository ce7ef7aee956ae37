import hashlib
import hmac
import json
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.customer_followup.tests.webhook_receiver import start_receiver

from .common import SatisfactionCase

NOW = datetime(2026, 11, 24, 15, 0)


@tagged("post_install", "-at_install")
class TestWebhook(SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = start_receiver(cls)
        cls.campaign.webhook_url = cls.receiver_url

    def setUp(self):
        super().setUp()
        self.server.received.clear()
        self.server.status, self.server.delay = 200, 0

    def _completed_answer(self):
        with freeze_time(NOW):
            job = self._job()
            job.stage_id = self.stage_done
            answer = self.env["survey.user_input"].browse(self._dispatches(job).res_id)
            self._answer(answer, 4, comment="Too slow")
        return job, answer

    def _run_cron(self, when):
        with freeze_time(when):
            self.env["survey.user_input"]._cron_process_answers(auto_commit=False)
            self.env["followup.webhook"]._cron_post_due(auto_commit=False)

    def test_completed_answer_is_posted_signed(self):
        job, answer = self._completed_answer()
        self.assertFalse(self.server.received, "never from the survey's own request")
        self._run_cron(NOW)
        self.assertEqual(len(self.server.received), 1)
        headers, body = self.server.received[0]
        expected = hmac.new(self.campaign.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Followup-Signature"], f"sha256={expected}")
        payload = json.loads(body)
        self.assertEqual(payload["event"], "survey.completed")
        self.assertEqual(payload["answer_id"], answer.id)
        self.assertEqual(payload["record"], {"model": "project.task", "id": job.id, "name": job.display_name})
        self.assertEqual((payload["score"], payload["nps_category"]), (4, "detractor"))
        self.assertEqual(payload["comment"], "Too slow")
        self.assertEqual(answer.webhook_state, "sent")

    def test_a_new_secret_changes_the_signature(self):
        old = self.campaign.webhook_secret
        self.campaign.action_regenerate_webhook_secret()
        self.assertNotEqual(self.campaign.webhook_secret, old)
        self._completed_answer()
        self._run_cron(NOW)
        headers, body = self.server.received[0]
        expected = hmac.new(self.campaign.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Followup-Signature"], f"sha256={expected}")

    def test_timeout_is_recorded_and_retried(self):
        self.env["ir.config_parameter"].set_param("customer_followup.webhook_timeout", "0.2")
        self.server.delay = 1
        _job, answer = self._completed_answer()
        self._run_cron(NOW)
        self.assertEqual((answer.webhook_state, answer.webhook_attempt_count), ("pending", 1))
        self.assertIn("timed out", answer.webhook_error.lower())
        self.assertEqual(answer.date_webhook, NOW + timedelta(minutes=1))
        self.server.delay = 0
        self._run_cron(NOW + timedelta(seconds=30))
        self.assertEqual(answer.webhook_attempt_count, 1, "not before its retry time")
        self._run_cron(NOW + timedelta(minutes=1))
        self.assertEqual((answer.webhook_state, answer.webhook_attempt_count), ("sent", 2))
        self.assertFalse(answer.webhook_error)

    def test_failures_back_off_then_stop_and_can_be_sent_again(self):
        self.server.status = 500
        _job, answer = self._completed_answer()
        when = NOW
        delays = []
        for _attempt in range(5):
            self._run_cron(when)
            if answer.date_webhook:
                delays.append(answer.date_webhook - when)
                when = answer.date_webhook
        self.assertEqual(
            delays, [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
        )
        self.assertEqual((answer.webhook_state, answer.webhook_attempt_count), ("failed", 5))
        self.assertIn("500", answer.webhook_error)
        self.assertEqual(len(self.server.received), 5)
        self.server.status = 200
        with freeze_time(when):
            answer.action_retry_webhook()
        self._run_cron(when)
        self.assertEqual(answer.webhook_state, "sent")

    def test_no_url_no_call(self):
        self.campaign.webhook_url = False
        _job, answer = self._completed_answer()
        self._run_cron(NOW)
        self.assertFalse(answer.webhook_state)
        self.assertFalse(self.server.received)
