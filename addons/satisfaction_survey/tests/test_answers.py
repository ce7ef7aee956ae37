from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.satisfaction_campaign import nps_interval
from .common import SatisfactionCase

NOW = datetime(2026, 11, 24, 15, 0)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAnswers(SatisfactionCase):
    def _invited(self, partner=None):
        job = self._job(partner=partner)
        job.stage_id = self.stage_done
        answer = self.env["survey.user_input"].browse(self._dispatches(job).res_id)
        return job, answer

    def _process(self):
        self.env["survey.user_input"]._cron_process_answers(auto_commit=False)

    def test_unhappy_answer_alerts_the_campaign_user_within_one_cron_run(self):
        job, answer = self._invited()
        self._answer(answer, 3, comment="Late and messy.")
        self.assertEqual(answer.satisfaction_state, "to_process", "nothing is done in the survey's request")
        self._process()
        self.assertEqual(
            (answer.satisfaction_score, answer.nps_category, answer.nps_points), (3, "detractor", -100)
        )
        self.assertEqual(answer.satisfaction_comment, "Late and messy.")
        activity = job.activity_ids.filtered(lambda a: a.summary == "Unhappy customer")
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn(f"/odoo/survey.user_input/{answer.id}", activity.note, "the answer is linked")
        mails = self.env["mail.mail"].search([("email_to", "ilike", "melanie@example.com")])
        self.assertEqual(len(mails), 1)
        self.assertIn("Unhappy customer", mails.subject)
        self.assertEqual(answer.satisfaction_state, "processed")

    def test_nps_threshold_edges(self):
        expected = {6: "detractor", 7: "passive", 8: "passive", 9: "promoter", 0: "detractor", 10: "promoter"}
        answers, jobs = {}, self.env["project.task"]
        for score in expected:
            partner = self.env["res.partner"].create(
                {
                    "name": f"Customer {score}",
                    "email": f"c{score}@example.com",
                    "followup_email_consent": True,
                }
            )
            job, answers[score] = self._invited(partner)
            jobs |= job
            self._answer(answers[score], score)
        self._process()
        for score, category in expected.items():
            self.assertEqual(answers[score].nps_category, category, f"score {score}")
        unhappy = jobs.activity_ids.filtered(lambda a: a.summary == "Unhappy customer")
        self.assertEqual(
            sorted(self.env["project.task"].browse(unhappy.mapped("res_id")).partner_id.mapped("name")),
            ["Customer 0", "Customer 6"],
        )

    def test_warning_answer_alert(self):
        job, answer = self._invited()
        self._answer(answer, 9, clean="No")
        self._process()
        self.assertTrue(answer.has_warning)
        self.assertEqual(job.activity_ids.mapped("summary"), ["Warning answer"])

    def test_cross_sell_alert(self):
        job, answer = self._invited()
        self._answer(answer, 8, request="A quote for the gutters")
        self._process()
        self.assertEqual(answer.cross_sell_request, "A quote for the gutters")
        self.assertEqual(job.activity_ids.mapped("summary"), ["Cross-sell request"])

    def test_referral_alert_puts_the_referred_person_in_copy(self):
        job, answer = self._invited()
        self._answer(answer, 10, referral="Friend@Example.com")
        self._process()
        self.assertEqual(answer.referral_email, "friend@example.com")
        self.assertEqual(job.activity_ids.mapped("summary"), ["Referral"])
        mail = self.env["mail.mail"].search([("email_cc", "=", "friend@example.com")])
        self.assertEqual(len(mail), 1)
        self.assertIn("melanie@example.com", mail.email_to)

    def test_no_alert_without_a_user_or_a_reason(self):
        self.campaign.unhappy_user_id = False
        job, answer = self._invited()
        self._answer(answer, 2)
        self._process()
        self.assertFalse(job.activity_ids)
        job2, answer2 = self._invited(self.other_customer)
        self._answer(answer2, 8)
        self._process()
        self.assertFalse(job2.activity_ids)

    def test_positive_feedback_shared_with_the_employees_when_on(self):
        self.campaign.share_positive_feedback = True
        _job, answer = self._invited()
        self._answer(answer, 9, comment="Jean was great")
        _job2, passive = self._invited(self.other_customer)
        self._answer(passive, 8, comment="Fine")
        self._process()
        shared = self.env["mail.mail"].search([("email_to", "ilike", "jean@example.com")])
        self.assertEqual(len(shared), 1, "the promoter's comment only")
        self.assertIn("Jean was great", shared.body_html)

    def test_positive_feedback_needs_a_comment_and_the_option(self):
        _job, answer = self._invited()
        self._answer(answer, 10, comment="Perfect")
        self._process()
        self.assertFalse(
            self.env["mail.mail"].search([("email_to", "ilike", "jean@example.com")]), "option off"
        )
        self.campaign.share_positive_feedback = True
        _job2, silent = self._invited(self.other_customer)
        self._answer(silent, 10)
        self._process()
        self.assertFalse(
            self.env["mail.mail"].search([("email_to", "ilike", "jean@example.com")]), "no comment"
        )

    def test_csat_campaign(self):
        self.q_nps.write({"satisfaction_role": "csat", "scale_min": 1, "scale_max": 5})
        self.assertEqual(self.campaign.score_type, "csat")
        self.assertEqual(self.campaign.positive_threshold, 4)
        scores = [5, 4, 2]
        for n, score in enumerate(scores):
            partner = self.env["res.partner"].create(
                {"name": f"C{n}", "email": f"csat{n}@example.com", "followup_email_consent": True}
            )
            _job, answer = self._invited(partner)
            self._answer(answer, score)
        self._process()
        self.campaign.invalidate_recordset()
        self.assertAlmostEqual(self.campaign.csat, 11 / 3, places=2)
        unhappy = self.env["survey.user_input"].search(
            [("campaign_id", "=", self.campaign.id), ("nps_category", "=", "detractor")]
        )
        self.assertEqual(unhappy.satisfaction_score, 2)

    def test_results_per_job_and_campaign(self):
        job, answer = self._invited()
        self._answer(answer, 10)
        self._process()
        self.assertEqual(job.satisfaction_answer_count, 1)
        action = job.action_satisfaction_answers()
        self.assertEqual(self.env["survey.user_input"].search(action["domain"]), answer)
        self.assertEqual(self.campaign.answer_count, 1)
        self.assertEqual(self.campaign.nps, 100)

    def test_nps_and_its_interval_by_hand(self):
        # 50 promoters, 30 passives, 20 detractors: NPS 30;
        # variance = 0.5 + 0.2 - 0.3^2 = 0.61; margin = 1.96 * sqrt(0.61 / 100) * 100 = 15.308...
        nps, margin = nps_interval(50, 30, 20)
        self.assertAlmostEqual(nps, 30.0)
        self.assertAlmostEqual(margin, 15.3081, places=3)
        self.assertEqual(nps_interval(0, 0, 0), (0.0, 0.0))
        self.assertEqual(nps_interval(4, 0, 0), (100.0, 0.0))

    def test_campaign_interval_on_the_form(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"P{n}", "email": f"p{n}@example.com", "followup_email_consent": True}
                for n in range(4)
            ]
        )
        for partner, score in zip(partners, [10, 9, 7, 2], strict=True):
            _job, answer = self._invited(partner)
            self._answer(answer, score)
        self._process()
        self.campaign.invalidate_recordset()
        nps, margin = nps_interval(2, 1, 1)
        self.assertEqual((self.campaign.promoter_count, self.campaign.passive_count), (2, 1))
        self.assertAlmostEqual(self.campaign.nps, nps)
        self.assertAlmostEqual(self.campaign.nps_margin, margin, places=1)

    def test_nps_by_employee_with_its_margin(self):
        other_technician = self.technician.copy({"login": "paul", "name": "Paul Lévesque"})
        scores = {self.technician: [10, 9, 3], other_technician: [7]}
        n = 0
        for technician, values in scores.items():
            for score in values:
                n += 1
                partner = self.env["res.partner"].create(
                    {"name": f"R{n}", "email": f"r{n}@example.com", "followup_email_consent": True}
                )
                job = self._job(partner=partner, user_ids=[Command.set(technician.ids)])
                job.stage_id = self.stage_done
                self._answer(self.env["survey.user_input"].browse(self._dispatches(job).res_id), score)
        self._process()
        self.env.flush_all()
        lines = self.env["satisfaction.nps.report"].search([("campaign_id", "=", self.campaign.id)])
        by_user = {line.user_id: line for line in lines}
        self.assertEqual(by_user[self.technician].answer_count, 3)
        nps, margin = nps_interval(2, 0, 1)
        self.assertAlmostEqual(by_user[self.technician].nps, nps, places=1)
        self.assertAlmostEqual(by_user[self.technician].nps_margin, margin, places=1)
        self.assertEqual(by_user[other_technician].nps, 0)

    def test_broken_answer_does_not_block_the_others(self):
        _job, broken = self._invited()
        _job2, other = self._invited(self.other_customer)
        self._answer(broken, 3)
        self._answer(other, 3)
        UserInput = type(self.env["survey.user_input"])
        results = UserInput._satisfaction_results

        def results_or_crash(answer):
            if answer == broken:
                raise ValueError("corrupted answer")
            return results(answer)

        with (
            patch.object(UserInput, "_satisfaction_results", results_or_crash),
            self.assertLogs("odoo.addons.satisfaction_survey.models.survey_user_input", "ERROR"),
        ):
            self._process()
        self.assertEqual((broken | other).mapped("satisfaction_state"), ["processed", "processed"])
        self.assertEqual(other.nps_category, "detractor")
        self.assertFalse(broken.nps_category)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAnswerAccess(SatisfactionCase):
    def test_portal_user_cannot_read_other_answers(self):
        job = self._job()
        job.stage_id = self.stage_done
        answer = self.env["survey.user_input"].browse(self._dispatches(job).res_id)
        portal = self.env["res.users"].create(
            {
                "name": "Portal customer",
                "login": "portal_customer",
                "email": "portal@example.com",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        with self.assertRaises(AccessError):
            answer.with_user(portal).read(["satisfaction_score"])
        with self.assertRaises(AccessError):
            self.campaign.with_user(portal).read(["name"])

    def test_survey_users_read_campaigns_of_their_companies_only(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        other = self.campaign.copy({"company_id": other_company.id, "rule_ids": [], "policy_id": False})
        user = self.env["res.users"].create(
            {
                "name": "Survey officer",
                "login": "survey_officer",
                "groups_id": [(6, 0, [self.env.ref("survey.group_survey_user").id])],
            }
        )
        campaigns = self.env["satisfaction.campaign"].with_user(user).search([])
        self.assertIn(self.campaign, campaigns)
        self.assertNotIn(other, campaigns)
        with self.assertRaises(AccessError):
            self.campaign.with_user(user).name = "Renamed"
        with self.assertRaises(AccessError):
            self.campaign.with_user(user).read(["webhook_secret"])
