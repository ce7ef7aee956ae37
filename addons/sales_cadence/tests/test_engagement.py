import re

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import CadenceCase
from .test_cadence import MONDAY_10AM

OFFER = "https://example.com/offer"


@tagged("post_install", "-at_install")
class TestEngagementTracking(CadenceCase, HttpCase):
    """A tracked cadence's e-mails carry short links signed for their
    message and an opening pixel: what the lead opens and clicks counts,
    once per message, for its engagement score."""

    def setUp(self):
        super().setUp()
        self.intro.body_html = f'<p>Hi, here is <a href="{OFFER}">our offer</a>.</p>'
        with freeze_time(MONDAY_10AM):
            self.lead = self._leads(1)
            self.cadence._enroll(self.lead)
            self._run()
        self.dispatch = self._tasks(self.lead, self.step_intro).dispatch_id
        self.odoo_url = self.dispatch.get_base_url()

    def _path(self, url):
        return url.removeprefix(self.odoo_url)

    def _short_link(self):
        links = re.findall(r'href="([^"]*/r/[^"]*)"', self.dispatch.mail_mail_id.body_html)
        self.assertEqual(len(links), 1)
        return links[0]

    def test_the_email_is_tracked_and_its_chatter_copy_is_not(self):
        body = self.dispatch.mail_mail_id.body_html
        link = self._short_link()
        self.assertTrue(link.endswith(f"/f/{self.dispatch.id}/{self.dispatch._tracking_token()}"))
        self.assertIn(self.dispatch._pixel_url(), body)
        chatter = self.dispatch.mail_message_id.body
        self.assertIn(OFFER, chatter)
        self.assertNotIn("/r/", chatter)
        self.assertNotIn("blank.gif", chatter)
        self.assertEqual((self.lead.engagement_email_sent, self.lead.engagement_score), (1, 1))

    def test_opening_counts_once_per_message(self):
        pixel = self._path(self.dispatch._pixel_url())
        for _twice in range(2):
            response = self.url_open(pixel)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.headers["Content-Type"], "image/gif")
        self.assertTrue(self.dispatch.date_opened)
        self.assertEqual(self.lead.engagement_email_opened, 1)
        self.assertEqual(self.lead.engagement_score, 1 + 2, "sent 1, opened 2")

    def test_a_click_leads_to_the_page_and_counts_as_opened_and_clicked(self):
        response = self.url_open(self._path(self._short_link()), allow_redirects=False)
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response.headers["Location"], OFFER)
        click = self.env["link.tracker.click"].search([("followup_dispatch_id", "=", self.dispatch.id)])
        self.assertEqual(click.link_id.url, OFFER)
        self.assertTrue(self.dispatch.date_clicked and self.dispatch.date_opened)
        self.url_open(self._path(self._short_link()), allow_redirects=False)
        self.assertEqual(
            (
                self.lead.engagement_email_opened,
                self.lead.engagement_email_clicked,
                self.lead.engagement_score,
            ),
            (1, 1, 1 + 2 + 5),
            "a second click of the same message counts no more",
        )

    def test_a_wrong_signature_still_leads_to_the_page_but_counts_nothing(self):
        forged = self._short_link()[:-4] + "0000"
        response = self.url_open(self._path(forged), allow_redirects=False)
        self.assertEqual((response.status_code, response.headers["Location"]), (301, OFFER))
        self.url_open(self._path(self.dispatch._pixel_url())[:-14] + "0000/blank.gif")
        self.assertFalse(self.dispatch.date_clicked or self.dispatch.date_opened)
        self.assertEqual(self.lead.engagement_score, 1)

    def test_an_untracked_cadence_keeps_its_links(self):
        self.cadence.is_tracked = False
        with freeze_time(MONDAY_10AM):
            lead = self._leads(1)
            self.cadence._enroll(lead)
            self._run()
        body = self._tasks(lead, self.step_intro).dispatch_id.mail_mail_id.body_html
        self.assertIn(f'href="{OFFER}"', body)
        self.assertNotIn("blank.gif", body)

    def test_sms_links_are_tracked_and_a_click_counts(self):
        template = self.env["sms.template"].create(
            {
                "name": "Offer",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "body": f"Our offer: {OFFER} - reply STOP to stop",
            }
        )
        cadence = self.env["sales.cadence"].create(
            {
                "name": "SMS",
                "policy_id": self.policy.id,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Offer SMS",
                            "step_type_id": self.env.ref("sales_cadence.step_type_auto_sms").id,
                            "sms_template_id": template.id,
                        }
                    )
                ],
            }
        )
        with freeze_time(MONDAY_10AM):
            lead = self._leads(1)
            lead.partner_id.write({"mobile": "+1 514 555 0199", "followup_sms_consent": True})
            cadence._enroll(lead)
            self._run()
        dispatch = self.env["sales.cadence.task"].search([("lead_id", "=", lead.id)]).dispatch_id
        sms_body = dispatch.sms_id.body
        self.assertNotIn(OFFER, sms_body)
        link = re.search(r"\S*/r/\S+", sms_body).group(0)
        self.assertTrue(link.endswith(f"/f/{dispatch.id}/{dispatch._tracking_token()}"))
        self.assertIn(OFFER, dispatch.mail_message_id.body, "the chatter shows the original link")
        self.assertEqual(self.url_open(self._path(link), allow_redirects=False).headers["Location"], OFFER)
        self.assertEqual(
            (lead.engagement_sms_sent, lead.engagement_sms_clicked, lead.engagement_email_opened), (1, 1, 0)
        )
        self.assertEqual(lead.engagement_score, 1 + 5)


