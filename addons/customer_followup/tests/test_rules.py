from datetime import datetime, timedelta

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from ..models.mail_thread import SMART_BUTTON_KEY
from .common import FollowupCase


def installed(model):
    """Run the test only where the app of ``model`` is installed (the CI
    database installs repair, project and crm)."""

    def decorator(cls):
        cls._required_model = model
        return cls

    return decorator


class FollowupRuleCase(FollowupCase):
    _required_model = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls._required_model and cls._required_model not in cls.env:
            cls.skipTest(cls, f"{cls._required_model} is not installed")
        cls.Rule = cls.env["followup.rule"]
        # the demo rules would plan messages of their own
        cls.Rule.search([]).active = False

    def rule(self, model, trigger="on_create", channel="sms", **vals):
        model_id = self.env["ir.model"]._get_id(model)
        if channel == "sms":
            vals.setdefault(
                "sms_template_id",
                self.env["sms.template"]
                .create(
                    {
                        "name": f"{model} {trigger}",
                        "model_id": model_id,
                        "body": "{{ object.display_name }}: {{ object.partner_id.name }}",
                    }
                )
                .id,
            )
        else:
            vals.setdefault(
                "mail_template_id",
                self.env["mail.template"]
                .create(
                    {
                        "name": f"{model} {trigger}",
                        "model_id": model_id,
                        "subject": "About {{ object.display_name }}",
                        "body_html": "<p>Hello</p>",
                    }
                )
                .id,
            )
        return self.Rule.create(
            {
                "name": f"{model} {trigger}",
                "model_id": model_id,
                "trigger": trigger,
                "channel": channel,
                "policy_id": self.policy.id,
                **vals,
            }
        )

    def dispatches(self, records, rule=None):
        domain = [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        if rule:
            domain += [("origin_model", "=", "followup.rule"), ("origin_id", "=", rule.id)]
        return self.Dispatch.search(domain, order="id")


@installed("repair.order")
@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestWorkOrderRules(FollowupRuleCase):
    def repair(self, **vals):
        return self.env["repair.order"].create({"partner_id": self.partner.id, **vals})

    def test_created_sends_one_sms_on_the_chatter(self):
        rule = self.rule("repair.order")
        repair = self.repair()
        repair.write({"internal_notes": "<p>Screen cracked</p>"})
        planned = self.dispatches(repair)
        self.assertEqual(len(planned), 1)
        self.assertEqual((planned.origin_model, planned.origin_id), ("followup.rule", rule.id))
        self.send_due()
        self.assertEqual(planned.state, "sent")
        self.assertEqual(planned.sms_id.number, "+15145550100")
        self.assertIn(planned.mail_message_id, repair.message_ids)
        self.assertIn(repair.name, planned.sms_id.body)

    def test_status_changed_within_the_delay_sends_one_message_with_the_current_status(self):
        rule = self.rule(
            "repair.order",
            "on_state_change",
            delay_number=1,
            delay_unit="hours",
            sms_template_id=self.env["sms.template"]
            .create(
                {
                    "name": "Status",
                    "model_id": self.env["ir.model"]._get_id("repair.order"),
                    "body": "{{ object.name }} is now {{ object.state }}",
                }
            )
            .id,
        )
        repair = self.repair()
        repair.action_validate()
        repair.action_repair_start()
        planned = self.dispatches(repair, rule)
        self.assertEqual(len(planned), 1)
        self.assertEqual(planned.date_planned, self.MONDAY_OPEN + timedelta(hours=1))
        with freeze_time(self.MONDAY_OPEN + timedelta(hours=1)):
            self.send_due()
        self.assertEqual(planned.state, "sent")
        self.assertTrue(planned.sms_id.body.endswith("is now under_repair"))

    def test_status_changed_to_a_chosen_value(self):
        done = (
            self.env["ir.model.fields"]
            ._get("repair.order", "state")
            .selection_ids.filtered(lambda s: s.value == "done")
        )
        rule = self.rule("repair.order", "on_state_set", state_selection_id=done.id)
        repair = self.repair()
        repair.action_validate()
        self.assertFalse(self.dispatches(repair, rule), "Confirmed is not the chosen status")
        repair.write({"state": "done"})
        planned = self.dispatches(repair, rule)
        self.assertEqual(len(planned), 1)
        self.send_due()
        self.assertEqual(planned.state, "sent")

    def test_status_changed_back_before_sending_cancels(self):
        done = (
            self.env["ir.model.fields"]
            ._get("repair.order", "state")
            .selection_ids.filtered(lambda s: s.value == "done")
        )
        rule = self.rule(
            "repair.order", "on_state_set", state_selection_id=done.id, delay_number=30, delay_unit="minutes"
        )
        repair = self.repair()
        repair.write({"state": "done"})
        repair.write({"state": "under_repair"})
        with freeze_time(self.MONDAY_OPEN + timedelta(minutes=30)):
            self.send_due()
        planned = self.dispatches(repair, rule)
        self.assertEqual((planned.state, planned.reason), ("cancelled", "condition_false"))
        self.assertIn("status", planned.error_message)

    def test_scheduled_date_changed_gives_the_new_date(self):
        rule = self.rule(
            "repair.order",
            "on_date_change",
            sms_template_id=self.env["sms.template"]
            .create(
                {
                    "name": "Moved",
                    "model_id": self.env["ir.model"]._get_id("repair.order"),
                    "body": "New time: {{ object.schedule_date }}",
                }
            )
            .id,
        )
        repair = self.repair(schedule_date=self.MONDAY_OPEN + timedelta(days=4))
        self.assertFalse(self.dispatches(repair, rule), "Creating is not moving")
        repair.schedule_date = self.MONDAY_OPEN + timedelta(days=5)
        repair.schedule_date = self.MONDAY_OPEN + timedelta(days=5)  # saved twice
        planned = self.dispatches(repair, rule)
        self.assertEqual(len(planned), 1)
        self.send_due()
        self.assertEqual(planned.sms_id.body, "New time: 2025-11-08 15:00:00")

    def test_reminder_follows_its_date_and_is_sent_once(self):
        rule = self.rule(
            "repair.order", "before_date", channel="email", reminder_number=1, reminder_unit="days"
        )
        appointment = self.MONDAY_OPEN + timedelta(days=3)
        repair = self.repair(schedule_date=appointment)
        first = self.dispatches(repair, rule)
        self.assertEqual(first.date_planned, appointment - timedelta(days=1))

        repair.schedule_date = appointment + timedelta(days=1)
        moved = self.dispatches(repair, rule) - first
        self.assertEqual((first.state, first.reason), ("cancelled", "condition_false"))
        self.assertEqual(moved.date_planned, appointment)
        self.assertEqual(moved.state, "planned")

        with freeze_time(appointment):
            self.send_due()
            self.send_due()
        self.assertEqual(moved.state, "sent")
        self.assertEqual(len(self.dispatches(repair, rule).filtered(lambda d: d.state == "sent")), 1)

    def test_reminder_back_to_a_former_date_is_planned_again(self):
        rule = self.rule("repair.order", "before_date", reminder_number=2, reminder_unit="hours")
        appointment = self.MONDAY_OPEN + timedelta(days=2)
        repair = self.repair(schedule_date=appointment)
        repair.schedule_date = appointment + timedelta(hours=3)
        repair.schedule_date = appointment
        planned = self.dispatches(repair, rule).filtered(lambda d: d.state == "planned")
        self.assertEqual(len(planned), 1)
        self.assertEqual(planned.date_planned, appointment - timedelta(hours=2))

    def test_passed_date_never_sends(self):
        rule = self.rule("repair.order", "before_date", reminder_number=1, reminder_unit="days")
        repair = self.repair(schedule_date=self.MONDAY_OPEN - timedelta(hours=1))
        self.assertFalse(self.dispatches(repair, rule))
        soon = self.repair(schedule_date=self.MONDAY_OPEN + timedelta(hours=2))
        late = self.dispatches(soon, rule)
        self.assertEqual(late.date_planned, self.MONDAY_OPEN, "Reminder time passed, date still ahead: now")

    def test_working_hours_of_the_location(self):
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1)
        location = self.env["followup.location"].create(
            {
                "name": "Downtown",
                "model_id": self.env["ir.model"]._get_id("repair.order"),
                "filter_domain": f"[('picking_type_id.warehouse_id', '=', {warehouse.id})]",
                "resource_calendar_id": self.calendar.id,
            }
        )
        self.policy.resource_calendar_id = False
        rule = self.rule("repair.order", location_id=location.id, working_hours_only=True)
        with freeze_time("2025-11-08 16:00:00"):  # Saturday
            repair = self.repair()
            self.send_due()
        planned = self.dispatches(repair, rule)
        self.assertEqual(planned.resource_calendar_id, self.calendar)
        self.assertEqual((planned.state, planned.reason), ("planned", "outside_hours"))

    def test_rule_without_working_hours_sends_at_any_time(self):
        self.assertTrue(self.policy.resource_calendar_id, "The policy has working hours")
        rule = self.rule("repair.order", working_hours_only=False)
        with freeze_time("2025-11-08 16:00:00"):  # Saturday
            repair = self.repair()
            planned = self.dispatches(repair, rule)
            self.assertEqual(planned.date_earliest, planned.date_planned, "Not moved into working hours")
            self.send_due()
        self.assertEqual(planned.state, "sent", "The form says any time: the outbox does the same")

    def test_two_changes_in_the_same_second_after_a_message_was_sent(self):
        rule = self.rule("repair.order", "on_state_change")
        repair = self.repair()
        repair.action_validate()
        self.send_due()
        repair.action_repair_start()
        self.send_due()
        planned = self.dispatches(repair, rule)
        self.assertEqual(planned.mapped("state"), ["sent", "sent"], "Each change its own message")
        self.assertEqual(len(set(planned.mapped("idempotency_key"))), 2)

    def test_consent(self):
        self.partner.followup_sms_consent = False
        required = self.rule("repair.order")
        not_required = self.rule("repair.order", is_consent_required=False)
        repair = self.repair()
        self.send_due()
        self.assertEqual(self.dispatches(repair, required).reason, "no_consent")
        self.assertEqual(self.dispatches(repair, not_required).state, "sent")

    def test_other_company_rules_are_ignored(self):
        other = self.env["res.company"].create({"name": "Other shop"})
        self.rule("repair.order", company_id=other.id, policy_id=other.followup_policy_id.id)
        self.assertFalse(self.dispatches(self.repair()))

    def test_smart_button_on_the_work_order(self):
        self.env["ir.ui.view"].search([("key", "=", SMART_BUTTON_KEY % "repair.order")]).unlink()
        self.rule("repair.order")
        repair = self.repair()
        self.assertEqual(repair.followup_dispatch_count, 1)
        action = repair.action_followup_dispatches()
        self.assertEqual(self.Dispatch.search(action["domain"]), self.dispatches(repair))
        arch = self.env["repair.order"].get_view(view_type="form")["arch"]
        self.assertIn("action_followup_dispatches", arch)
        # made at run time, the button also speaks a language installed later
        self.env["res.lang"]._activate_lang("fr_BE")
        self.env["ir.module.module"]._load_module_terms(["customer_followup"], ["fr_BE"])
        arch = self.env["repair.order"].with_context(lang="fr_BE").get_view(view_type="form")["arch"]
        self.assertIn('string="Suivis"', arch)

    def test_deleting_a_rule_cancels_its_planned_messages(self):
        rule = self.rule("repair.order", delay_number=1)
        repair = self.repair()
        planned = self.dispatches(repair, rule)
        rule.unlink()
        self.assertEqual((planned.state, planned.reason), ("cancelled", "condition_false"))


