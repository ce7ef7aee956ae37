from datetime import timedelta

from odoo import Command, api, fields, models

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
        # the addon's French now, not after its install: the demo writes messages with it
        self.env["ir.module.module"]._load_module_terms(["customer_followup"], ["fr_CA"])
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
        # the demo runs what the crons run, in the language of the crons' user
        self.with_context(lang=self.env.ref("base.user_admin").lang)._demo_outbox()

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
        # the apps' demo contacts have no time zone: they live where the company works
        self.env["res.partner"].search([("tz", "=", False), ("email", "!=", False)]).tz = tz
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
                self.env["mail.blacklist"].sudo()._add(
                    customers[-2].email, message=self.env._("Asked to stop")
                )
            # planned an hour ago, as the rule would have on the records' creation
            occurrence = f"created@{(now - timedelta(hours=1)).isoformat()}"
            rule._plan(
                records,
                {
                    record: (now - timedelta(hours=1), occurrence, f"demo:{rule.id}:{record.id}")
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
        queued, delivered, bounced, failed = (
            dispatches[:1],
            dispatches[1:-2],
            dispatches[-2:-1],
            dispatches[-1:],
        )
        for dispatch in queued:
            # accepted, not delivered yet: the demo server's crons do not try
            # it against a mail server or an SMS provider the demo has not
            if dispatch.channel == "email":
                dispatch.mail_mail_id.scheduled_date = fields.Datetime.now() + timedelta(days=1)
            else:
                dispatch.sms_id._update_sms_state_and_trackers("pending")
        (delivered | bounced)._demo_delivered()
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


DEMO_DUNNING_STEPS = [
    # (name, French name, type, days after the due date, [(paragraph, French paragraph)])
    ("Friendly reminder", "Rappel amical", "email", 3, []),
    (
        "Phone call",
        "Appel",
        "call",
        10,
        [
            (
                "Hello, this is %(company)s. We have not received the payment of the invoices we sent "
                "you a reminder about. Could you tell me when it will be made?",
                "Bonjour, ici %(company)s. Nous n'avons pas reçu le paiement des factures dont nous vous "
                "avons envoyé un rappel. Pouvez-vous me dire quand il sera fait ?",
            ),
            ("Write down the date promised.", "Notez la date promise."),
        ],
    ),
    (
        "Registered letter",
        "Lettre recommandée",
        "letter",
        30,
        [
            (
                "Formal notice: unless payment is received within 8 days, the file will be handed to "
                "our collection agency.",
                "Mise en demeure : sans paiement sous 8 jours, le dossier sera confié à notre agence "
                "de recouvrement.",
            )
        ],
    ),
]


DEMO_DUNNING_CUSTOMERS = [
    ("Boulangerie Gagnon", "compta@gagnon.example.com", "fr_CA"),
    ("Garage Tremblay", "factures@garagetremblay.example.com", "fr_CA"),
    ("Pacific Dental Clinic", "billing@pacificdental.example.com", "en_US"),
    ("Quincaillerie Roy", "comptes@quincaillerie-roy.example.com", "fr_CA"),
    ("Harbor Logistics", "ap@harborlogistics.example.com", "en_US"),
    ("Fromagerie Côté", "admin@fromageriecote.example.com", "fr_CA"),
    ("Summit Architects", "accounts@summitarchitects.example.com", "en_US"),
]


class FollowupDispatch(models.Model):
    _inherit = "followup.dispatch"

    def _demo_delivered(self):
        """What Odoo's mail queue and the SMS provider report once these
        sent messages reached their recipients."""
        sent = self.filtered(lambda d: d.state == "sent")
        emails = sent.filtered(lambda d: d.channel == "email")
        emails.mail_mail_id.write({"state": "sent"})
        emails.mail_mail_id._postprocess_sent_message(success_pids=emails.partner_id.ids)
        sms = (sent - emails).sms_id
        sms._update_sms_state_and_trackers("pending")
        self.env["sms.tracker"].sudo().search(
            [("sms_uuid", "in", sms.mapped("uuid"))]
        )._action_update_from_sms_state("sent")


class FollowupDunningPlan(models.Model):
    _inherit = "followup.dunning.plan"

    @api.model
    def _install_demo(self):
        """A three-step plan (English and French) and overdue invoices of
        the demo customers in every state of a dunning, run by the real
        cron and outbox."""
        company = self.env.company
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if self.with_context(active_test=False).search_count([], limit=1) or not journal:
            return
        self.env["res.lang"]._activate_lang("fr_CA")
        # the addon's French now, not after its install: the demo writes messages with it
        self.env["ir.module.module"]._load_module_terms(["customer_followup"], ["fr_CA"])
        admin = self.env.ref("base.user_admin")
        # the demo runs what the cron runs, in the language of the cron's user
        self.with_context(lang=admin.lang)._demo_plan(journal, admin)

    @api.model
    def _demo_plan(self, journal, admin):
        company = journal.company_id
        template = self.env.ref("customer_followup.mail_template_dunning_reminder")
        plan = self.create(
            {
                "name": "Standard dunning",
                "company_id": company.id,
                "min_delay_days": 5,
                "send_hour": 9.0,
                "step_ids": [
                    Command.create(
                        {
                            "sequence": sequence,
                            "name": name,
                            "action_type": action_type,
                            "trigger_days": days,
                            "mail_template_id": template.id if action_type == "email" else False,
                            "responsible": "user",
                            "user_id": admin.id,
                            "is_registered": action_type == "letter",
                            "instructions": "".join(
                                f"<p>{english % {'company': company.name}}</p>" for english, _fr in paragraphs
                            ),
                        }
                    )
                    for sequence, (name, _fr, action_type, days, paragraphs) in enumerate(
                        DEMO_DUNNING_STEPS, start=1
                    )
                ],
            }
        )
        plan.update_field_translations("name", {"fr_CA": "Relance standard"})
        for step, (_name, name_fr, _type, _days, paragraphs) in zip(
            plan.step_ids.sorted("sequence"), DEMO_DUNNING_STEPS, strict=True
        ):
            step.update_field_translations("name", {"fr_CA": name_fr})
            if paragraphs:
                terms = {
                    english % {"company": company.name}: french % {"company": company.name}
                    for english, french in paragraphs
                }
                step.update_field_translations("instructions", {"fr_CA": terms})
        company.followup_dunning_plan_id = plan
        self._demo_invoices(journal)
        self.env["followup.dunning"]._cron_run(auto_commit=False)
        self._demo_send()

    @api.model
    def _demo_send(self):
        """Send the planned dunning messages now, whatever the time."""
        dispatches = self.env["followup.dispatch"].search(
            [("res_model", "=", "followup.dunning"), ("state", "=", "planned")]
        )
        dispatches.write({"ignore_send_window": True})
        dispatches._process()
        dispatches._demo_delivered()

    @api.model
    def _demo_invoices(self, journal):
        """Overdue invoices: reminded, waiting for a call or a letter,
        disputed, promised, paid after the reminder, paid but not matched."""
        today = fields.Date.context_today(self)
        # customers of their own: the accounting demo has invoices and payments too
        tz = self.env.company.resource_calendar_id.tz or "UTC"
        customers = self.env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": True,
                    "email": email,
                    "lang": lang,
                    "tz": tz,
                    "user_id": self.env.ref("base.user_admin").id,
                }
                for name, email, lang in DEMO_DUNNING_CUSTOMERS
            ]
        )

        def invoice(customer, days_late, amount):
            move = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "journal_id": journal.id,
                    "partner_id": customer.id,
                    "invoice_date": today - timedelta(days=days_late + 30),
                    "invoice_date_due": today - timedelta(days=days_late),
                    "invoice_payment_term_id": False,
                    "invoice_line_ids": [
                        Command.create({"name": "Maintenance visit", "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
            move.action_post()
            return move

        reminded, called, lettered, disputed, promised, paid, unmatched = customers[:7]
        for days_late, amount in ((4, 480.0), (6, 125.5), (9, 1250.0)):
            invoice(reminded, days_late, amount)
        invoice(called, 12, 860.0)
        invoice(lettered, 40, 2300.0)
        invoice(disputed, 5, 310.0).write(
            {"followup_dispute": True, "followup_dispute_reason": "Work not finished"}
        )
        invoice(disputed, 4, 95.0)
        invoice(promised, 8, 640.0)
        self.env["followup.dunning"].create(
            {"partner_id": promised.id, "company_id": journal.company_id.id}
        ).date_promise = today + timedelta(days=7)
        paid_invoice = invoice(paid, 4, 150.0)
        self.env["followup.dunning"]._cron_run(auto_commit=False)
        self._demo_send()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=paid_invoice.ids
        ).create({"payment_date": today})._create_payments()
        invoice(unmatched, 7, 720.0)
        payment = self.env["account.payment"].create(
            {
                "amount": 720.0,
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": unmatched.id,
                "journal_id": self.env["account.journal"]
                .search([("type", "=", "bank"), ("company_id", "=", journal.company_id.id)], limit=1)
                .id,
            }
        )
        payment.action_post()
