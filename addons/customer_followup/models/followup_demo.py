from datetime import timedelta

from odoo import api, fields, models

# The customer's local time, in their language (the template renders in it),
# without seconds: "Tuesday 24 November, 09:00", "mardi 24 novembre, 09:00".
LOCAL_TIME = (
    "format_datetime(object.%s, tz=object.partner_id.tz or object.company_id.resource_calendar_id.tz,"
    " dt_format='EEEE d MMMM, HH:mm')"
)
SCHEDULE = LOCAL_TIME % "schedule_date"
DEADLINE = LOCAL_TIME % "date_deadline"

# (model, trigger, channel, name, subject, body in English, body in French, extra values)
# French names of the demo rules and templates
DEMO_NAMES_FR = {
    "Work order received": "Bon de travail reçu",
    "Ready for pickup": "Prêt à récupérer",
    "Appointment moved": "Rendez-vous déplacé",
    "Appointment reminder": "Rappel de rendez-vous",
    "Field job update": "Suivi d'intervention",
    "Field job reminder": "Rappel d'intervention",
    "Thank you for your request": "Merci pour votre demande",
}

DEMO_RULES = [
    (
        "repair.order",
        "on_create",
        "sms",
        "Work order received",
        None,
        "Hello {{ object.partner_id.name }}, we received your work order {{ object.name }}. "
        "We will keep you posted.",
        "Bonjour {{ object.partner_id.name }}, nous avons bien reçu votre bon de travail {{ object.name }}. "
        "Nous vous tiendrons au courant.",
        {},
    ),
    (
        "repair.order",
        "on_state_set",
        "sms",
        "Ready for pickup",
        None,
        "Good news {{ object.partner_id.name }}: {{ object.name }} is ready for pickup.",
        "Bonne nouvelle {{ object.partner_id.name }} : {{ object.name }} est prêt à être récupéré.",
        {"state": "done", "working_hours_only": True},
    ),
    (
        "repair.order",
        "on_date_change",
        "sms",
        "Appointment moved",
        None,
        "{{ object.partner_id.name }}, your appointment for {{ object.name }} is now on "
        f"{{{{ {SCHEDULE} }}}}.",
        "{{ object.partner_id.name }}, votre rendez-vous pour {{ object.name }} est maintenant le "
        f"{{{{ {SCHEDULE} }}}}.",
        {"working_hours_only": True},
    ),
    (
        "repair.order",
        "before_date",
        "email",
        "Appointment reminder",
        (
            "Reminder: your appointment for {{ object.name }}",
            "Rappel : votre rendez-vous pour {{ object.name }}",
        ),
        "<p>Hello <t t-out='object.partner_id.name'/>,</p>"
        f'<p>We expect you on <t t-out="{SCHEDULE}"/>'
        " for <t t-out='object.name'/>.</p>",
        "<p>Bonjour <t t-out='object.partner_id.name'/>,</p>"
        "<p>Nous vous attendons le "
        f'<t t-out="{SCHEDULE}"/>'
        " pour <t t-out='object.name'/>.</p>",
        {"reminder_number": 1, "reminder_unit": "days"},
    ),
    (
        "project.task",
        "on_state_change",
        "sms",
        "Field job update",
        None,
        "{{ object.partner_id.name }}, your job {{ object.name }} is now: {{ object.stage_id.name }}.",
        "{{ object.partner_id.name }}, votre intervention {{ object.name }} est maintenant : "
        "{{ object.stage_id.name }}.",
        {"delay_number": 15, "delay_unit": "minutes"},
    ),
    (
        "project.task",
        "before_date",
        "sms",
        "Field job reminder",
        None,
        f"Reminder: our technician comes for {{{{ object.name }}}} on {{{{ {DEADLINE} }}}}.",
        f"Rappel : notre technicien vient pour {{{{ object.name }}}} le {{{{ {DEADLINE} }}}}.",
        {"reminder_number": 2, "reminder_unit": "hours"},
    ),
    (
        "crm.lead",
        "on_create",
        "email",
        "Thank you for your request",
        ("We received your request", "Nous avons bien reçu votre demande"),
        "<p>Hello <t t-out='object.partner_id.name or object.contact_name'/>, "
        "thank you for your interest. We will call you shortly.</p>",
        "<p>Bonjour <t t-out='object.partner_id.name or object.contact_name'/>, "
        "merci de votre intérêt. Nous vous appelons sous peu.</p>",
        {},
    ),
]


