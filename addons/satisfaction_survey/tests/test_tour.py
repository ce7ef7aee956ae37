from odoo.tests import HttpCase, tagged

from .common import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionTour(SatisfactionCase, HttpCase):
    def _invitation(self, partner=None):
        job = self._job(partner=partner)
        job.stage_id = self.stage_done
        return job, self.env["survey.user_input"].browse(self._dispatches(job).res_id)

    def test_customer_answers_from_the_link_and_the_alert_appears(self):
        job, answer = self._invitation()
        self.start_tour(answer.get_start_url(), "satisfaction_survey_answer_tour")
        self.assertEqual(answer.state, "done")
        self.env["survey.user_input"]._cron_process_answers(auto_commit=False)
        self.assertEqual(answer.satisfaction_score, 3)
        self.assertTrue(answer.has_warning)
        self.assertEqual(sorted(job.activity_ids.mapped("summary")), ["Unhappy customer", "Warning answer"])
        self.assertEqual(set(job.activity_ids.user_id.ids), {self.manager.id})

    def test_a_link_opens_its_own_answer_only(self):
        _job, answer = self._invitation()
        _job2, other = self._invitation(self.other_customer)
        response = self.url_open(f"/survey/start/{self.survey.access_token}?answer_token=not-a-token")
        self.assertNotIn(other.access_token, response.text)
        self.assertNotIn("Would you recommend us?", response.text)
        response = self.url_open(answer.get_start_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn(answer.access_token, response.text)
        self.assertNotIn(other.access_token, response.text)
