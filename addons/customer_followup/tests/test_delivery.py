import smtplib
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.base.tests.common import MockSmtplibCase
from odoo.addons.customer_followup.models.followup_dispatch import MAX_ATTEMPTS

from .common import FollowupCase

BOUNCE = """\
From: MAILER-DAEMON <mailer-daemon@example.com>
To: shop@example.com
Subject: Undelivered Mail Returned to Sender
Message-Id: <bounce-{token}@example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="XXX"

--XXX
Content-Type: text/plain

The mail system could not deliver your message.

--XXX
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {email}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--XXX
Content-Type: message/rfc822

Message-Id: {message_id}
From: shop@example.com
To: {email}
Subject: Hello

Hello
--XXX--
"""


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestDelivery(FollowupCase, MockSmtplibCase):
    """After "sent", each row follows its message through Odoo's own
    records: the mail queue, the SMS provider's answers, the mail gateway.
    Only the SMTP connection and the SMS provider are stood in for."""

    def process_mail_queue(self, smtp_error=None, connect_error=None):
        """Run Odoo's mail queue against a stand-in SMTP server, which fails
        each message with ``smtp_error`` or cannot be reached (``connect_error``)."""
        with self.mock_smtplib_connection(), mute_logger("odoo.addons.mail.models.mail_mail"):
            if connect_error:
                with patch("smtplib.SMTP", side_effect=connect_error):
                    self.env["mail.mail"].sudo().process_email_queue()
            elif smtp_error:
                with patch.object(self.testing_smtp_session, "sendmail", side_effect=smtp_error):
                    self.env["mail.mail"].sudo().process_email_queue()
            else:
                self.env["mail.mail"].sudo().process_email_queue()

    def test_email_accepted_by_the_smtp_server_is_delivered(self):
        dispatch = self.plan()
        self.send_due()
        self.assertEqual(dispatch.state, "sent", "Sent means handed to Odoo's mail queue")
        self.process_mail_queue()
        to_emilie = [
            email for email in self.emails if email["smtp_to_list"] == ["emilie.tremblay@example.com"]
        ]
        self.assertEqual(len(to_emilie), 1)
        self.assertEqual(dispatch.state, "delivered")

    def test_email_refused_by_the_smtp_server_fails_with_its_reason(self):
        dispatch = self.plan()
        self.send_due()
        refused = smtplib.SMTPRecipientsRefused(
            {"emilie.tremblay@example.com": (550, b"5.1.1 <emilie.tremblay@example.com>: User unknown")}
        )
        self.process_mail_queue(smtp_error=refused)
        self.assertFalse([e for e in self.emails if "emilie.tremblay@example.com" in e["smtp_to_list"]])
        self.assertEqual((dispatch.state, dispatch.reason), ("failed", "delivery_failed"))
        self.assertEqual(dispatch.failure_type, "mail_email_invalid")
        self.assertIn("User unknown", dispatch.error_message)
        self.assertFalse(dispatch.date_retry, "A refused address does not get better by retrying")

    def test_bounce_through_the_mail_gateway(self):
        dispatch = self.plan()
        self.send_due()
        self.process_mail_queue()
        self.assertEqual(dispatch.state, "delivered")
        bounce = BOUNCE.format(
            token="1", email="emilie.tremblay@example.com", message_id=dispatch.mail_message_id.message_id
        )
        events = []
        with patch.object(
            type(self.env["res.partner"]),
            "_followup_delivery_event",
            lambda model, dispatches, event: events.append((dispatches, event)),
            create=True,
        ):
            self.env["mail.thread"].message_process(False, bounce)
        self.assertEqual(
            (dispatch.state, dispatch.reason, dispatch.failure_type), ("bounced", "bounced", "mail_bounce")
        )
        self.assertEqual(events, [], "No origin model: no event to tell")

    def test_origin_hears_of_a_bounce(self):
        dispatch = self.plan(origin_model="res.partner", origin_id=self.partner.id)
        self.send_due()
        self.process_mail_queue()
        events = []
        with patch.object(
            type(self.env["res.partner"]),
            "_followup_delivery_event",
            lambda model, dispatches, event: events.append((dispatches.ids, event)),
            create=True,
        ):
            self.env["mail.thread"].message_process(
                False,
                BOUNCE.format(
                    token="2",
                    email="emilie.tremblay@example.com",
                    message_id=dispatch.mail_message_id.message_id,
                ),
            )
        self.assertEqual(dispatch.state, "bounced")
        self.assertEqual(events, [(dispatch.ids, "bounced")])

    def test_sms_rejected_by_the_provider_fails_for_good(self):
        dispatch = self.plan(channel="sms", origin_model="res.partner", origin_id=self.partner.id)
        self.send_due()
        events = []
        with (
            self.mock_sms_provider(state="wrong_number_format"),
            patch.object(
                type(self.env["res.partner"]),
                "_followup_delivery_event",
                lambda model, dispatches, event: events.append((dispatches.ids, event)),
                create=True,
            ),
        ):
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual((dispatch.state, dispatch.reason), ("failed", "delivery_failed"))
        self.assertEqual(dispatch.failure_type, "sms_number_format")
        self.assertFalse(dispatch.date_retry, "A wrong number does not get better by retrying")
        self.assertEqual(events, [(dispatch.ids, "failed")])

    def test_sms_delivery_report(self):
        dispatch = self.plan(channel="sms")
        self.send_due()
        uuid = dispatch.sms_id.uuid
        with self.mock_sms_provider():
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(dispatch.state, "sent", "Accepted by the provider, not yet delivered")
        tracker = self.env["sms.tracker"].sudo().search([("sms_uuid", "=", uuid)])
        tracker._action_update_from_sms_state("sent")
        self.assertEqual(dispatch.state, "delivered")

    def test_sms_provider_down_is_retried_with_backoff_then_fails_for_good(self):
        dispatch = self.plan(channel="sms")
        self.send_due()
        now = self.MONDAY_OPEN
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with self.mock_sms_provider(state="server_error"), freeze_time(now):
                self.env["sms.sms"].sudo()._process_queue()
            self.assertEqual((dispatch.state, dispatch.failure_type), ("failed", "sms_server"))
            self.assertEqual(dispatch.attempt_count, attempt)
            if attempt == MAX_ATTEMPTS:
                break
            self.assertGreater(dispatch.date_retry, now)
            now = dispatch.date_retry
            with freeze_time(now - timedelta(seconds=1)):
                self.send_due()
            self.assertEqual(dispatch.state, "failed", "Not retried before its time")
            with freeze_time(now):
                self.send_due()
            self.assertEqual(dispatch.state, "sent", "Handed back to Odoo's SMS queue")
            self.assertEqual(dispatch.sms_id.state, "outgoing")
        self.assertFalse(dispatch.date_retry, "Failed for good after the last attempt")
        self.assertEqual(
            len(self.env["sms.sms"].search([("mail_message_id", "=", dispatch.mail_message_id.id)])), 1
        )

    def test_email_retry_after_smtp_down_sends_the_same_mail(self):
        """The server cannot be reached: a transient failure, retried in 5
        minutes with the same e-mail."""
        dispatch = self.plan()
        self.send_due()
        mail = dispatch.mail_mail_id
        self.process_mail_queue(connect_error=ConnectionRefusedError("Connection refused"))
        self.assertEqual((dispatch.state, dispatch.failure_type), ("failed", "mail_smtp"))
        self.assertIn("Connection refused", dispatch.error_message)
        self.assertEqual(dispatch.date_retry, self.MONDAY_OPEN + timedelta(minutes=5))
        with freeze_time(dispatch.date_retry):
            self.send_due()
            self.assertEqual(dispatch.state, "sent")
            self.assertEqual(mail.state, "outgoing")
            self.process_mail_queue()
        self.assertEqual(dispatch.state, "delivered")
        self.assertEqual(dispatch.attempt_count, 2)
        self.assertEqual(
            len(
                self.env["mail.message"].search(
                    [
                        ("model", "=", "res.partner"),
                        ("res_id", "=", self.partner.id),
                        ("message_type", "=", "comment"),
                    ]
                )
            ),
            1,
        )

    def test_render_error_is_retried_then_fails_for_good(self):
        self.mail_template.subject = "{{ object.nonexistent_field }}"
        dispatch = self.plan()
        now = self.MONDAY_OPEN
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with freeze_time(now):
                self.send_due()
            self.assertEqual(
                (dispatch.state, dispatch.reason, dispatch.attempt_count), ("failed", "render_error", attempt)
            )
            now = dispatch.date_retry
        self.assertFalse(dispatch.date_retry)
        self.mail_template.subject = "Fixed"
        dispatch.action_retry()
        self.send_due()
        self.assertEqual(dispatch.state, "sent", "A user can still retry by hand")

    def test_tracking_is_set_based(self):
        dispatches = self.plan(self._partners(50))
        self.send_due()
        notifications = self.env["mail.notification"].search(
            [("mail_message_id", "in", dispatches.mail_message_id.ids)]
        )
        self.assertEqual(len(notifications), 50)
        self.env.invalidate_all()
        # Odoo's UPDATE of the notifications, then ours: read their messages
        # and statuses, find the rows, read them, one UPDATE for all
        with self.assertQueryCount(__system__=6):
            notifications.write({"notification_status": "sent"})
        self.assertEqual(set(dispatches.mapped("state")), {"delivered"})
