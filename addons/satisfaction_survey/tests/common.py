from odoo import Command
from odoo.tests import TransactionCase


class SatisfactionCase(TransactionCase):
    """An NPS survey with a comment, a warning answer, cross-sell and
    referral questions; a campaign on the field jobs of one project, sent
    when a job reaches Done or "Done, call back"; customers who accept
    e-mails; a send policy without working hours, so that time is the test's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.policy = cls.env["followup.policy"].create({"name": "Any time", "company_id": cls.company.id})
        cls.survey = cls.env["survey.survey"].create(
            {"title": "How did it go?", "access_mode": "token", "questions_layout": "one_page"}
        )
        Question = cls.env["survey.question"]
        cls.q_nps = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Would you recommend us?",
                "question_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
                "satisfaction_role": "nps",
                "sequence": 1,
            }
        )
        cls.q_comment = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Why?",
                "question_type": "text_box",
                "satisfaction_role": "comment",
                "sequence": 2,
            }
        )
        cls.q_clean = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Was the place left clean?",
                "question_type": "simple_choice",
                "sequence": 3,
                "suggested_answer_ids": [
                    Command.create({"value": "Yes"}),
                    Command.create({"value": "No", "is_warning": True}),
                ],
            }
        )
        cls.q_cross_sell = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Anything else?",
                "question_type": "text_box",
                "satisfaction_role": "cross_sell",
                "sequence": 4,
            }
        )
        cls.q_referral = Question.create(
            {
                "survey_id": cls.survey.id,
                "title": "Who should we call?",
                "question_type": "char_box",
                "validation_email": True,
                "satisfaction_role": "referral",
                "sequence": 5,
            }
        )
        cls.project = cls.env["project.project"].create({"name": "Service calls"})
        cls.other_project = cls.env["project.project"].create({"name": "Internal"})
        Stage = cls.env["project.task.type"]
        projects = [Command.set((cls.project | cls.other_project).ids)]
        cls.stage_new = Stage.create({"name": "New", "sequence": 1, "project_ids": projects})
        cls.stage_done = Stage.create({"name": "Done", "sequence": 20, "project_ids": projects})
        cls.stage_call_back = Stage.create(
            {"name": "Done, call back", "sequence": 25, "project_ids": projects}
        )
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.manager = Users.create(
            {"name": "Mélanie Roy", "login": "melanie", "email": "melanie@example.com"}
        )
        cls.technician = Users.create({"name": "Jean Gagnon", "login": "jean", "email": "jean@example.com"})
        cls.campaign = cls.env["satisfaction.campaign"].create(
            {
                "name": "After the visit",
                "survey_id": cls.survey.id,
                "policy_id": cls.policy.id,
                "delay_number": 12,
                "delay_unit": "hours",
                "mute_days": 7,
                "reminder_count": "1",
                "reminder_delay_days": 3,
                "warning_user_id": cls.manager.id,
                "unhappy_user_id": cls.manager.id,
                "cross_sell_user_id": cls.manager.id,
                "referral_user_id": cls.manager.id,
                "rule_ids": [
                    Command.create(
                        {
                            "model_id": cls.env["ir.model"]._get_id("project.task"),
                            "filter_domain": f"[('project_id', '=', {cls.project.id})]",
                            "secondary_partner_field_id": cls.env["ir.model.fields"]
                            ._get("project.task", "partner_id")
                            .id,
                            "target_ids": [
                                Command.create({"stage_ref": cls.stage_done.id}),
                                Command.create({"stage_ref": cls.stage_call_back.id}),
                            ],
                        }
                    )
                ],
            }
        )
        cls.rule = cls.campaign.rule_ids
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {"name": "Émilie Tremblay", "email": "emilie@example.com", "followup_email_consent": True}
        )
        cls.other_customer = Partner.create(
            {"name": "Louis Côté", "email": "louis@example.com", "followup_email_consent": True}
        )
        cls.Dispatch = cls.env["followup.dispatch"]

    def _job(self, partner=None, project=None, **vals):
        return self.env["project.task"].create(
            {
                "name": "Heat pump repair",
                "project_id": (project or self.project).id,
                "partner_id": (partner or self.customer).id,
                "stage_id": self.stage_new.id,
                "user_ids": [Command.set(self.technician.ids)],
                **vals,
            }
        )

    def _dispatches(self, jobs=None, occurrence=None):
        domain = [("origin_model", "=", "satisfaction.campaign")]
        if jobs is not None:
            answers = self.env["survey.user_input"].search(
                [("satisfaction_res_model", "=", jobs._name), ("satisfaction_res_id", "in", jobs.ids)]
            )
            domain += [("res_model", "=", "survey.user_input"), ("res_id", "in", answers.ids)]
        if occurrence:
            domain += [("occurrence", "=", occurrence)]
        return self.Dispatch.search(domain, order="id")

    def _send_due(self):
        self.Dispatch._cron_send_due(auto_commit=False)

    def _answer(self, answer, score, *, comment="", clean="Yes", request="", referral=""):
        """Answer as the customer would: every question, then done."""
        answer._save_lines(self.q_nps, str(score))
        answer._save_lines(self.q_comment, comment)
        answer._save_lines(
            self.q_clean, self.q_clean.suggested_answer_ids.filtered(lambda a: a.value == clean).id
        )
        answer._save_lines(self.q_cross_sell, request)
        answer._save_lines(self.q_referral, referral)
        answer._mark_done()
