from datetime import datetime, timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import FollowupCase


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestOutbox(FollowupCase):
    def test_plan_is_idempotent(self):
        first = self.plan()
        again = self.plan()
        self.assertEqual(len(first), 1)
        self.assertFalse(again, "A key already planned is ignored, not an error")
        self.assertEqual(self.Dispatch.search_count([("idempotency_key", "=", first.idempotency_key)]), 1)

    def test_plan_wakes_the_cron_at_the_earliest_time(self):
        cron = self.env.ref("customer_followup.ir_cron_followup_dispatch_send")
        later = self.MONDAY_OPEN + timedelta(hours=3)
        self.plan(date_planned=later)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.assertIn(later, triggers.mapped("call_at"))

    def test_send_email(self):
        dispatch = self.plan()
        self.send_due()
        self.assertEqual(dispatch.state, "sent")
        self.assertFalse(dispatch.reason)
        self.assertEqual(dispatch.address, "emilie.tremblay@example.com")
        self.assertEqual(dispatch.date_sent, self.MONDAY_OPEN)
        mail = dispatch.mail_mail_id
        self.assertEqual(mail.recipient_ids, self.partner)
        self.assertEqual(mail.subject, "Hello Émilie Tremblay")
        self.assertIn("your order is ready", mail.body_html)
        self.assertEqual(mail.state, "outgoing", "Handed to Odoo's mail queue")
        message = dispatch.mail_message_id
        self.assertEqual((message.model, message.res_id), ("res.partner", self.partner.id))
        self.assertIn(message, self.partner.message_ids, "What was sent shows on the record's chatter")
        self.assertEqual(message.notification_ids.res_partner_id, self.partner)

    def test_chatter_copy_is_sanitized_like_any_message(self):
        self.mail_template.body_html = (
            '<p style="position: fixed; color: red;">Dear <t t-out="object.name"/>, your order is ready.</p>'
        )
        dispatches = self.plan(self.partner | self._partners(1))
        self.send_due()
        for dispatch in dispatches:
            self.assertIn("position: fixed", dispatch.mail_mail_id.body_html, "The e-mail keeps its styles")
            body = dispatch.mail_message_id.body
            self.assertIn("your order is ready", body)
            self.assertIn("color:red", body)
            self.assertNotIn("position", body, "The chatter copy is sanitized as Odoo sanitizes messages")

    def test_chatter_copy_turns_embedded_images_into_attachments(self):
        pixel = (
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        )
        self.mail_template.body_html = f'<p>Your order <img src="data:image/png;base64,{pixel}"/></p>'
        dispatch = self.plan()
        self.send_due()
        message = dispatch.mail_message_id
        self.assertNotIn("base64", message.body)
        self.assertIn("/web/image/", message.body)
        self.assertEqual(len(message.attachment_ids), 1)

    def test_template_attachments_go_with_the_email(self):
        terms = self.env["ir.attachment"].create({"name": "terms.txt", "raw": b"Terms and conditions"})
        self.mail_template.attachment_ids = terms
        dispatch = self.plan()
        self.send_due()
        self.assertEqual(dispatch.mail_mail_id.attachment_ids, terms)

    def test_send_sms_in_e164(self):
        dispatch = self.plan(channel="sms")
        self.send_due()
        self.assertEqual(dispatch.state, "sent")
        self.assertEqual(dispatch.address, "+15145550100")
        self.assertEqual(dispatch.sms_id.number, "+15145550100")
        self.assertEqual(dispatch.sms_id.body, "Dear Émilie Tremblay, your order is ready.")
        self.assertEqual(dispatch.sms_id.state, "outgoing")
        message = dispatch.mail_message_id
        self.assertEqual(message.message_type, "sms")
        self.assertIn(message, self.partner.message_ids)

    def test_sms_queue_sends_through_the_provider(self):
        dispatch = self.plan(channel="sms")
        self.send_due()
        with self.mock_sms_provider() as sent_numbers:
            dispatch.sms_id.send(unlink_sent=False)
        self.assertEqual(sent_numbers, ["+15145550100"])
        self.assertEqual(dispatch.sms_id.state, "pending")

    def test_cancel(self):
        dispatch = self.plan()
        dispatch.action_cancel()
        self.send_due()
        self.assertEqual((dispatch.state, dispatch.reason), ("cancelled", "cancelled_by_user"))
        self.assertFalse(dispatch.mail_message_id)

    def test_future_rows_wait(self):
        dispatch = self.plan(date_planned=self.MONDAY_OPEN + timedelta(minutes=5))
        self.send_due()
        self.assertEqual(dispatch.state, "planned")
        with freeze_time(self.MONDAY_OPEN + timedelta(minutes=5)):
            self.send_due()
        self.assertEqual(dispatch.state, "sent")

    def test_consent_not_required_for_transactional_messages(self):
        self.partner.followup_email_consent = False
        dispatch = self.plan(is_consent_required=False)
        self.send_due()
        self.assertEqual(dispatch.state, "sent")


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestOutboxReasons(FollowupCase):
    """Each bad input ends as a recorded reason, and the others still go."""

    def assertOutcome(self, dispatch, state, reason):
        self.assertEqual((dispatch.state, dispatch.reason), (state, reason))
        self.assertFalse(dispatch.mail_message_id, "Nothing was sent")

    def test_every_reason_in_one_batch(self):
        partners = self._partners(11)
        (
            no_consent_mail,
            no_consent_sms,
            no_email,
            bad_email,
            no_phone,
            bad_phone,
            blacklisted_mail,
            blacklisted_phone,
            deleted,
            good_mail,
            good_sms,
        ) = partners
        no_consent_mail.followup_email_consent = False
        no_consent_sms.followup_sms_consent = False
        no_email.email = False
        bad_email.email = "not an e-mail"
        no_phone.mobile = False
        bad_phone.mobile = "12"
        self.env["mail.blacklist"]._add(blacklisted_mail.email)
        self.env["phone.blacklist"]._add(["+15145550007"])
        email_ones = no_consent_mail | no_email | bad_email | blacklisted_mail | deleted | good_mail
        sms_ones = no_consent_sms | no_phone | bad_phone | blacklisted_phone | good_sms
        by_partner = {d.partner_id: d for d in self.plan(email_ones) | self.plan(sms_ones, channel="sms")}
        deleted_dispatch = by_partner[deleted]
        deleted.unlink()

        self.send_due()

        self.assertOutcome(by_partner[no_consent_mail], "skipped", "no_consent")
        self.assertOutcome(by_partner[no_consent_sms], "skipped", "no_consent")
        self.assertOutcome(by_partner[no_email], "skipped", "no_email")
        self.assertOutcome(by_partner[bad_email], "skipped", "invalid_email")
        self.assertOutcome(by_partner[no_phone], "skipped", "no_phone")
        self.assertOutcome(by_partner[bad_phone], "skipped", "invalid_phone")
        self.assertIn("12", by_partner[bad_phone].error_message)
        self.assertOutcome(by_partner[blacklisted_mail], "skipped", "blacklisted")
        self.assertOutcome(by_partner[blacklisted_phone], "skipped", "blacklisted")
        self.assertOutcome(deleted_dispatch, "cancelled", "record_deleted")
        self.assertEqual(by_partner[good_mail].state, "sent")
        self.assertEqual(by_partner[good_sms].state, "sent")

    def test_deleted_source_record_cancels(self):
        task_partner = self._partners(1)
        dispatch = self.plan(task_partner, partner_id=self.partner.id)
        task_partner.unlink()
        self.send_due()
        self.assertOutcome(dispatch, "cancelled", "record_deleted")

    def test_no_recipient(self):
        dispatch = self.plan(partner_id=False)
        self.send_due()
        self.assertOutcome(dispatch, "skipped", "no_recipient")

    def test_no_template(self):
        dispatch = self.plan(mail_template_id=False)
        self.send_due()
        self.assertOutcome(dispatch, "skipped", "no_template")

    def test_invalid_phone_is_never_sent_raw(self):
        self.partner.mobile = "555-ABCD"
        self.partner.phone = False
        dispatch = self.plan(channel="sms")
        self.send_due()
        self.assertOutcome(dispatch, "skipped", "invalid_phone")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", self.partner.id)]))

    def test_render_error_fails_one_row_only(self):
        partners = self._partners(3)
        broken = partners[1]
        self.mail_template.subject = (
            "{{ object.name if object.id != BROKEN else object.nonexistent_field }}".replace(
                "BROKEN", str(broken.id)
            )
        )
        dispatches = self.plan(partners)
        self.send_due()
        failed = dispatches.filtered(lambda d: d.partner_id == broken)
        self.assertEqual((failed.state, failed.reason), ("failed", "render_error"))
        self.assertIn("nonexistent_field", failed.error_message)
        self.assertEqual(set((dispatches - failed).mapped("state")), {"sent"})

    def test_batch_rendering_matches_odoo_rendering(self):
        """Subjects rendered for the batch at once are the ones Odoo renders record by record."""
        partners = self._partners(3)
        self.mail_template.subject = (
            "{{ object.name.upper() }} / {{ object.email or 'none' }} / {{ ctx.get('x', 1) }}"
        )
        expected = {
            partner.id: self.mail_template._render_field("subject", partner.ids)[partner.id]
            for partner in partners
        }
        batch = self.mail_template.with_context(followup_batch_render=True)._render_field(
            "subject", partners.ids
        )
        self.assertEqual(batch, expected)

    def test_batch_rendering_refuses_what_safe_eval_refuses(self):
        partners = self._partners(2)
        self.mail_template.subject = "{{ object.__class__ }}"
        dispatches = self.plan(partners)
        self.send_due()
        self.assertEqual(set(dispatches.mapped("reason")), {"render_error"})

    def test_template_of_another_model_fails_with_reason(self):
        self.mail_template.model_id = self.env["ir.model"]._get_id("res.users")
        dispatch = self.plan()
        self.send_due()
        self.assertEqual((dispatch.state, dispatch.reason), ("failed", "render_error"))
        self.assertIn("res.users", dispatch.error_message)

    def test_retry_failed(self):
        self.mail_template.subject = "{{ object.nonexistent_field }}"
        dispatch = self.plan()
        self.send_due()
        self.assertEqual(dispatch.state, "failed")
        self.mail_template.subject = "Fixed"
        dispatch.action_retry()
        self.assertEqual((dispatch.state, dispatch.reason), ("planned", False))
        self.send_due()
        self.assertEqual(dispatch.state, "sent")
        self.assertEqual(dispatch.mail_mail_id.subject, "Fixed")
        self.assertEqual(dispatch.attempt_count, 2, "The failed try counts as an attempt")


