import ast

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from .common import CadenceCase
from .test_cadence import MONDAY_10AM

# what a mail client posts for its unsubscribe button (RFC 8058)
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@tagged("post_install", "-at_install")
class TestUnsubscribe(CadenceCase, HttpCase):
    """Each automatic e-mail of a cadence lets the lead unsubscribe: a link
    at its end, and the headers mail clients show as an unsubscribe button."""

    def setUp(self):
        super().setUp()
        with freeze_time(MONDAY_10AM):
            self.lead = self._leads(1)
            self.enrollment, _already = self.cadence._enroll(self.lead)
            self._run()
        self.dispatch = self._tasks(self.lead, self.step_intro).dispatch_id
        self.url = self.env["sales.cadence.task"]._followup_unsubscribe_urls(self.dispatch)[self.dispatch]

    def test_the_email_carries_the_link_and_the_headers(self):
        mail = self.dispatch.mail_mail_id
        self.assertIn(self.url, mail.body_html)
        self.assertNotIn(self.url, self.dispatch.mail_message_id.body, "The chatter copy keeps no link")
        headers = ast.literal_eval(mail.headers)
        self.assertEqual(headers["List-Unsubscribe"], f"<{self.url}>")
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")

    def test_opening_the_link_asks_then_posting_unsubscribes(self):
        path = self.url.removeprefix(self.dispatch.get_base_url())
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("prospect0@example.com", page.text)
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "prospect0@example.com")]))
        done = self.url_open(path, data=ONE_CLICK)
        self.assertEqual(done.status_code, 200)
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "prospect0@example.com")]))
        self.assertIn("unsubscribed", self.lead.message_ids[0].body)
        self.assertIn("prospect0@example.com", done.text)

    def test_a_wrong_token_is_not_found(self):
        path = self.url.removeprefix(self.dispatch.get_base_url())
        self.assertEqual(self.url_open(path[:-4] + "0000").status_code, 404)
        self.assertEqual(self.url_open(path[:-4] + "0000", data=ONE_CLICK).status_code, 404)
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "prospect0@example.com")]))
