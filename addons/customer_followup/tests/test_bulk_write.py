from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from ..models.bulk_write import create_rows
from .common import FollowupCase
from .test_rules import FollowupRuleCase


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestCreateRows(FollowupRuleCase):
    """``create_rows`` inserts rows in bulk with what the ORM's create gives
    them, and lets ``create`` do it when a rule reacts to new records."""

    def test_rows_get_what_create_gives_them(self):
        Message = self.env["mail.message"].sudo()
        cached = self.partner.message_ids
        messages = create_rows(
            Message,
            [
                {
                    "model": "res.partner",
                    "res_id": self.partner.id,
                    "body": '<p style="position: fixed; color: red;">Ready<script>alert(1)</script></p>',
                    "partner_ids": [Command.link(self.partner.id)],
                },
                {"model": "res.partner", "res_id": self.partner.id, "subject": "Second"},
            ],
        )
        first, second = messages
        self.assertEqual(messages.mapped("subject"), [False, "Second"], "In the order of the values")
        self.assertIn("Ready", first.body)
        self.assertIn("color:red", first.body)
        self.assertNotIn("script", first.body, "The body is sanitized as the ORM sanitizes it")
        self.assertNotIn("position", first.body)
        self.assertEqual(first.partner_ids, self.partner, "Many2many values land in their relation table")
        self.assertFalse(second.partner_ids)
        self.assertEqual(second.message_type, "comment", "The field's default")
        self.assertEqual(second.date, self.MONDAY_OPEN)
        self.assertEqual(second.create_uid, self.env.user)
        self.assertEqual(second.create_date, self.env.cr.now(), "As the ORM: the transaction's time")
        self.assertFalse(cached & messages)
        self.assertEqual(
            self.partner.message_ids & messages, messages, "The thread's cached messages are invalidated"
        )

    def test_each_row_gets_its_own_default(self):
        guests = create_rows(self.env["mail.guest"].sudo(), [{"name": "Ann"}, {"name": "Bob"}])
        tokens = guests.mapped("access_token")
        self.assertTrue(all(tokens))
        self.assertEqual(len(set(tokens)), 2, "A default such as a token is computed for each row")

    def test_default_from_the_context_is_shared(self):
        Notification = self.env["mail.notification"].sudo().with_context(default_is_read=True)
        message = self.partner.message_post(body="Hello")
        notifications = create_rows(
            Notification,
            [
                {"mail_message_id": message.id, "res_partner_id": partner.id, "notification_type": "inbox"}
                for partner in self.partner | self._partners(1)
            ],
        )
        self.assertEqual(notifications.mapped("is_read"), [True, True])
        self.assertEqual(notifications.mapped("notification_status"), ["ready", "ready"])

    def test_companies_are_checked(self):
        other = self.env["res.company"].create({"name": "Other shop"})
        with self.assertRaises(UserError):
            create_rows(
                self.Dispatch.sudo(),
                [
                    {
                        "channel": "email",
                        "partner_id": self.partner.id,
                        "res_model": "res.partner",
                        "res_id": self.partner.id,
                        "company_id": other.id,
                        "policy_id": self.policy.id,
                        "mail_template_id": self.mail_template.id,
                        "date_planned": self.MONDAY_OPEN,
                        "date_earliest": self.MONDAY_OPEN,
                        "idempotency_key": "other company",
                    }
                ],
            )

    def test_unknown_commands_are_refused_before_anything_is_written(self):
        Message = self.env["mail.message"].sudo()
        count = Message.search_count([])
        with self.assertRaises(ValueError):
            create_rows(
                Message,
                [{"model": "res.partner", "res_id": self.partner.id, "partner_ids": [Command.clear()]}],
            )
        self.assertEqual(Message.search_count([]), count)

    def test_new_records_go_through_create_when_a_rule_reacts_to_them(self):
        rule = self.rule("res.partner", channel="email")
        partners = create_rows(
            self.env["res.partner"].sudo(),
            [{"name": "Noah Roy", "email": "noah.roy@example.com", "followup_email_consent": True}],
        )
        self.assertEqual(len(self.dispatches(partners, rule)), 1, "The rule planned its message")

    def test_parents_are_given_not_made(self):
        with self.assertRaises(ValueError):
            create_rows(self.env["mail.mail"].sudo(), [{"body_html": "<p>No message</p>"}])