@tagged("post_install", "-at_install")
class TestSendNow(FollowupCase):
    SATURDAY = datetime(2025, 11, 8, 16, 0)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "followup_clerk", groups="customer_followup.group_followup_user")

    @freeze_time(SATURDAY)
    def test_send_now_skips_window_and_caps_not_consent(self):
        self.policy.email_daily_cap = 1
        others = self._partners(2)
        others[1].followup_email_consent = False
        dispatches = self.plan(self.partner | others)
        self.assertEqual(set(dispatches.mapped("reason")), {"outside_hours"})
        dispatches.action_send_now()
        self.assertEqual(dispatches.mapped("state"), ["sent", "sent", "skipped"])
        self.assertEqual(dispatches[2].reason, "no_consent")

    @freeze_time(SATURDAY)
    def test_send_now_needs_the_administrator_group(self):
        dispatch = self.plan()
        with self.assertRaises(AccessError):
            dispatch.with_user(self.user).action_send_now()
        self.assertEqual(dispatch.state, "planned")


@tagged("post_install", "-at_install")
class TestSendWorkers(FollowupCase):
    def workers(self):
        return self.Dispatch._send_workers()

    def test_settings_add_and_remove_workers(self):
        self.assertEqual(len(self.workers()), 1)
        settings = self.env["res.config.settings"].create({"followup_send_workers": 3})
        settings.execute()
        workers = self.workers()
        self.assertEqual(len(workers), 3)
        self.assertEqual(
            sorted(workers.mapped("code")),
            ["model._cron_send_due()", "model._cron_send_due(worker=2)", "model._cron_send_due(worker=3)"],
        )
        self.env["ir.cron.trigger"].search([("cron_id", "in", workers.ids)]).unlink()
        self.plan()
        self.assertEqual(
            len(self.env["ir.cron.trigger"].search([("cron_id", "in", workers.ids)])),
            3,
            "Every worker is woken",
        )
        self.env["res.config.settings"].create({"followup_send_workers": 1}).execute()
        self.assertEqual(self.workers(), self.env.ref("customer_followup.ir_cron_followup_dispatch_send"))
        self.assertEqual(self.env["res.config.settings"].create({}).followup_send_workers, 1)
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"followup_send_workers": 0}).execute()


@tagged("post_install", "-at_install")
class TestReadableOutbox(FollowupCase):
    def test_labels_a_user_reads(self):
        dispatch = self.plan(occurrence="remind:2025-11-04T17:00:00")
        self.assertEqual(dispatch.display_name, "E-mail to Émilie Tremblay", "The contact itself: said once")
        self.assertTrue(
            dispatch.occurrence_label.startswith("Reminder of 11/4/25"), dispatch.occurrence_label
        )
        dispatch = self.plan(key="created", occurrence="created@2025-11-03T15:00:00")
        self.assertTrue(dispatch.occurrence_label.startswith("Created on"), dispatch.occurrence_label)
        self.assertEqual(self.policy.limits_summary, "No limit")
        self.policy.write({"email_daily_cap": 200, "pressure_max_messages": 3})
        self.assertEqual(self.policy.limits_summary, "200 e-mails a day, 3 per person in 7 days")
