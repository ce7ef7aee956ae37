import hashlib
import hmac
import json
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged

from .webhook_receiver import start_receiver

NOW = datetime(2026, 12, 1, 15, 0)


@tagged("post_install", "-at_install")
class TestWebhookCalls(TransactionCase):
    """The outbox's webhook calls: signed, posted by the cron with a
    timeout, tried again with a growing delay, their failure kept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_receiver(cls)
        cls.Webhook = cls.env["followup.webhook"]

    def setUp(self):
        super().setUp()
        self.receiver.received.clear()
        self.receiver.status, self.receiver.delay = 200, 0

    def _queue(self, **vals):
        with freeze_time(NOW):
            return self.Webhook._queue(
                [
                    {
                        "name": "test.event",
                        "url": self.receiver_url,
                        "secret": "s3cret",
                        "body": {"a": 1},
                        **vals,
                    }
                ]
            )

    def _post(self, when=NOW):
        with freeze_time(when):
            self.Webhook._cron_post_due(auto_commit=False)

    def test_the_call_is_signed_and_sent_by_the_cron_not_at_once(self):
        call = self._queue()
        self.assertEqual(call.state, "pending")
        self.assertFalse(self.receiver.received, "nothing leaves inside the transaction that queued it")
        self._post()
        headers, body = self.receiver.received[0]
        self.assertEqual(json.loads(body), {"a": 1})
        expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        self.assertEqual(headers["X-Followup-Signature"], f"sha256={expected}")
        self.assertEqual(headers["X-Followup-Event"], "test.event")
        self.assertEqual((call.state, call.response_code, call.attempt_count), ("sent", 200, 1))

    def test_a_failure_is_tried_again_later_then_kept(self):
        self.receiver.status = 500
        call = self._queue()
        self._post()
        self.assertEqual((call.state, call.attempt_count, call.response_code), ("pending", 1, 500))
        self.assertIn("500", call.error_message)
        self.assertEqual(call.date_next, NOW + timedelta(minutes=1))
        self._post(NOW + timedelta(seconds=30))
        self.assertEqual(call.attempt_count, 1, "not before its time")
        when = NOW
        for _attempt in range(4):
            when = call.date_next
            self._post(when)
        self.assertEqual((call.state, call.attempt_count), ("failed", 5))
        self.assertFalse(call.date_next)
        self.receiver.status = 200
        with freeze_time(when):
            call.action_retry()
        self._post(when)
        self.assertEqual(call.state, "sent")

    def test_a_timeout_is_recorded_and_does_not_hold_the_others(self):
        self.env["ir.config_parameter"].set_param("customer_followup.webhook_timeout", "0.2")
        self.receiver.delay = 0.5
        slow = self._queue()
        self._post()
        self.assertEqual(slow.state, "pending")
        self.assertIn("timed out", slow.error_message.lower())
        self.receiver.delay = 0
        other = self._queue(url=self.receiver_url + "/other")
        self._post()
        self.assertEqual(other.state, "sent")

    def test_an_unreachable_url_is_a_failure_with_its_reason(self):
        call = self._queue(url="http://127.0.0.1:9/nothing-listens-here")
        self._post()
        self.assertEqual(call.state, "pending")
        self.assertTrue(call.error_message)
