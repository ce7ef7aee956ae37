from email import message_from_bytes, policy

from odoo.tests import TransactionCase, tagged

from ..tools import mime

HEADERS = ("Message-Id", "References", "Subject", "From", "Reply-To", "To", "Cc", "Return-Path", "X-Followup")


def attachments(message):
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    ]


@tagged("post_install", "-at_install")
class TestMime(TransactionCase):
    """The outbox composes its e-mails' MIME bytes itself: a reader (a mail
    client, the mail gateway) sees the same message as Odoo's builder makes."""

    def email(self, **values):
        body = (
            "<div><p>Bonjour Émilie,</p>\n"
            "<p>Votre rendez-vous est prévu mardi 4 novembre à 09:00.</p>\n"
            ".a line that starts with a dot\nFrom the workshop\n"
            f"<p>{'long line, ' * 200}</p>\n"
            "<p>-- signature = 100% ✓</p></div>"
        )
        return {
            "attachments": [],
            "body": body,
            "body_alternative": "Bonjour Émilie,\nVotre rendez-vous est prévu mardi.\n-- signature = 100% ✓",
            "email_cc": [],
            "email_to": ['"Émilie Tremblay" <emilie@example.com>'],
            "headers": {"Return-Path": "bounce@example.com", "X-Followup": "reminder"},
            "message_id": "<123.456-repair.order-7@example.com>",
            "object_id": "7-repair.order",
            "references": "<100@example.com> <101@example.com>",
            "reply_to": '"Atelier Montréal" <catchall@example.com>',
            "subject": "Rappel : votre rendez-vous à l'atelier de Montréal, " + "très bientôt " * 6,
            **values,
        }

    def both(self, email, email_from='"Atelier Montréal" <shop@example.com>'):
        """(ours, Odoo's), each as a mail client reads it."""
        ours = mime.compose(mime.headers_message(email_from, email), email)
        odoo = (
            self.env["ir.mail_server"]
            .build_email(
                email_from=email_from,
                subtype="html",
                subtype_alternative="plain",
                **email,
            )
            .as_bytes()
        )
        self.assertTrue(all(len(line) <= 998 for line in ours.split(b"\r\n")), "SMTP's line limit")
        self.assertNotIn(b"\n", ours.replace(b"\r\n", b""), "CRLF line ends only")
        return (message_from_bytes(data, policy=policy.default) for data in (ours, odoo))

    def assertSameMessage(self, ours, odoo):
        for name in HEADERS:
            self.assertEqual(str(ours[name]), str(odoo[name]), name)
        for subtype in ("plain", "html"):
            self.assertEqual(
                ours.get_body((subtype,)).get_content().strip(),
                odoo.get_body((subtype,)).get_content().strip(),
                subtype,
            )
        self.assertEqual(attachments(ours), attachments(odoo))

    def test_same_message_as_odoos_builder(self):
        self.assertSameMessage(*self.both(self.email()))

    def test_same_message_with_attachments_and_copies(self):
        email = self.email(
            attachments=[
                ("Facture n°7 (été).pdf", b"%PDF-1.4 " + bytes(range(256)) * 40, "application/pdf"),
                ("conditions.txt", b"Terms and conditions", "text/plain"),
                ("data", b"\x00\x01", False),
            ],
            email_cc=["chef@example.com", '"Service, après-vente" <sav@example.com>'],
            email_to=['"Émilie Tremblay" <emilie@example.com>', "marc@example.com"],
        )
        ours, odoo = self.both(email)
        self.assertSameMessage(ours, odoo)
        self.assertEqual(len(list(ours.iter_attachments())), 3)

    def test_an_email_not_alike_is_left_to_odoos_builder(self):
        email_from = "shop@example.com"
        self.assertIsNotNone(mime.headers_message(email_from, self.email()))
        for unlike in (
            {"email_to": ["josé@exämple.com"]},
            {"subject": "Two\nlines"},
            {"headers": {"Subject": "A template's own subject"}},
            {"message_id": False},
        ):
            with self.subTest(unlike=unlike):
                self.assertIsNone(mime.headers_message(email_from, self.email(**unlike)))
        self.assertIsNone(mime.headers_message(False, self.email()), "No sender: Odoo's builder says why")
