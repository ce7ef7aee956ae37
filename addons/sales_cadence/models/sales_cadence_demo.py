from odoo import api, fields, models

DEMO_FR = {
    "mail_template_demo_intro": (
        "{{ object.partner_id.name or object.contact_name or '' }}, une petite question",
        "<div><p>Bonjour <t t-out=\"object.contact_name or object.partner_id.name or ''\">Brandon</t>,</p>"
        "<p>J'ai vu votre intérêt pour <t t-out=\"object.name or ''\">nos services</t>. "
        "Un appel de 15 minutes cette semaine vous aiderait-il à décider ?</p>"
        "<p><t t-out=\"object.user_id.name or ''\">Mitchell Admin</t></p></div>",
    ),
    "mail_template_demo_follow_up": (
        "Suivi : {{ object.name }}",
        "<div><p>Bonjour <t t-out=\"object.contact_name or object.partner_id.name or ''\">Brandon</t>,</p>"
        "<p>J'ai essayé de vous joindre au sujet de <t t-out=\"object.name or ''\">nos services</t>. "
        "Quel moment vous conviendrait le mieux ?</p>"
        "<p><t t-out=\"object.user_id.name or ''\">Mitchell Admin</t></p></div>",
    ),
}
SMS_FR = (
    "Bonjour {{ object.contact_name or object.partner_id.name or '' }}, ici {{ object.user_id.name or '' }}. "
    "Je vous ai écrit au sujet de {{ object.name }} : un bon moment pour en parler ?"
)
WORKFLOWS_FR = {
    "demo_workflow_engaged": "Piste engagée : appeler aujourd'hui",
    "demo_workflow_reply": "Réponse : qualifier et répondre",
}
ACTIONS_FR = {
    "demo_workflow_engaged_activity": "Piste engagée : appeler aujourd'hui",
    "demo_workflow_reply_activity": "Donner suite à la réponse de la piste",
}
STEPS_FR = {
    "demo_step_1": "E-mail de présentation",
    "demo_step_2": "Appel de découverte",
    "demo_step_3": "Relance par SMS",
    "demo_step_4": "E-mail personnel avec une étude de cas",
    "demo_step_5": "E-mail de suivi",
    "demo_step_6": "Dernier appel avant de clore",
}


class SalesCadence(models.Model):
    _inherit = "sales.cadence"

    @api.model
    def _install_demo(self):
        """French texts, and demo leads in the cadence: one per state, moved
        by the real mechanism (the cron, the outbox, the salesperson)."""
        cadence = self.env.ref("sales_cadence.demo_cadence", raise_if_not_found=False)
        if not cadence or cadence.enrollment_ids:
            return
        self.env["res.lang"]._activate_lang("fr_CA")
        # the addon's French now, not after its install: the demo writes notes with it
        self.env["ir.module.module"]._load_module_terms(["sales_cadence"], ["fr_CA"])
        cadence.update_field_translations("name", {"fr_CA": "Nouvelles pistes entrantes"})
        cadence.policy_id.update_field_translations("name", {"fr_CA": "Prospection : 200 e-mails par jour"})
        for xmlid, (subject, body) in DEMO_FR.items():
            template = self.env.ref(f"sales_cadence.{xmlid}")
            template.update_field_translations("subject", {"fr_CA": subject})
            template.update_field_translations("body_html", {"fr_CA": body})
        self.env.ref("sales_cadence.sms_template_demo_reminder").update_field_translations(
            "body", {"fr_CA": SMS_FR}
        )
        for xmlid, name in STEPS_FR.items():
            self.env.ref(f"sales_cadence.{xmlid}").update_field_translations("name", {"fr_CA": name})
        for xmlid, name in WORKFLOWS_FR.items():
            self.env.ref(f"sales_cadence.{xmlid}").update_field_translations("name", {"fr_CA": name})
        for xmlid, summary in ACTIONS_FR.items():
            self.env.ref(f"sales_cadence.{xmlid}").update_field_translations(
                "activity_summary", {"fr_CA": summary}
            )
        # the demo runs what the crons and the salesperson do, in the salesperson's language
        self.with_context(lang=self.env.ref("base.user_admin").lang)._demo_enrollments(cadence)

    @api.model
    def _demo_enrollments(self, cadence):
        leads = self.env["crm.lead"].search(
            [("type", "=", "lead"), ("email_from", "!=", False)], order="id", limit=5
        )
        if len(leads) < 5:
            leads = self.env["crm.lead"].search([("email_from", "!=", False)], order="id", limit=5)
        if len(leads) < 5:
            return
        leads.write({"user_id": self.env.ref("base.user_admin").id})
        cadence._enroll(leads)
        leads.partner_id.write({"followup_email_consent": True, "followup_email_consent_source": "customer"})
        Enrollment = self.env["sales.cadence.enrollment"]
        enrollments = Enrollment.search([("cadence_id", "=", cadence.id)], order="id")
        enrollments._start_steps()
        dispatches = enrollments.task_ids.dispatch_id
        dispatches.write({"ignore_send_window": True, "date_earliest": fields.Datetime.now()})
        dispatches._process()
        dispatches._demo_delivered()
        # engagement: the first lead opens and clicks (its score reaches the
        # "engaged" workflow's threshold), the second opens and calls in
        delivered = dispatches.filtered(lambda d: d.state in ("sent", "delivered"))
        delivered[:2]._track_engagement("opened")
        delivered[:1]._track_engagement("clicked")
        leads[1:2].action_log_inbound_call()
        # the discovery call is due now for the first three: one done, one skipped, one to do
        enrollments[:3].write({"date_next": fields.Datetime.now()})
        enrollments[:3]._start_steps()
        calls = enrollments[:3].task_ids.filtered(lambda t: t.state == "to_do")
        calls[:1]._finish("done", note=self.env._("Interested: demo next week."))
        calls[1:2]._finish("skipped", reason=self.env.ref("sales_cadence.skip_reason_not_reachable"))
        enrollments[3].action_pause()
        enrollments[4].action_stop()
