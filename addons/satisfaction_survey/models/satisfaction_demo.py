from datetime import timedelta

from odoo import api, fields, models

# (score, comment, clean, cross-sell request, referral) of the demo answers,
# written in French as the demo's customers would
DEMO_ANSWERS = [
    (10, "Rapide, propre et aimable. Merci !", "yes", False, False),
    (9, "Équipe très professionnelle.", "yes", False, "voisin@example.com"),
    (8, False, "yes", "Une soumission pour les gouttières, s'il vous plaît.", False),
    (7, "Bon travail, un peu en retard.", "yes", False, False),
    (3, "Deux heures de retard et de la poussière partout.", "no", False, False),
]


class SatisfactionCampaign(models.Model):
    _inherit = "satisfaction.campaign"

    @api.model
    def _install_demo(self):
        """Rules on field jobs, when Project is installed: the jobs of the
        Renovations project surveyed when done (or done, to call back), those
        of Home Construction when done; then real invitations and answers."""
        campaign = self.env.ref("satisfaction_survey.demo_campaign", raise_if_not_found=False)
        if not campaign or campaign.rule_ids or "project.task" not in self.env:
            return
        done = self.env.ref("project.project_stage_2", raise_if_not_found=False)
        renovations = self.env.ref("project.project_project_3", raise_if_not_found=False)
        construction = self.env.ref("project.project_home_construction", raise_if_not_found=False)
        if not (done and renovations and construction):
            return
        self.env["res.lang"]._activate_lang("fr_CA")
        # the addon's French now, not after its install: the demo writes messages with it
        self.env["ir.module.module"]._load_module_terms(["satisfaction_survey"], ["fr_CA"])
        call_back = self.env["project.task.type"].create(
            {"name": "Done, call back", "sequence": 25, "project_ids": [fields.Command.link(renovations.id)]}
        )
        call_back.update_field_translations("name", {"fr_CA": "Fait, à recontacter"})
        campaign.update_field_translations("name", {"fr_CA": "Satisfaction après visite"})
        stage_field = self.env["ir.model.fields"]._get("project.task", "stage_id")
        model_id = self.env["ir.model"]._get_id("project.task")
        secondary = self.env["ir.model.fields"]._get("project.task", "partner_id")
        campaign.write(
            {
                "rule_ids": [
                    fields.Command.create(
                        {
                            "name": project.name,
                            "model_id": model_id,
                            "filter_domain": f"[('project_id', '=', {project.id})]",
                            "state_field_id": stage_field.id,
                            "secondary_partner_field_id": secondary.id,
                            "target_ids": [
                                fields.Command.create({"stage_ref": stage.id}) for stage in stages
                            ],
                        }
                    )
                    for project, stages in ((renovations, done | call_back), (construction, done))
                ]
            }
        )
        for rule, project in zip(campaign.rule_ids, renovations | construction, strict=True):
            rule.update_field_translations("name", {"fr_CA": project.with_context(lang="fr_CA").name})
        # the demo runs what the crons run, in the language of the crons' user
        self.with_context(lang=self.env.ref("base.user_admin").lang)._demo_answers(
            campaign, renovations, done
        )

    @api.model
    def _demo_answers(self, campaign, project, done):
        """Jobs moved to Done by the real mechanism: invitations planned,
        sent through the outbox, and answered; one customer muted."""
        customers = self.env["res.partner"].search(
            [
                ("is_company", "=", True),
                ("email", "!=", False),
                ("id", "not in", self.env.companies.partner_id.ids),
            ],
            order="id",
            limit=len(DEMO_ANSWERS) + 1,
        )
        technicians = self.env.ref("base.user_admin") | (
            self.env.ref("base.user_demo", raise_if_not_found=False) or self.env["res.users"]
        )
        customers.write({"followup_email_consent": True, "followup_email_consent_source": "customer"})
        tasks = self.env["project.task"].create(
            [
                {
                    "name": name,
                    "project_id": project.id,
                    "partner_id": customer.id,
                    "user_ids": [fields.Command.set(technicians[index % len(technicians)].ids)],
                }
                for index, (name, customer) in enumerate(
                    zip(
                        [
                            "Armoires de cuisine",
                            "Carrelage de la salle de bain",
                            "Inspection de la toiture",
                            "Remplacement des fenêtres",
                            "Isolation du sous-sol",
                            "Réparation de la terrasse",
                            "Deuxième visite : réparation de la terrasse",
                        ],
                        [*customers, customers[-1]],
                        strict=True,
                    )
                )
            ]
        )
        tasks.write({"stage_id": done.id})
        Dispatch = self.env["followup.dispatch"]
        invitations = Dispatch.search([("origin_model", "=", self._name), ("origin_id", "=", campaign.id)])
        invitations.write({"date_earliest": fields.Datetime.now(), "ignore_send_window": True})
        invitations._process()  # the last job's customer had a survey minutes ago: muted
        invitations._demo_delivered()
        answers = self.env["survey.user_input"].search(
            [
                ("campaign_id", "=", campaign.id),
                ("satisfaction_res_id", "in", tasks[: len(DEMO_ANSWERS)].ids),
            ],
            order="id",
        )
        questions = {q.satisfaction_role or "clean": q for q in campaign.survey_id.question_ids}
        now = fields.Datetime.now()
        for weeks, (answer, (score, comment, clean, request, referral)) in enumerate(
            zip(answers, DEMO_ANSWERS, strict=True)
        ):
            answer._save_lines(questions["nps"], str(score))
            answer._save_lines(questions["comment"], comment or "")
            choice = questions["clean"].suggested_answer_ids.filtered(
                lambda a, clean=clean: (a.value == "Yes") == (clean == "yes")
            )
            answer._save_lines(questions["clean"], choice.id)
            answer._save_lines(questions["cross_sell"], request or "")
            answer._save_lines(questions["referral"], referral or "")
            answer._mark_done()
            # answered over the past weeks, for the graph by month
            answer.end_datetime = now - timedelta(weeks=3 * weeks)
        self.env["survey.user_input"]._cron_process_answers(auto_commit=False)
