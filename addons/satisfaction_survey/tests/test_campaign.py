from datetime import datetime, timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..models.mail_thread import SMART_BUTTON_KEY
from .common import SatisfactionCase

NOW = datetime(2026, 11, 24, 15, 0)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCampaignSending(SatisfactionCase):
    def test_first_entry_into_a_target_state_sends_once(self):
        """Done, then Done-call-back, then back and Done again: one invitation."""
        job = self._job()
        job.stage_id = self.stage_done
        job.stage_id = self.stage_call_back
        job.stage_id = self.stage_new
        job.stage_id = self.stage_done
        invitation = self._dispatches(job)
        self.assertEqual(len(invitation), 1)
        self.assertEqual(invitation.occurrence, "invitation")
        self.assertEqual(invitation.date_planned, NOW + timedelta(hours=12), "the campaign's delay")
        answer = self.env["survey.user_input"].browse(invitation.res_id)
        self.assertEqual((answer.campaign_id, answer.partner_id), (self.campaign, self.customer))
        self.assertEqual(answer.satisfaction_res_name, job.display_name)
        self.assertEqual(answer.satisfaction_user_ids, self.technician)

    def test_each_invitation_is_its_own_answer(self):
        jobs = self._job() | self._job(partner=self.other_customer)
        jobs.stage_id = self.stage_done
        answers = self.env["survey.user_input"].browse(self._dispatches(jobs).mapped("res_id"))
        self.assertEqual(len(answers), 2)
        self.assertEqual(len(set(answers.mapped("access_token"))), 2)
        self.assertEqual(set(answers.mapped("satisfaction_res_id")), set(jobs.ids))

    def test_answers_are_created_through_create_when_a_rule_reacts_to_them(self):
        """Invitations are inserted in bulk, unless a follow-up rule watches
        new survey answers: then the ORM's create runs it."""
        self.env["followup.rule"].search([]).active = False
        template = self.env["mail.template"].create(
            {
                "name": "New answer",
                "model_id": self.env["ir.model"]._get_id("survey.user_input"),
                "subject": "New answer",
                "body_html": "<p>Hello</p>",
            }
        )
        rule = self.env["followup.rule"].create(
            {
                "name": "New survey answers",
                "model_id": self.env["ir.model"]._get_id("survey.user_input"),
                "trigger": "on_create",
                "channel": "email",
                "mail_template_id": template.id,
                "policy_id": self.policy.id,
            }
        )
        job = self._job()
        job.stage_id = self.stage_done
        answer = self.env["survey.user_input"].browse(self._dispatches(job).res_id)
        self.assertEqual(answer.satisfaction_res_id, job.id)
        planned = self.env["followup.dispatch"].search(
            [("origin_model", "=", "followup.rule"), ("origin_id", "=", rule.id)]
        )
        self.assertEqual((planned.res_model, planned.res_id), ("survey.user_input", answer.id))

    def test_created_in_a_target_state_sends(self):
        job = self._job(stage_id=self.stage_done.id)
        self.assertEqual(len(self._dispatches(job)), 1)

    def test_other_states_and_jobs_outside_the_filter_send_nothing(self):
        job = self._job()
        job.name = "Renamed"
        other = self._job(project=self.other_project)
        other.stage_id = self.stage_done
        self.assertFalse(self._dispatches(job | other))

    def test_archived_campaign_sends_nothing_and_cancels_what_is_planned(self):
        job = self._job()
        job.stage_id = self.stage_done
        self.campaign.active = False
        later = self._job(partner=self.other_customer)
        later.stage_id = self.stage_done
        self.assertFalse(self._dispatches(later))
        with freeze_time(NOW + timedelta(hours=13)):
            self._send_due()
        invitation = self._dispatches(job)
        self.assertEqual((invitation.state, invitation.reason), ("cancelled", "condition_false"))

    def test_invitation_is_sent_after_the_delay_and_shown_on_the_job(self):
        job = self._job()
        job.stage_id = self.stage_done
        self._send_due()
        invitation = self._dispatches(job)
        self.assertEqual(invitation.state, "planned", "12 hours have not passed")
        with freeze_time(NOW + timedelta(hours=12)):
            self._send_due()
        self.assertEqual(invitation.state, "sent")
        answer = self.env["survey.user_input"].browse(invitation.res_id)
        message = invitation.mail_message_id
        self.assertEqual((message.model, message.res_id), ("project.task", job.id), "on the job's chatter")
        self.assertIn(answer.access_token, invitation.mail_mail_id.body_html, "the customer's own link")
        self.assertEqual(invitation.address, "emilie@example.com")

    def test_no_consent_and_no_email_are_skipped_with_their_reason(self):
        no_email = self.env["res.partner"].create({"name": "No e-mail", "followup_email_consent": True})
        no_consent = self.env["res.partner"].create({"name": "No consent", "email": "nc@example.com"})
        jobs = self._job(partner=no_email) | self._job(partner=no_consent)
        jobs.stage_id = self.stage_done
        with freeze_time(NOW + timedelta(hours=12)):
            self._send_due()
        reasons = {d.partner_id: (d.state, d.reason) for d in self._dispatches(jobs)}
        self.assertEqual(reasons[no_email], ("skipped", "no_email"))
        self.assertEqual(reasons[no_consent], ("skipped", "no_consent"))


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSecondaryEmail(SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the job's customer first; the site contact when the customer has no e-mail
        cls.site_field = cls.env["ir.model.fields"].create(
            {
                "name": "x_site_contact_id",
                "field_description": "Site Contact",
                "model_id": cls.env["ir.model"]._get_id("project.task"),
                "ttype": "many2one",
                "relation": "res.partner",
            }
        )
        cls.rule.secondary_partner_field_id = cls.site_field

    def test_secondary_used_when_primary_has_no_email(self):
        no_email = self.env["res.partner"].create({"name": "Customer without e-mail"})
        site = self.env["res.partner"].create(
            {"name": "Site contact", "email": "site@example.com", "followup_email_consent": True}
        )
        job = self._job(partner=no_email, x_site_contact_id=site.id)
        job.stage_id = self.stage_done
        self.assertEqual(self._dispatches(job).partner_id, site)

    def test_primary_used_when_it_has_an_email(self):
        site = self.env["res.partner"].create({"name": "Site contact", "email": "site@example.com"})
        job = self._job(x_site_contact_id=site.id)
        job.stage_id = self.stage_done
        self.assertEqual(self._dispatches(job).partner_id, self.customer)


@tagged("post_install", "-at_install")
class TestMutePeriod(SatisfactionCase):
    def _done_and_sent(self, job, when):
        with freeze_time(when):
            job.stage_id = self.stage_done
        with freeze_time(when + timedelta(hours=12)):
            self._send_due()
        return self._dispatches(job, "invitation")

    def test_second_job_in_the_mute_period_sends_none_with_the_reason(self):
        first = self._done_and_sent(self._job(), NOW)
        self.assertEqual(first.state, "sent")
        second = self._done_and_sent(self._job(name="Second visit"), NOW + timedelta(days=2))
        self.assertEqual((second.state, second.reason), ("skipped", "mute_period"))
        self.assertIn("7-day mute period", second.error_message)
        third = self._done_and_sent(self._job(name="Third visit"), NOW + timedelta(days=8))
        self.assertEqual(third.state, "sent", "the mute period is over")

    def test_two_jobs_due_together_send_one(self):
        jobs = self._job() | self._job(name="Same day, second job")
        with freeze_time(NOW):
            jobs.stage_id = self.stage_done
        with freeze_time(NOW + timedelta(hours=12)):
            self._send_due()
        self.assertEqual(sorted(self._dispatches(jobs, "invitation").mapped("state")), ["sent", "skipped"])

    def test_mute_is_per_address_not_per_contact(self):
        twin = self.env["res.partner"].create(
            {"name": "Émilie (work)", "email": "EMILIE@example.com", "followup_email_consent": True}
        )
        self._done_and_sent(self._job(), NOW)
        second = self._done_and_sent(self._job(partner=twin), NOW + timedelta(days=1))
        self.assertEqual(second.reason, "mute_period")

    def test_no_mute_period_sends_every_job(self):
        self.campaign.mute_days = 0
        self._done_and_sent(self._job(), NOW)
        second = self._done_and_sent(self._job(), NOW + timedelta(days=1))
        self.assertEqual(second.state, "sent")

    def test_interval_between_campaigns(self):
        other = self.campaign.copy({"name": "Installations", "mute_days": 0, "customer_interval_days": 30})
        other.rule_ids.filter_domain = f"[('project_id', '=', {self.other_project.id})]"
        self._done_and_sent(self._job(), NOW)
        second = self._done_and_sent(self._job(project=self.other_project), NOW + timedelta(days=10))
        self.assertEqual((second.state, second.reason), ("skipped", "survey_interval"))
        third = self._done_and_sent(self._job(project=self.other_project), NOW + timedelta(days=31))
        self.assertEqual(third.state, "sent")


@tagged("post_install", "-at_install")
class TestReminders(SatisfactionCase):
    def _invite(self):
        job = self._job()
        with freeze_time(NOW):
            job.stage_id = self.stage_done
        with freeze_time(NOW + timedelta(hours=12)):
            self._send_due()
        return job

    def test_reminders_count(self):
        self.campaign.reminder_count = "2"
        job = self._invite()
        first = self._dispatches(job, "reminder:1")
        self.assertEqual(first.date_planned, NOW + timedelta(hours=12, days=3))
        with freeze_time(NOW + timedelta(hours=12, days=3)):
            self._send_due()
        self.assertEqual(first.state, "sent")
        second = self._dispatches(job, "reminder:2")
        self.assertEqual(second.date_planned, NOW + timedelta(hours=12, days=6))
        with freeze_time(NOW + timedelta(hours=12, days=6)):
            self._send_due()
        self.assertEqual(second.state, "sent")
        self.assertEqual(len(self._dispatches(job)), 3, "the invitation and two reminders, no more")
        self.assertEqual(first.mail_template_id, self.campaign.reminder_template_id)

    def test_no_reminder(self):
        self.campaign.reminder_count = "0"
        job = self._invite()
        self.assertEqual(len(self._dispatches(job)), 1)

    def test_reminder_stops_when_answered(self):
        job = self._invite()
        reminder = self._dispatches(job, "reminder:1")
        answer = self.env["survey.user_input"].browse(reminder.res_id)
        with freeze_time(NOW + timedelta(days=1)):
            self._answer(answer, 9)
        self.assertEqual((reminder.state, reminder.reason), ("cancelled", "survey_answered"))

    def test_reminder_still_goes_to_a_started_survey(self):
        job = self._invite()
        reminder = self._dispatches(job, "reminder:1")
        answer = self.env["survey.user_input"].browse(reminder.res_id)
        answer._mark_in_progress()
        with freeze_time(NOW + timedelta(hours=12, days=3)):
            self._send_due()
        self.assertEqual(reminder.state, "sent")

    def test_reminder_checked_again_when_due(self):
        job = self._invite()
        reminder = self._dispatches(job, "reminder:1")
        answer = self.env["survey.user_input"].browse(reminder.res_id)
        answer.state = "done"  # answered without the usual path: the outbox checks anyway
        with freeze_time(NOW + timedelta(hours=12, days=3)):
            self._send_due()
        self.assertEqual((reminder.state, reminder.reason), ("cancelled", "survey_answered"))


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCampaignConfiguration(SatisfactionCase):
    def test_rule_needs_a_state_and_a_valid_filter(self):
        with self.assertRaises(ValidationError):
            self.rule.target_ids = [Command.clear()]
        with self.assertRaises(ValidationError):
            self.rule.filter_domain = "[('no_such_field', '=', 1)]"

    def test_question_roles_match_their_type(self):
        with self.assertRaises(ValidationError):
            self.q_comment.satisfaction_role = "nps"
        with self.assertRaises(ValidationError):
            self.q_nps.satisfaction_role = "csat"
        with self.assertRaises(ValidationError):
            self.q_clean.satisfaction_role = "referral"

    def test_negative_periods_are_refused(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.campaign.mute_days = -1
            self.campaign.flush_recordset()

    def test_form_defaults(self):
        form = Form(self.env["satisfaction.campaign"])
        form.name = "New campaign"
        form.survey_id = self.survey
        campaign = form.save()
        self.assertEqual(campaign.score_type, "nps")
        self.assertEqual(campaign.positive_threshold, 9)
        self.assertEqual(
            campaign.mail_template_id, self.env.ref("satisfaction_survey.mail_template_invitation")
        )
        self.assertTrue(campaign.webhook_secret)

    def test_rule_form_defaults_for_field_jobs(self):
        with Form(self.campaign) as form, form.rule_ids.new() as rule:
            self.assertEqual(rule.model_id.model, "project.task")
            self.assertEqual(rule.primary_partner_field_id.name, "partner_id")
            self.assertEqual(rule.user_field_id.name, "user_ids")
            with rule.target_ids.new() as target:
                target.stage_ref = self.stage_done.id
        rule = self.campaign.rule_ids[-1]
        self.assertEqual(rule.state_field_id.name, "stage_id")
        self.assertEqual(rule.targets_label, "Done")

    def test_smart_button_on_jobs(self):
        arch = self.env["project.task"].get_view(view_type="form")["arch"]
        self.assertIn("action_satisfaction_answers", arch)

    def test_smart_button_speaks_the_languages_installed(self):
        self.env["res.lang"]._activate_lang("fr_CA")
        self.env["ir.ui.view"].search([("key", "=", SMART_BUTTON_KEY % "project.task")]).unlink()
        self.env["satisfaction.campaign.rule"].search([])._ensure_smart_buttons()
        arch = self.env["project.task"].with_context(lang="fr_CA").get_view(view_type="form")["arch"]
        self.assertIn('string="Résultats de sondage"', arch)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPlanningCost(SatisfactionCase):
    def _plan_queries(self, count):
        jobs = self.env["project.task"].create(
            [
                {
                    "name": f"Job {n}",
                    "project_id": self.project.id,
                    "partner_id": self.customer.id if n % 2 else self.other_customer.id,
                    "stage_id": self.stage_new.id,
                }
                for n in range(count)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        jobs.write({"stage_id": self.stage_done.id})
        self.env.flush_all()
        queries = self.cr.sql_log_count - before
        self.assertEqual(len(self._dispatches(jobs)), count)
        return queries

    def test_planning_cost_does_not_grow_with_the_jobs(self):
        small = self._plan_queries(3)
        large = self._plan_queries(30)
        self.assertLessEqual(large, small + 2, f"{small} queries for 3 jobs, {large} for 30")