@installed("project.task")
@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestFieldJobRules(FollowupRuleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project = cls.env["project.project"].create({"name": "Installations"})
        cls.other_project = cls.env["project.project"].create({"name": "Maintenance"})
        cls.stages = cls.env["project.task.type"].create(
            [
                {"name": "Planned", "project_ids": [(4, cls.project.id)]},
                {"name": "On the way", "project_ids": [(4, cls.project.id)]},
            ]
        )

    def task(self, **vals):
        return self.env["project.task"].create(
            {
                "name": "Install heat pump",
                "project_id": self.project.id,
                "partner_id": self.partner.id,
                **vals,
            }
        )

    def test_stage_changed(self):
        rule = self.rule("project.task", "on_state_change")
        self.assertEqual(rule.state_field_id.name, "stage_id")
        task = self.task(stage_id=self.stages[0].id)
        task.stage_id = self.stages[1]
        self.assertEqual(len(self.dispatches(task, rule)), 1)

    def test_deadline_cleared_cancels_the_reminder(self):
        rule = self.rule("project.task", "before_date", reminder_number=2, reminder_unit="hours")
        self.assertEqual(rule.date_field_id.name, "date_deadline")
        task = self.task(date_deadline=self.MONDAY_OPEN + timedelta(days=1))
        planned = self.dispatches(task, rule)
        task.date_deadline = False
        self.assertEqual(planned.state, "cancelled")

    def test_location_scope(self):
        location = self.env["followup.location"].create(
            {
                "name": "Installations team",
                "model_id": self.env["ir.model"]._get_id("project.task"),
                "filter_domain": f"[('project_id', '=', {self.project.id})]",
            }
        )
        rule = self.rule("project.task", location_id=location.id)
        inside = self.task()
        outside = self.task(project_id=self.other_project.id)
        self.assertEqual(len(self.dispatches(inside, rule)), 1)
        self.assertFalse(self.dispatches(outside, rule))

    def test_condition_rechecked_at_send_time(self):
        rule = self.rule("project.task", filter_domain="[('priority', '=', '1')]", delay_number=1)
        task = self.task(priority="1")
        task.priority = "0"
        with freeze_time(self.MONDAY_OPEN + timedelta(hours=1)):
            self.send_due()
        planned = self.dispatches(task, rule)
        self.assertEqual((planned.state, planned.reason), ("cancelled", "condition_false"))

    def test_mass_edit_plans_in_a_handful_of_queries(self):
        rule = self.rule("project.task", "before_date", reminder_number=1, reminder_unit="hours")
        tasks = self.env["project.task"].create(
            [
                {"name": f"Job {i}", "project_id": self.project.id, "partner_id": self.partner.id}
                for i in range(1000)
            ]
        )
        deadline = self.MONDAY_OPEN + timedelta(days=2)
        self.env.invalidate_all()
        before = {"date_deadline": {task.id: task.date_deadline for task in tasks}}
        tasks.write({"date_deadline": deadline})
        self.Dispatch.search([("origin_id", "=", rule.id)]).unlink()
        self.env.flush_all()
        self.env.invalidate_all()
        # constant: the outbox inserts up to 1,000 rows per INSERT
        with self.assertQueryCount(__system__=15):
            rule._on_write(tasks, before)
            self.env.flush_all()
        self.assertEqual(len(self.dispatches(tasks, rule)), 1000)

    def test_send_time_check_of_100_reminders_is_batched(self):
        self.rule("project.task", "before_date", channel="email", reminder_number=1, reminder_unit="hours")
        tasks = self.env["project.task"].create(
            [
                {"name": f"Job {i}", "project_id": self.project.id, "partner_id": self.partner.id}
                for i in range(100)
            ]
        )
        tasks.write({"date_deadline": self.MONDAY_OPEN + timedelta(minutes=30)})
        self.env.invalidate_all()
        # the same as a batch without rule, plus the rule's condition and dates
        with self.assertQueryCount(__system__=47):
            self.send_due()
        self.assertEqual(set(self.dispatches(tasks).mapped("state")), {"sent"})


@installed("crm.lead")
@tagged("post_install", "-at_install")
@freeze_time(FollowupCase.MONDAY_OPEN)
class TestLeadRules(FollowupRuleCase):
    def test_lead_created_and_stage_set(self):
        stages = self.env["crm.stage"].search([], limit=2)
        created = self.rule("crm.lead", channel="email")
        won = self.rule("crm.lead", "on_state_set", stage_ref=stages[1].id)
        lead = self.env["crm.lead"].create(
            {"name": "New kitchen", "partner_id": self.partner.id, "stage_id": stages[0].id}
        )
        self.assertEqual(len(self.dispatches(lead, created)), 1)
        self.assertFalse(self.dispatches(lead, won))
        lead.stage_id = stages[1]
        self.assertEqual(len(self.dispatches(lead, won)), 1)
        self.send_due()
        self.assertEqual(set(self.dispatches(lead).mapped("state")), {"sent"})
        self.assertEqual(len(lead.message_ids.filtered(lambda m: m.message_type in ("sms", "comment"))), 2)


@tagged("post_install", "-at_install")
class TestRuleConfiguration(FollowupRuleCase):
    def test_template_must_match_the_model(self):
        with self.assertRaises(ValidationError):
            self.rule(
                "res.partner",
                sms_template_id=self.env["sms.template"]
                .create(
                    {
                        "name": "Users",
                        "model_id": self.env["ir.model"]._get_id("res.users"),
                        "body": "x",
                    }
                )
                .id,
            )

    def test_invalid_condition_is_refused(self):
        with self.assertRaises(ValidationError):
            self.rule("res.partner", filter_domain="[('no_such_field', '=', 1)]")

    def test_rules_on_contacts_work_too(self):
        rule = self.rule("res.partner")
        partner = self._partners(1)
        self.assertEqual(len(self.dispatches(partner, rule)), 1)

    def test_bulk_change_of_channel_and_template(self):
        rules = self.rule("res.partner") | self.rule("res.partner")
        wizard = (
            self.env["followup.rule.bulk.edit"]
            .with_context(active_model="followup.rule", active_ids=rules.ids)
            .create({"channel": "email", "mail_template_id": self.mail_template.id})
        )
        wizard.action_apply()
        self.assertEqual(set(rules.mapped("channel")), {"email"})
        self.assertEqual(rules.mail_template_id, self.mail_template)
        self.assertFalse(rules.sms_template_id)
        users_template = self.env["mail.template"].create(
            {
                "name": "Users",
                "model_id": self.env["ir.model"]._get_id("res.users"),
            }
        )
        wizard = self.env["followup.rule.bulk.edit"].create(
            {
                "rule_ids": [(6, 0, rules.ids)],
                "channel": "email",
                "mail_template_id": users_template.id,
            }
        )
        with self.assertRaises(UserError):
            wizard.action_apply()

    def test_copy_to_every_location(self):
        model_id = self.env["ir.model"]._get_id("res.partner")
        locations = self.env["followup.location"].create(
            [
                {"name": name, "model_id": model_id, "filter_domain": "[]"}
                for name in ("North", "South", "East")
            ]
        )
        rule = self.rule("res.partner", location_id=locations[0].id)
        action = rule.action_copy_to_locations()
        copies = self.Rule.search(action["domain"])
        self.assertEqual(copies.location_id, locations[1:])
        self.assertEqual(set(copies.mapped("sms_template_id")), {rule.sms_template_id})

    def test_copy_to_every_location_twice_copies_once(self):
        model_id = self.env["ir.model"]._get_id("res.partner")
        locations = self.env["followup.location"].create(
            [
                {"name": name, "model_id": model_id, "filter_domain": "[]"}
                for name in ("North", "South", "East")
            ]
        )
        rule = self.rule("res.partner", location_id=locations[0].id)
        rule.action_copy_to_locations()
        with self.assertRaises(UserError):
            rule.action_copy_to_locations()
        family = self.Rule.search([("name", "like", rule.name)])
        self.assertEqual(len(family), 3)
        self.assertEqual(family.location_id, locations)
        locations |= self.env["followup.location"].create(
            {"name": "West", "model_id": model_id, "filter_domain": "[]"}
        )
        copies = self.Rule.search(family[1].action_copy_to_locations()["domain"])
        self.assertEqual(copies.location_id.mapped("name"), ["West"], "Only the new location gets a copy")

    @freeze_time(FollowupCase.MONDAY_OPEN)  # sent at once: inside the policy's working hours
    def test_copy_of_a_rule_without_location_replaces_it(self):
        model_id = self.env["ir.model"]._get_id("res.partner")
        north, south = self.env["followup.location"].create(
            [
                {"name": "North", "model_id": model_id, "filter_domain": "[('city', '=', 'Laval')]"},
                {"name": "South", "model_id": model_id, "filter_domain": "[('city', '=', 'Longueuil')]"},
            ]
        )
        laval, longueuil = self._partners(2)
        laval.city, longueuil.city = "Laval", "Longueuil"
        rule = self.rule("res.partner")
        pending = self.plan(
            laval | longueuil,
            channel="sms",
            origin_model="followup.rule",
            origin_id=rule.id,
            key=f"rule:{rule.id}:x",
        )
        copies = self.Rule.search(rule.action_copy_to_locations()["domain"])
        self.assertFalse(rule.active, "The original gives way to its copies")
        self.assertEqual(copies.location_id, north | south)
        by_location = {copy.location_id: copy for copy in copies}
        self.assertEqual(pending.mapped("origin_id"), [by_location[north].id, by_location[south].id])
        self.assertEqual(set(pending.mapped("state")), {"planned"}, "Nothing lost")
        self.send_due()
        self.assertEqual(set(pending.mapped("state")), {"sent"})
        self.assertEqual(
            len(self.Dispatch.search([("partner_id", "in", (laval | longueuil).ids)])), 2, "Once each"
        )

    def test_rule_form(self):
        with Form(self.Rule) as form:
            form.name = "Contact created"
            form.model_choice = "other"
            form.model_id = self.env["ir.model"]._get("res.partner")
            form.channel = "email"
            form.mail_template_id = self.mail_template
        self.assertEqual(form.record.model_name, "res.partner")
        self.assertEqual(form.record.trigger, "on_create")
        partner = self._partners(1)
        self.assertEqual(
            self.dispatches(partner, form.record).partner_id, partner, "A contact is told itself"
        )

    def test_rule_form_offers_the_templates_of_the_chosen_app(self):
        choices = [value for value, _label in self.Rule._selection_model_choice() if value != "other"]
        if not choices:
            self.skipTest("None of Repair, Project and CRM is installed")
        form = Form(self.Rule)
        form.model_choice = choices[0]
        self.assertEqual(form.model_name, choices[0], "Known before saving, for the template lists")


@installed("repair.order")
@tagged("post_install", "-at_install")
class TestDemoRules(FollowupRuleCase):
    def test_demo_rules_for_the_installed_apps(self):
        self.Rule.with_context(active_test=False).search([]).unlink()
        self.Rule._install_demo()
        rules = self.Rule.search([])
        self.assertEqual(
            set(rules.mapped("model_name")),
            {m for m in ("repair.order", "project.task", "crm.lead") if m in self.env},
        )
        ready = rules.filtered(lambda r: r.name == "Ready for pickup")
        self.assertEqual(ready.state_selection_id.value, "done")
        self.assertIn("prêt à être récupéré", ready.sms_template_id.with_context(lang="fr_CA").body)
        self.assertIn("ready for pickup", ready.sms_template_id.with_context(lang="en_US").body)
        self.assertEqual(ready.with_context(lang="fr_CA").name, "Prêt à récupérer")
        self.Rule._install_demo()
        self.assertEqual(self.Rule.search_count([]), len(rules), "Installing the demo twice adds nothing")


@installed("repair.order")
@tagged("post_install", "-at_install")
class TestDemoTemplates(FollowupRuleCase):
    def test_reminder_shows_the_customers_local_time_in_their_language(self):
        self.Rule.with_context(active_test=False).search([]).unlink()
        self.Rule._install_demo()
        reminder = self.Rule.search([("name", "=", "Appointment reminder")])
        self.env["res.lang"]._activate_lang("fr_CA")
        customer = self.env["res.partner"].create(
            {
                "name": "Chloé Martin",
                "email": "chloe@example.com",
                "tz": "America/Los_Angeles",
                "lang": "fr_CA",
            },
        )
        repair = self.env["repair.order"].create(
            {"partner_id": customer.id, "schedule_date": datetime(2025, 11, 4, 17, 0, 30)}
        )
        body = reminder.mail_template_id._render_field("body_html", repair.ids, compute_lang=True)[repair.id]
        self.assertIn("mardi 4 novembre, 09:00", body, "9:00 in Los Angeles, in French")
        self.assertNotIn(":30", body, "No seconds")

    def test_demo_outbox_shows_every_state_on_real_records(self):
        demo = self.Dispatch.search([("idempotency_key", "=like", "demo:%")])
        if not demo:
            self.skipTest("installed without demo data")
        self.assertTrue(
            {"sent", "delivered", "bounced", "skipped", "failed", "planned"} <= set(demo.mapped("state"))
        )
        self.assertTrue({"no_consent", "blacklisted", "invalid_phone"} <= set(demo.mapped("reason")))
        models = set(demo.filtered(lambda d: d.origin_model == "followup.rule").mapped("res_model"))
        self.assertTrue({"repair.order", "project.task", "crm.lead"} & models)