class FollowupRule(models.Model):
    _inherit = "followup.rule"

    @api.model
    def _install_demo(self):
        """Demo rules and templates (English and French) for the apps that
        are installed: the addon depends on none of them."""
        if self.with_context(active_test=False).search_count([], limit=1):
            return
        self.env["res.lang"]._activate_lang("fr_CA")
        for model, trigger, channel, name, subject, body_en, body_fr, options in DEMO_RULES:
            if model not in self.env:
                continue
            model_id = self.env["ir.model"]._get_id(model)
            template = self._demo_template(model_id, channel, name, subject, (body_en, body_fr))
            vals = {
                "name": name,
                "model_id": model_id,
                "trigger": trigger,
                "channel": channel,
                f"{'mail' if channel == 'email' else 'sms'}_template_id": template.id,
            }
            extra = dict(options)
            if state := extra.pop("state", None):
                field = self.env["ir.model.fields"]._get(model, "state")
                vals["state_selection_id"] = field.selection_ids.filtered(lambda s, v=state: s.value == v).id
            rule = self.create({**vals, **extra})
            rule.update_field_translations("name", {"fr_CA": DEMO_NAMES_FR[name]})
        self._demo_locations()
        self._demo_outbox()

    @api.model
    def _demo_template(self, model_id, channel, name, subject, bodies):
        body_en, body_fr = bodies
        if channel == "sms":
            template = self.env["sms.template"].create(
                {
                    "name": name,
                    "model_id": model_id,
                    "body": body_en,
                    "lang": "{{ object.partner_id.lang }}",
                }
            )
            template.update_field_translations("body", {"fr_CA": body_fr})
            template.update_field_translations("name", {"fr_CA": DEMO_NAMES_FR[name]})
            return template
        template = self.env["mail.template"].create(
            {
                "name": name,
                "model_id": model_id,
                "subject": subject[0],
                "body_html": body_en,
                "partner_to": "{{ object.partner_id.id }}",
                "lang": "{{ object.partner_id.lang }}",
                "auto_delete": True,
            }
        )
        template.update_field_translations("subject", {"fr_CA": subject[1]})
        template.update_field_translations("body_html", {"fr_CA": body_fr})
        template.update_field_translations("name", {"fr_CA": DEMO_NAMES_FR[name]})
        return template

    @api.model
    def _demo_outbox(self):
        """Messages in every state on real work orders, field jobs and leads,
        made by the real mechanisms: planned by the demo rules, checked and
        sent by the outbox, then delivered, bounced or failed as Odoo's mail
        queue, SMS provider and mail gateway report it."""
        tz = self.env.company.resource_calendar_id.tz or "UTC"
        now = fields.Datetime.now()
        Dispatch = self.env["followup.dispatch"]
        rules = self.search([("trigger", "!=", "before_date")])
        pool = self.env["res.partner"].search([("is_company", "=", True), ("email", "!=", False)], limit=6)
        for rule in [
            rules.filtered(lambda r, m=model: r.model_name == m)[:1]
            for model in set(rules.mapped("model_name"))
        ]:
            records = self.env[rule.model_name].search([("partner_id", "!=", False)], order="id", limit=6)
            if len(records.partner_id) < 3 <= len(records):
                # the apps' demo orders often share one customer: give each its own
                for record, partner in zip(records, pool, strict=False):
                    record.partner_id = partner
            customers = records.partner_id
            if len(customers) < 3:
                continue
            customers.write(
                {
                    "tz": tz,
                    "followup_email_consent": True,
                    "followup_sms_consent": True,
                    "followup_email_consent_source": "customer",
                    "followup_sms_consent_source": "customer",
                }
            )
            for customer in customers.filtered(lambda c: not c.mobile and not c.phone):
                customer.mobile = "+1 415 555 0199"
            # the reasons a message is skipped, one customer each
            customers[-1].write({"followup_email_consent": False, "followup_sms_consent": False})
            if rule.channel == "sms":
                customers[-2].write({"mobile": "12", "phone": "12"})
            else:
                self.env["mail.blacklist"].sudo()._add(customers[-2].email, message="Asked to stop")
            rule._plan(
                records,
                {
                    record: (now - timedelta(hours=1), "demo", f"demo:{rule.id}:{record.id}")
                    for record in records
                },
            )
            dispatches = Dispatch.search([("idempotency_key", "like", f"demo:{rule.id}:")])
            dispatches.write({"ignore_send_window": True, "policy_id": False})
            dispatches._process()
            self._demo_delivery(dispatches.filtered(lambda d: d.state == "sent"))
        # reminders of the coming appointments and deadlines stay planned
        for rule in self.search([("trigger", "=", "before_date")]):
            rule._plan_reminders(self.env[rule.model_name].search([("partner_id", "!=", False)], limit=10))

    @api.model
    def _demo_delivery(self, dispatches):
        """What Odoo reports on sent messages: one still in Odoo's queue,
        most delivered, one bounced, one failed for good."""
        if not dispatches:
            return
        delivered, bounced, failed = dispatches[1:-2], dispatches[-2:-1], dispatches[-1:]
        for dispatch in delivered | bounced:
            if dispatch.channel == "email":
                dispatch.mail_mail_id.write({"state": "sent"})
                dispatch.mail_mail_id._postprocess_sent_message(success_pids=dispatch.partner_id.ids)
            else:
                dispatch.sms_id._update_sms_state_and_trackers("pending")
                self.env["sms.tracker"].sudo().search(
                    [("sms_uuid", "=", dispatch.sms_id.uuid)]
                )._action_update_from_sms_state("sent")
        for dispatch in bounced:
            notification = dispatch.mail_message_id.notification_ids[:1]
            notification.write(
                {
                    "notification_status": "bounce",
                    "failure_type": "mail_bounce"
                    if dispatch.channel == "email"
                    else "sms_invalid_destination",
                }
            )
        for dispatch in failed:
            if dispatch.channel == "email":
                reason = f"550 5.1.1 <{dispatch.address}>: Recipient address rejected: User unknown"
                dispatch.mail_mail_id.write({"state": "exception", "failure_reason": reason})
                dispatch.mail_mail_id._postprocess_sent_message(
                    success_pids=[], failure_reason=reason, failure_type="mail_email_invalid"
                )
            else:
                dispatch.sms_id._update_sms_state_and_trackers("error", failure_type="sms_number_format")

    @api.model
    def _demo_locations(self):
        if "stock.warehouse" not in self.env or "repair.order" not in self.env:
            return
        self.env["followup.location"].create(
            [
                {
                    "name": self.env._("Workshop %(code)s", code=warehouse.code),
                    "company_id": warehouse.company_id.id,
                    "model_id": self.env["ir.model"]._get_id("repair.order"),
                    "filter_domain": f"[('picking_type_id.warehouse_id', '=', {warehouse.id})]",
                    "resource_calendar_id": warehouse.company_id.resource_calendar_id.id,
                }
                for warehouse in self.env["stock.warehouse"].search([])
            ]
        )
