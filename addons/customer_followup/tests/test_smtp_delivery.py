import smtplib
from unittest.mock import patch

from odoo import api, modules, sql_db
from odoo.tests import freeze_time, tagged

from .common import FollowupCase, plan_committed
from .smtp_server import Recorder, start_smtp_server
from .test_delivery import BOUNCE


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestSmtpDelivery(FollowupCase):
    """The outbox's e-mails go to a real SMTP server on 127.0.0.1, through
    Odoo's mail queue and one SMTP session per batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mail_template.attachment_ids = cls.env["ir.attachment"].create(
            {"name": "conditions.txt", "raw": b"Terms and conditions", "mimetype": "text/plain"}
        )
        cls.customers = cls._partners(12)

    pipelining = False

    def setUp(self):
        super().setUp()
        self.server = self.start_server(self.recorder())

    def recorder(self, **options):
        return Recorder(pipelining=self.pipelining, **options)

    def start_server(self, handler, **smtp_options):
        controller = start_smtp_server(handler, **smtp_options)
        self.addCleanup(controller.stop)
        # this test's e-mails only: the demo data has some queued too
        self.env["mail.mail"].search([("state", "=", "outgoing")]).state = "cancel"
        self.env["ir.mail_server"].search([]).active = False
        self.env["ir.mail_server"].create(
            {
                "name": "Local SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": controller.port,
                "smtp_encryption": "none",
            }
        )
        return handler

    def run_mail_queue(self):
        # Odoo's test mode skips SMTP: this test talks to a real server
        with patch.object(modules.module, "current_test", False):
            self.env["mail.mail"].sudo().process_email_queue()

    def received_by(self, email):
        return [m for m in self.server.messages if m["rcpt_tos"] == [email]]

    def test_every_email_arrives_once_with_its_headers_and_attachment(self):
        dispatches = self.plan(self.customers)
        self.send_due()
        self.run_mail_queue()
        self.assertEqual(len(self.server.messages), 12)
        self.assertEqual(set(dispatches.mapped("state")), {"delivered"})
        for dispatch in dispatches:
            (received,) = self.received_by(dispatch.partner_id.email)
            message = received["message"]
            self.assertEqual(
                message["Message-Id"], dispatch.mail_message_id.message_id, "Replies find the record"
            )
            self.assertEqual(message["Subject"], f"Hello {dispatch.partner_id.name}")
            self.assertEqual(message["Reply-To"], dispatch.mail_mail_id.reply_to or message["Reply-To"])
            bounce = self.env.company.bounce_email
            if bounce:
                self.assertEqual(received["mail_from"], bounce, "Bounces come back to Odoo's bounce alias")
            (attachment,) = list(message.iter_attachments())
            self.assertEqual(attachment.get_filename(), "conditions.txt")
            self.assertEqual(attachment.get_content(), "Terms and conditions")
        notifications = self.env["mail.notification"].search(
            [("mail_message_id", "in", dispatches.mail_message_id.ids)]
        )
        self.assertEqual(set(notifications.mapped("notification_status")), {"sent"})

    def test_delivery_step_query_count(self):
        self.plan(self._partners(50, city="Laval"))
        self.send_due()
        self.env.invalidate_all()
        # Odoo's queue (search, split per server, connect) and the outbox's
        # batch: read, record the outcomes, delete the auto-deleted mails;
        # nothing per e-mail (outside tests, one statement per e-mail marks it sent)
        with patch.object(modules.module, "current_test", False), self.assertQueryCount(__system__=27):
            self.env["mail.mail"].sudo().process_email_queue()
        self.assertEqual(len(self.server.messages), 50)

    def test_refused_recipient_fails_alone_with_the_servers_reason(self):
        self.server.refuse = {self.customers[3].email}
        dispatches = self.plan(self.customers)
        self.send_due()
        self.run_mail_queue()
        refused = dispatches.filtered(lambda d: d.partner_id == self.customers[3])
        self.assertEqual((refused.state, refused.failure_type), ("failed", "mail_email_invalid"))
        self.assertIn("Recipient address rejected", refused.error_message)
        self.assertEqual(set((dispatches - refused).mapped("state")), {"delivered"})
        self.assertEqual(len(self.server.messages), 11)

    def test_server_going_away_leaves_the_rest_queued_and_a_rerun_sends_each_once(self):
        self.server.vanish_after = 5
        dispatches = self.plan(self.customers)
        self.send_due()
        # Odoo's queue reports the lost connection when it closes the session
        with self.assertLogs("odoo.addons.mail.models.mail_mail", "ERROR"):
            self.run_mail_queue()
        self.assertEqual(len(self.server.messages), 5)
        self.assertEqual(sorted(dispatches.mapped("state")), ["delivered"] * 5 + ["sent"] * 7)
        self.assertEqual(
            set(dispatches.filtered(lambda d: d.state == "sent").mail_mail_id.mapped("state")), {"outgoing"}
        )
        self.server.vanish_after = None
        self.run_mail_queue()
        self.assertEqual(set(dispatches.mapped("state")), {"delivered"})
        self.assertEqual(
            sorted(m["rcpt_tos"][0] for m in self.server.messages), sorted(self.customers.mapped("email"))
        )

    def test_message_too_big_fails_alone(self):
        self.server = self.start_server(self.recorder(), data_size_limit=20_000)
        big, *others = self.customers[:3]
        dispatches = self.plan(big | self.env["res.partner"].concat(*others))
        big_dispatch = dispatches.filtered(lambda d: d.partner_id == big)
        self.send_due()
        big_dispatch.mail_mail_id.attachment_ids = self.env["ir.attachment"].create(
            {"name": "plans.pdf", "raw": b"%PDF" * 10_000, "mimetype": "application/pdf"}
        )
        self.run_mail_queue()
        self.assertEqual((big_dispatch.state, big_dispatch.failure_type), ("failed", "mail_too_big"))
        self.assertIn("552", big_dispatch.error_message)
        self.assertEqual(set((dispatches - big_dispatch).mapped("state")), {"delivered"})
        self.assertEqual(len(self.server.messages), 2)

    def test_an_email_odoo_cannot_send_fails_alone_with_odoos_reason(self):
        # a non-ASCII domain goes to Odoo's builder, whose checks refuse it
        jose = self._partners(1, name="José", email="jose@exämple.com")
        dispatches = self.plan(jose | self.customers[:2])
        self.send_due()
        self.run_mail_queue()
        refused = dispatches.filtered(lambda d: d.partner_id == jose)
        self.assertEqual((refused.state, refused.failure_type), ("failed", "mail_email_invalid"))
        self.assertIn("valid recipient", refused.error_message)
        self.assertEqual(set((dispatches - refused).mapped("state")), {"delivered"})
        self.assertEqual(len(self.server.messages), 2)

    def test_bounce_of_a_delivered_email_comes_back_to_its_record(self):
        dispatch = self.plan()
        self.send_due()
        self.run_mail_queue()
        self.assertEqual(dispatch.state, "delivered")
        sent_id = self.server.messages[-1]["message"]["Message-Id"]
        self.env["mail.thread"].message_process(
            False, BOUNCE.format(token="smtp", email="emilie.tremblay@example.com", message_id=sent_id)
        )
        self.assertEqual((dispatch.state, dispatch.failure_type), ("bounced", "mail_bounce"))

    def test_odoos_own_emails_keep_odoos_path(self):
        mail = self.env["mail.mail"].create(
            {"email_to": "someone@example.com", "subject": "Odoo's own", "body_html": "<p>Hi</p>"}
        )
        with patch.object(type(self.env["followup.channel.email"]), "_deliver") as deliver:
            self.run_mail_queue()
        deliver.assert_not_called()
        self.assertEqual(mail.exists().state if mail.exists() else "sent", "sent")
        self.assertEqual([m["rcpt_tos"] for m in self.server.messages], [["someone@example.com"]])


@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestSmtpDeliveryPipelined(TestSmtpDelivery):
    """The same, with a server that offers PIPELINING: each e-mail's
    envelope is written at once (two round trips instead of four)."""

    pipelining = True

    def test_the_envelope_is_pipelined(self):
        dispatches = self.plan(self.customers)
        self.send_due()
        with patch.object(smtplib.SMTP, "sendmail", side_effect=AssertionError("not pipelined")):
            self.run_mail_queue()
        self.assertEqual(set(dispatches.mapped("state")), {"delivered"})
        self.assertEqual(len(self.server.messages), 12)


class WorkerKilled(BaseException):
    """What the mail queue's worker sees when it is killed mid-batch."""


