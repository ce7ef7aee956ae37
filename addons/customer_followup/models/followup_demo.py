from odoo import api, models

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
    def _demo_locations(self):
        if "stock.warehouse" not in self.env or "repair.order" not in self.env:
            return
        self.env["followup.location"].create(
            [
                {
                    "name": warehouse.name,
                    "company_id": warehouse.company_id.id,
                    "model_id": self.env["ir.model"]._get_id("repair.order"),
                    "filter_domain": f"[('picking_type_id.warehouse_id', '=', {warehouse.id})]",
                    "resource_calendar_id": warehouse.company_id.resource_calendar_id.id,
                }
                for warehouse in self.env["stock.warehouse"].search([])
            ]
        )
