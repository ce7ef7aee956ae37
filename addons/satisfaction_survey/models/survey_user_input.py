import logging
import threading

from markupsafe import Markup

from odoo import api, fields, models, tools

_logger = logging.getLogger(__name__)

NPS_CATEGORIES = [("promoter", "Promoter"), ("passive", "Passive"), ("detractor", "Detractor")]
NPS_POINTS = {"promoter": 100, "passive": 0, "detractor": -100}
CRON_XMLID = "satisfaction_survey.ir_cron_satisfaction_answers"


def nps_category(score):
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


class SurveyUserInput(models.Model):
    """An invitation of a satisfaction campaign is its own survey answer,
    linked to the job it asks about. Once completed, a cron (never the
    survey's own request) reads its score, alerts the campaign's users,
    shares positive feedback and posts it to the campaign's webhook."""

    _inherit = "survey.user_input"

    campaign_id = fields.Many2one(
        "satisfaction.campaign", readonly=True, index="btree_not_null", ondelete="set null"
    )
    satisfaction_res_model = fields.Char("Job Model", readonly=True, index=True)
    satisfaction_res_id = fields.Many2oneReference(
        "Job ID", model_field="satisfaction_res_model", readonly=True
    )
    satisfaction_res_name = fields.Char("Job", compute="_compute_satisfaction_res_name")
    satisfaction_user_ids = fields.Many2many(
        "res.users",
        "survey_user_input_satisfaction_user_rel",
        "user_input_id",
        "user_id",
        string="Done By",
        readonly=True,
    )
    satisfaction_score = fields.Integer("Score", readonly=True, aggregator="avg")
    nps_category = fields.Selection(NPS_CATEGORIES, string="NPS Category", readonly=True)
    nps_points = fields.Integer(
        "NPS",
        readonly=True,
        aggregator="avg",
        help="100 for a promoter, 0 for a passive, -100 for a detractor: their average is the NPS.",
    )
    csat_score = fields.Integer("CSAT", readonly=True, aggregator="avg")
    satisfaction_comment = fields.Text("Comment", readonly=True)
    has_warning = fields.Boolean("Warning", readonly=True)
    cross_sell_request = fields.Text(readonly=True)
    referral_email = fields.Char("Referral", readonly=True)
    satisfaction_state = fields.Selection(
        [("to_process", "To Process"), ("processed", "Processed")], readonly=True, index="btree_not_null"
    )
    # posted by the outbox's webhook queue, which retries and keeps the failure
    webhook_id = fields.Many2one(
        "followup.webhook", string="Webhook Call", readonly=True, index="btree_not_null"
    )
    webhook_state = fields.Selection(related="webhook_id.state", string="Webhook Status")
    webhook_attempt_count = fields.Integer(related="webhook_id.attempt_count", string="Webhook Attempts")
    webhook_error = fields.Text(related="webhook_id.error_message", string="Webhook Error")
    date_webhook = fields.Datetime(related="webhook_id.date_next", string="Webhook Next Try")

    @api.depends("satisfaction_res_model", "satisfaction_res_id")
    def _compute_satisfaction_res_name(self):
        records = self._satisfaction_records()
        for answer in self:
            answer.satisfaction_res_name = records[answer.id].display_name if answer.id in records else False

    @api.depends("campaign_id", "satisfaction_res_name", "partner_id")
    def _compute_display_name(self):
        res = super()._compute_display_name()
        for answer in self.filtered("campaign_id"):
            answer.display_name = self.env._(
                "%(survey)s: %(job)s", survey=answer.survey_id.title, job=answer.satisfaction_res_name or "?"
            )
        return res

    def _satisfaction_records(self):
        """{answer id: the job it is about}, for the jobs that still exist."""
        records = {}
        for model, answers in self.grouped("satisfaction_res_model").items():
            if not model or model not in self.env:
                continue
            existing = self.env[model].sudo().browse(answers.mapped("satisfaction_res_id")).exists()
            by_id = {record.id: record for record in existing}
            for answer in answers:
                if answer.satisfaction_res_id in by_id:
                    records[answer.id] = by_id[answer.satisfaction_res_id]
        return records

    @api.model
    def _satisfaction_action(self, domain):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "satisfaction_survey.satisfaction_result_action"
        )
        return {**action, "domain": domain, "context": {"search_default_completed": 1}}

    def action_open_job(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.satisfaction_res_model,
            "res_id": self.satisfaction_res_id,
            "view_mode": "form",
        }

    def action_satisfaction_dispatches(self):
        self.ensure_one()
        return self.env["followup.dispatch"]._action_open(
            [("res_model", "=", self._name), ("res_id", "=", self.id)]
        )

    def action_retry_webhook(self):
        self.webhook_id.sudo().action_retry()

    # ------------------------------------------------------------
    # COMPLETION: processed by a cron, never in the survey's request
    # ------------------------------------------------------------

    def _mark_done(self):
        res = super()._mark_done()
        campaign_answers = self.filtered("campaign_id")
        if campaign_answers:
            campaign_answers.sudo().write({"satisfaction_state": "to_process"})
            # the outbox would cancel them when due; the customer's history says so at once
            self.env["followup.dispatch"].sudo().search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", campaign_answers.ids),
                    ("state", "=", "planned"),
                    ("occurrence", "=like", "reminder:%"),
                ]
            )._cancel("survey_answered")
            campaign_answers._satisfaction_wake_cron()
        return res

    @api.model
    def _satisfaction_wake_cron(self, at=None):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    @api.model
    def _cron_process_answers(self, batch_size=200, auto_commit=None):
        """Read the results of completed answers, alert, share positive
        feedback, and queue their webhook calls."""
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        answers = self.sudo().search(
            [("satisfaction_state", "=", "to_process")], limit=batch_size, order="id"
        )
        for answer in answers:
            try:
                with self.env.cr.savepoint():
                    answer._satisfaction_process()
            except Exception:  # one broken answer must not block the others
                _logger.exception("Satisfaction answer %s could not be processed", answer.id)
                answer.satisfaction_state = "processed"
        self.env["ir.cron"]._notify_progress(done=len(answers), remaining=0)
        if auto_commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        if len(answers) == batch_size:
            self._satisfaction_wake_cron()

    def _satisfaction_process(self):
        self.ensure_one()
        results = self._satisfaction_results()
        self.write(results)
        campaign = self.campaign_id
        self._satisfaction_alert(results)
        if (
            campaign.share_positive_feedback
            and results["satisfaction_comment"]
            and results["nps_category"] is not False
            and self.satisfaction_score >= campaign.positive_threshold
        ):
            self._satisfaction_share_positive()
        self.write({"satisfaction_state": "processed", "webhook_id": self._satisfaction_queue_webhook().id})

    def _satisfaction_results(self):
        """The answer's score, comment, warnings and requests, by the roles of its questions."""
        self.ensure_one()
        results = {
            "satisfaction_score": 0,
            "nps_category": False,
            "nps_points": 0,
            "csat_score": 0,
            "satisfaction_comment": False,
            "has_warning": False,
            "cross_sell_request": False,
            "referral_email": False,
        }
        comments = []
        for line in self.user_input_line_ids.filtered(lambda line: not line.skipped):
            role = line.question_id.satisfaction_role
            text = line.value_text_box or line.value_char_box
            if line.suggested_answer_id.is_warning:
                results["has_warning"] = True
            if role in ("nps", "csat") and line.answer_type == "scale":
                score = line.value_scale
                results["satisfaction_score"] = score
                if role == "nps":
                    category = nps_category(score)
                    results.update(nps_category=category, nps_points=NPS_POINTS[category])
                else:
                    category = "promoter" if score >= 4 else "passive" if score == 3 else "detractor"
                    results.update(nps_category=category, csat_score=score)
            elif role == "comment" and text:
                comments.append(text)
            elif role == "cross_sell" and text:
                results["cross_sell_request"] = text
            elif role == "referral" and text:
                results["referral_email"] = tools.email_normalize(text) or text
            elif line.answer_type in ("char_box", "text_box") and line.question_id.satisfaction_role in (
                "nps",
                "csat",
            ):
                comments.append(text)  # the comment box of the score question
        results["satisfaction_comment"] = "\n".join(filter(None, comments)) or False
        return results

    def _satisfaction_alerts(self, results):
        """[(alert, user)] for the answer's results."""
        campaign = self.campaign_id
        alerts = [
            ("warning", results["has_warning"], campaign.warning_user_id),
            ("unhappy", results["nps_category"] == "detractor", campaign.unhappy_user_id),
            ("cross_sell", results["cross_sell_request"], campaign.cross_sell_user_id),
            ("referral", results["referral_email"], campaign.referral_user_id),
        ]
        return [(alert, user) for alert, raised, user in alerts if raised and user]

    def _satisfaction_alert(self, results):
        """Each alert: an e-mail to the campaign's user, with the answer
        linked, and an activity for them on the job."""
        self.ensure_one()
        job = self._satisfaction_records().get(self.id)
        for alert, user in self._satisfaction_alerts(results):
            in_lang = self.with_context(lang=user.lang)
            label = in_lang._satisfaction_alert_label(alert)
            template = self.env.ref(
                "satisfaction_survey.mail_template_referral"
                if alert == "referral"
                else "satisfaction_survey.mail_template_alert"
            )
            template.with_context(lang=user.lang, alert_label=label).send_mail(
                self.id,
                email_values={
                    "email_to": user.email_formatted,
                    "email_cc": results["referral_email"] if alert == "referral" else False,
                    "recipient_ids": [],
                },
                email_layout_xmlid="mail.mail_notification_light",
            )
            if job is not None and hasattr(job, "activity_schedule"):
                job.with_context(mail_activity_quick_update=True).activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=label,
                    note=in_lang._satisfaction_alert_note(),
                    user_id=user.id,
                )
            self.message_post(
                body=self.env._("Alert sent to %(user)s: %(alert)s", user=user.name, alert=label),
                message_type="notification",
                subtype_xmlid="mail.mt_note",
            )

    def _satisfaction_alert_label(self, alert):
        return {
            "warning": self.env._("Warning answer"),
            "unhappy": self.env._("Unhappy customer"),
            "cross_sell": self.env._("Cross-sell request"),
            "referral": self.env._("Referral"),
        }[alert]

    def _satisfaction_alert_note(self):
        return Markup('<p>{}</p><p><a href="/odoo/survey.user_input/{}">{}</a></p>').format(
            self.env._(
                "%(customer)s answered the survey %(survey)s.",
                customer=self.partner_id.display_name or self.email or "?",
                survey=self.survey_id.title,
            ),
            self.id,
            self.env._("Open the answer"),
        )

    def _satisfaction_share_positive(self):
        """The happy customer's comment, to the employees who did the job."""
        employees = self.satisfaction_user_ids.filtered("email")
        if not employees:
            return
        template = self.env.ref("satisfaction_survey.mail_template_positive_feedback")
        for lang, users in employees.grouped("lang").items():
            template.with_context(lang=lang).send_mail(
                self.id,
                email_values={"email_to": ",".join(users.mapped("email_formatted")), "recipient_ids": []},
                email_layout_xmlid="mail.mail_notification_light",
            )

    # ------------------------------------------------------------
    # WEBHOOK
    # ------------------------------------------------------------

    def _satisfaction_payload(self):
        self.ensure_one()
        job = self._satisfaction_records().get(self.id)
        return {
            "event": "survey.completed",
            "answer_id": self.id,
            "campaign": {"id": self.campaign_id.id, "name": self.campaign_id.name},
            "survey": {"id": self.survey_id.id, "title": self.survey_id.title},
            "record": {
                "model": self.satisfaction_res_model,
                "id": self.satisfaction_res_id,
                "name": job.display_name if job is not None else None,
            },
            "customer": {
                "id": self.partner_id.id or None,
                "name": self.partner_id.name or None,
                "email": self.email,
            },
            "score": self.satisfaction_score if self.nps_category else None,
            "nps_category": self.nps_category or None,
            "comment": self.satisfaction_comment or None,
            "has_warning": self.has_warning,
            "cross_sell_request": self.cross_sell_request or None,
            "referral_email": self.referral_email or None,
            "completed_at": fields.Datetime.to_string(self.end_datetime),
            "answers": [
                {"question": line.question_id.title, "answer": str(line.display_name)}
                for line in self.user_input_line_ids
                if not line.skipped
            ],
        }

    def _satisfaction_queue_webhook(self):
        """The campaign's webhook call for this completed answer, posted
        after this transaction by the outbox's webhook queue, signed with
        the campaign's secret."""
        self.ensure_one()
        campaign = self.campaign_id
        if not campaign.webhook_url:
            return self.env["followup.webhook"]
        return self.env["followup.webhook"]._queue(
            [
                {
                    "name": "survey.completed",
                    "company_id": campaign.company_id.id,
                    "url": campaign.webhook_url,
                    "secret": campaign.sudo().webhook_secret,
                    "res_model": self._name,
                    "res_id": self.id,
                    "origin_model": campaign._name,
                    "origin_id": campaign.id,
                    "body": self._satisfaction_payload(),
                }
            ]
        )