@tagged("post_install", "-at_install")
class TestEngagementScore(CadenceCase):
    def test_inbound_calls_count_from_the_button_and_from_a_done_activity(self):
        lead = self._leads(1)
        lead.action_log_inbound_call()
        self.assertIn("Inbound call", lead.message_ids[0].body)
        activity = lead.activity_schedule(
            "sales_cadence.mail_activity_type_inbound_call", user_id=self.salesman.id
        )
        activity.action_feedback(feedback="Wants a quote")
        self.assertEqual((lead.engagement_inbound_call, lead.engagement_score), (2, 20))

    def test_new_weights_recompute_every_score_of_the_company(self):
        leads = self._leads(2)
        leads[0]._engagement_add("email_clicked")
        leads._engagement_add("email_sent")
        self.assertEqual(leads.mapped("engagement_score"), [6, 1])
        self.company.write({"engagement_weight_email_clicked": 20, "engagement_weight_email_sent": 0})
        self.assertEqual(leads.mapped("engagement_score"), [20, 0])

    def test_events_add_up_in_one_statement(self):
        for count in (3, 9):
            leads = self._leads(count)
            leads.company_id.mapped("engagement_weight_email_opened")
            with self.assertQueryCount(5):
                leads._engagement_add("email_opened", {lead.id: n + 1 for n, lead in enumerate(leads)})
            self.assertEqual(leads.mapped("engagement_email_opened"), list(range(1, count + 1)))
            self.assertEqual(leads.mapped("engagement_score"), [2 * n for n in range(1, count + 1)])

    def test_the_score_sorts_and_filters_leads(self):
        leads = self._leads(3)
        leads[1]._engagement_add("inbound_call")
        leads[2]._engagement_add("email_sent")
        Lead = self.env["crm.lead"]
        self.assertEqual(
            Lead.search([("id", "in", leads.ids)], order="engagement_score desc"),
            leads[1] + leads[2] + leads[0],
        )
        self.assertEqual(Lead.search([("id", "in", leads.ids), ("engagement_score", ">", 0)]), leads[1:])

    def test_the_steps_report_gives_the_open_and_click_rates(self):
        with freeze_time(MONDAY_10AM):
            leads = self._leads(4)
            self.cadence._enroll(leads)
            self._run()
        dispatches = self._tasks(leads, self.step_intro).dispatch_id
        dispatches[:2]._track_engagement("opened")
        dispatches[:1]._track_engagement("clicked")
        self.env.flush_all()
        line = self.env["sales.cadence.step.report"].search([("step_id", "=", self.step_intro.id)])
        self.assertEqual((line.sent_count, line.opened_count, line.clicked_count), (4, 2, 1))
        self.assertAlmostEqual(line.open_rate, 2 / 4)
        self.assertAlmostEqual(line.click_rate, 1 / 4)