@tagged("post_install", "-at_install")
class TestSmtpCrash(FollowupCase):
    """A worker killed mid-batch, on committed data: every e-mail is either
    sent once or still queued, and a rerun sends each remaining one once.
    This test commits its own data on real connections and removes it."""

    def test_crash_mid_batch_sends_each_email_once(self):
        server = Recorder()
        controller = start_smtp_server(server)
        self.addCleanup(controller.stop)
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as setup_cr:
            env = api.Environment(setup_cr, api.SUPERUSER_ID, {"tracking_disable": True})
            mail_server = env["ir.mail_server"].create(
                {
                    "name": "Crash SMTP",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": controller.port,
                    "smtp_encryption": "none",
                }
            )
            partners, _template, dispatches = plan_committed(
                env, "Crash", 12, template_vals={"mail_server_id": mail_server.id}
            )
            env["followup.dispatch"].browse(dispatches.ids)._process()
            setup_cr.commit()
            mail_ids = dispatches.mail_mail_id.ids
        partner_ids, dispatch_ids = partners.ids, dispatches.ids
        original = smtplib.SMTP.sendmail
        sent = []

        def killed_after_five(session, smtp_from, smtp_to_list, *args, **kwargs):
            if len(sent) == 5:
                raise WorkerKilled()
            sent.append(smtp_to_list)
            return original(session, smtp_from, smtp_to_list, *args, **kwargs)

        try:
            with patch.object(modules.module, "current_test", False):
                with patch.object(smtplib.SMTP, "sendmail", killed_after_five):
                    with db.cursor() as cr, self.assertRaises(WorkerKilled):
                        api.Environment(cr, api.SUPERUSER_ID, {})["mail.mail"].browse(mail_ids).send(
                            auto_commit=True
                        )
                self.assertEqual(len(server.messages), 5)
                with db.cursor() as cr:
                    cr.execute(
                        "SELECT state, count(*) FROM mail_mail WHERE id = ANY(%s) GROUP BY state", [mail_ids]
                    )
                    self.assertEqual(
                        dict(cr.fetchall()), {"sent": 5, "outgoing": 7}, "Sent once or still queued"
                    )
                with db.cursor() as cr:
                    api.Environment(cr, api.SUPERUSER_ID, {})["mail.mail"].browse(mail_ids).exists().send(
                        auto_commit=True
                    )
            self.assertEqual(
                sorted(m["rcpt_tos"][0] for m in server.messages),
                sorted(f"crash{i}@example.com" for i in range(12)),
                "Each e-mail once, none twice",
            )
            with db.cursor() as cr:
                cr.execute(
                    "SELECT state, count(*) FROM followup_dispatch WHERE id = ANY(%s) GROUP BY state",
                    [dispatch_ids],
                )
                self.assertEqual(
                    dict(cr.fetchall()), {"delivered": 12}, "The rerun also records the interrupted ones"
                )
        finally:
            with db.cursor() as cleanup_cr:
                env = api.Environment(cleanup_cr, api.SUPERUSER_ID, {})
                env["followup.dispatch"].browse(dispatch_ids).unlink()
                env["mail.mail"].browse(mail_ids).exists().unlink()
                env["mail.message"].search(
                    [("model", "=", "res.partner"), ("res_id", "in", partner_ids)]
                ).unlink()
                env["res.partner"].browse(partner_ids).unlink()
                env["mail.template"].search([("name", "=", "Crash test")]).unlink()
                env["ir.mail_server"].search([("name", "=", "Crash SMTP")]).unlink()
                cleanup_cr.commit()
