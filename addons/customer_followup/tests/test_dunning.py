from datetime import date, datetime

from odoo import Command, fields, sql_db
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import montreal_calendar

# Monday 2025-10-06: the first invoice falls due. 9:00 in Montreal (EDT,
# UTC-4) is 13:00 UTC.
DUE = date(2025, 10, 6)


def at(day, hour=13):
    """UTC time ``hour`` of ``day``, 2025-10-``day``."""
    return datetime(2025, 10, day, hour, 0)


class DunningCase(AccountTestInvoicingCommon):
    """Real invoices, posted and paid through the accounting; a Montreal
    working calendar; a three-step plan: e-mail at due+3 (automatic), call
    at due+10 and registered letter at due+30 (manual)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        # the accountant of AccountTestInvoicingCommon also sets up the send policy
        cls.env.user.groups_id |= cls.env.ref("customer_followup.group_followup_manager")
        cls.calendar = montreal_calendar(cls.env, cls.company)
        cls.policy = cls.env["followup.policy"].create(
            {"name": "Office hours", "company_id": cls.company.id, "resource_calendar_id": cls.calendar.id}
        )
        cls.collector = new_test_user(
            cls.env, login="collector", name="Colette Collector", groups="account.group_account_invoice"
        )
        cls.plan = cls.env["followup.dunning.plan"].create(
            {
                "name": "Standard",
                "company_id": cls.company.id,
                "policy_id": cls.policy.id,
                "min_delay_days": 5,
                "send_hour": 9.0,
                "step_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Friendly reminder",
                            "action_type": "email",
                            "trigger_days": 3,
                            "mail_template_id": cls.env.ref(
                                "customer_followup.mail_template_dunning_reminder"
                            ).id,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "name": "Phone call",
                            "action_type": "call",
                            "trigger_days": 10,
                            "responsible": "user",
                            "user_id": cls.collector.id,
                            "instructions": "<p>Ask when the payment will be made.</p>",
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 3,
                            "name": "Registered letter",
                            "action_type": "letter",
                            "trigger_days": 30,
                            "responsible": "user",
                            "user_id": cls.collector.id,
                            "is_registered": True,
                        }
                    ),
                ],
            }
        )
        cls.company.followup_dunning_plan_id = cls.plan
        cls.customer = cls.env["res.partner"].create(
            {"name": "Boulangerie Gagnon", "email": "compta@gagnon.example.com", "lang": "en_US"}
        )
        cls.Dunning = cls.env["followup.dunning"]

    @classmethod
    def invoice(cls, due, amount=100.0, partner=None, move_type="out_invoice", **vals):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or cls.customer).id,
                "invoice_date": fields.Date.subtract(due, days=30),
                "invoice_date_due": due,
                "invoice_payment_term_id": False,
                "invoice_line_ids": [Command.create({"name": "Bread", "price_unit": amount, "tax_ids": []})],
                **vals,
            }
        )
        move.action_post()
        return move

    def pay(self, moves, amount=None, day=None):
        vals = {"payment_date": day or fields.Date.today()}
        if amount is not None:
            vals["amount"] = amount
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create(vals)
            ._create_payments()
        )

    def run_dunning(self):
        self.Dunning._cron_run()
        return self.Dunning.search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", self.company.id)]
        )

    def send(self):
        self.env["followup.dispatch"]._cron_send_due()


@tagged("post_install", "-at_install")
class TestDunningRun(DunningCase):
    def test_three_overdue_invoices_one_email_listing_all_on_the_right_day(self):
        invoices = (
            self.invoice(DUE) | self.invoice(date(2025, 10, 7), 250) | self.invoice(date(2025, 10, 8), 40)
        )
        with freeze_time(at(9, 12)):  # Thursday, 8:00 in Montreal: not yet
            dunning = self.run_dunning()
            self.assertEqual(dunning.next_step_id.name, "Friendly reminder")
            self.assertEqual(dunning.date_next, at(9), "due+3 at the plan's send hour, Montreal time")
            self.assertFalse(dunning.action_ids)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        (action,) = dunning.action_ids
        self.assertEqual((action.name, action.state), ("Friendly reminder", "done"))
        self.assertEqual(action.move_line_ids.move_id, invoices)
        self.assertEqual(action.amount, 390.0)
        self.assertEqual(action.dispatch_id.state, "sent")
        mail = action.dispatch_id.mail_mail_id
        for invoice in invoices:
            self.assertIn(invoice.name, mail.body_html)
        self.assertIn("390.00", mail.body_html)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(dunning.state, "in_progress")
        self.assertEqual(dunning.next_step_id.name, "Phone call")
        self.assertEqual(dunning.date_next, at(16), "due+10")

    def test_weekend_moves_the_email_to_monday(self):
        self.invoice(date(2025, 10, 8))  # due Wednesday: due+3 is a Saturday
        with freeze_time(at(11)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.action_ids.dispatch_id.date_earliest, at(13), "Monday 9:00 in Montreal")

    def test_paying_everything_before_the_next_step_cancels_it(self):
        invoices = self.invoice(DUE) | self.invoice(DUE, 80)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        with freeze_time(at(14)):
            self.pay(invoices)
        with freeze_time(at(16)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.state, "done")
        self.assertEqual(dunning.action_ids.mapped("name"), ["Friendly reminder"], "no call")

    def test_payment_after_planning_cancels_the_message_at_send_time(self):
        invoice = self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            dispatch = dunning.action_ids.dispatch_id
            self.assertEqual(dispatch.state, "planned")
            self.pay(invoice)
            self.send()
        self.assertEqual((dispatch.state, dispatch.reason), ("cancelled", "invoice_paid"))
        self.assertEqual(dunning.action_ids.state, "cancelled")

    def test_payment_after_the_invoices_were_shown_still_cancels_at_send_time(self):
        invoice = self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            dispatch = dunning.action_ids.dispatch_id
            self.assertEqual(dunning.line_ids.move_id, invoice, "as the dunning's form shows it")
            self.pay(invoice)
            self.send()
        self.assertEqual((dispatch.state, dispatch.reason), ("cancelled", "invoice_paid"))

    def test_partial_payment_keeps_the_invoice_listed_with_what_is_left(self):
        invoice = self.invoice(DUE, 500)
        with freeze_time(at(8)):
            self.pay(invoice, amount=200)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.action_ids.amount, 300.0)
        self.assertEqual(dunning.line_ids.move_id, invoice)

    def test_credit_notes_are_deducted(self):
        self.invoice(DUE, 500)
        refund = self.invoice(DUE, 120, move_type="out_refund")
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertIn(refund, dunning.line_ids.move_id)
        self.assertEqual(dunning.amount_due, 380.0)
        self.assertEqual(dunning.action_ids.amount, 380.0)

    def test_instalments_count_by_due_line(self):
        terms = self.env["account.payment.term"].create(
            {
                "name": "Half now, half in 30 days",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                ],
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": DUE,
                "invoice_payment_term_id": terms.id,
                "invoice_line_ids": [Command.create({"name": "Oven", "price_unit": 1000, "tax_ids": []})],
            }
        )
        invoice.action_post()
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual(
            dunning.action_ids.move_line_ids.mapped("date_maturity"),
            [DUE],
            "only the first instalment is due",
        )
        self.assertEqual(dunning.action_ids.amount, 500.0)

    def test_min_delay_postpones_and_never_drops(self):
        self.plan.step_ids[1].write(
            {
                "action_type": "email",
                "is_automatic": True,
                "trigger_days": 5,
                "mail_template_id": self.plan.step_ids[0].mail_template_id.id,
            }
        )
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        self.assertEqual(dunning.date_next, at(14), "due+5 is the 11th, 5 days after the 9th is the 14th")
        with freeze_time(at(11)):
            dunning = self.run_dunning()
            self.assertEqual(len(dunning.action_ids), 1)
        with freeze_time(at(14)):
            dunning = self.run_dunning()
        self.assertEqual(len(dunning.action_ids), 2)

    def test_a_delay_counted_from_a_late_action_waits_for_the_send_hour(self):
        self.plan.step_ids[1].write(
            {
                "action_type": "email",
                "is_automatic": True,
                "trigger_days": 5,
                "mail_template_id": self.plan.step_ids[0].mail_template_id.id,
            }
        )
        self.invoice(DUE)
        with freeze_time(at(9, 20)):  # the reminder leaves late, at 16:00 in Montreal
            dunning = self.run_dunning()
        self.assertEqual(dunning.date_next, at(15), "5 days later is the 14th at 16:00: the 15th at 9:00")

    def test_late_start_jumps_to_the_step_reached(self):
        self.invoice(DUE)
        with freeze_time(at(20)):  # due+14: the call is the step reached
            dunning = self.run_dunning()
        self.assertEqual(dunning.action_ids.mapped("name"), ["Phone call"])


@tagged("post_install", "-at_install")
class TestDunningManualSteps(DunningCase):
    def reach_the_call(self):
        self.invoice(DUE)
        with freeze_time(at(9)):
            self.run_dunning()
            self.send()
        with freeze_time(at(16)):
            dunning = self.run_dunning()
        # read as superuser: the test's accountant is not its responsible
        return dunning, dunning.action_ids.sudo().filtered(lambda a: a.name == "Phone call")

    def test_manual_step_is_an_activity_of_its_responsible_and_blocks_the_plan(self):
        dunning, call = self.reach_the_call()
        self.assertEqual((call.state, call.user_id), ("to_do", self.collector))
        self.assertEqual(call.activity_ids.user_id, self.collector)
        self.assertEqual(call.activity_ids.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertIn("Ask when the payment will be made", str(call.instructions))
        self.assertEqual(dunning.state, "waiting")
        with freeze_time(datetime(2025, 11, 10, 14)):  # far past due+30: still waiting
            dunning = self.run_dunning()
        self.assertEqual(
            dunning.action_ids.sorted("date").mapped("name"), ["Friendly reminder", "Phone call"]
        )

    def test_validating_lets_the_plan_go_on(self):
        dunning, call = self.reach_the_call()
        with freeze_time(at(17)):
            call.with_user(self.collector).note = "<p>Will pay Friday.</p>"
            call.with_user(self.collector).action_validate()
        self.assertEqual((call.state, call.done_user_id), ("done", self.collector))
        self.assertFalse(call.activity_ids)
        with freeze_time(datetime(2025, 11, 5, 14)):  # due+30
            dunning = self.run_dunning()
        letter = dunning.sudo().action_ids.filtered(lambda a: a.name == "Registered letter")
        self.assertEqual(letter.state, "to_do")

    def test_marking_the_activity_done_validates(self):
        _dunning, call = self.reach_the_call()
        call.activity_ids.with_user(self.collector).action_feedback(feedback="Reached the owner")
        self.assertEqual(call.state, "done")

    def test_ignoring_needs_a_reason(self):
        _dunning, call = self.reach_the_call()
        with self.assertRaises(UserError):
            call.with_user(self.collector).action_ignore()
        call.with_user(self.collector).reason = "Customer in holidays"
        call.with_user(self.collector).action_ignore()
        self.assertEqual(call.state, "ignored")

    def test_an_administrator_who_is_not_responsible_neither_sees_nor_completes_it(self):
        _dunning, call = self.reach_the_call()
        admin = self.env.ref("base.user_admin")
        actions = self.env["followup.dunning.action"].with_user(admin)
        self.assertNotIn(call, actions.search([]))
        self.assertEqual(actions.search_count([("id", "=", call.id)]), 0)
        with self.assertRaises(AccessError):
            call.with_user(admin).action_validate()
        self.assertIn(call, self.env["followup.dunning.action"].with_user(self.collector).search([]))

    def test_the_customer_shows_its_responsible_what_waits_for_them(self):
        _dunning, call = self.reach_the_call()
        admin = self.env.ref("base.user_admin")
        self.assertEqual(self.customer.with_user(self.collector).followup_dunning_todo_count, 1)
        self.assertEqual(self.customer.with_user(admin).followup_dunning_todo_count, 0)
        action = self.customer.with_user(self.collector).action_open_followup_dunning_todo()
        self.assertEqual(
            self.env[action["res_model"]].with_user(self.collector).search(action["domain"]), call
        )
        call.with_user(self.collector).action_validate()
        self.customer.invalidate_recordset(["followup_dunning_todo_count"])
        self.assertEqual(self.customer.with_user(self.collector).followup_dunning_todo_count, 0)


@tagged("post_install", "-at_install")
class TestDunningStopsAndHolds(DunningCase):
    def test_a_disputed_invoice_is_left_out_the_others_go_on(self):
        disputed = self.invoice(DUE, 700)
        other = self.invoice(date(2025, 10, 7), 50)
        disputed.write({"followup_dispute": True, "followup_dispute_reason": "Wrong quantity"})
        with freeze_time(at(10)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.action_ids.move_line_ids.move_id, other)
        self.assertEqual(dunning.action_ids.amount, 50.0)

    def test_an_excluded_invoice_or_customer_is_never_chased(self):
        self.invoice(DUE).followup_dunning_excluded = True
        with freeze_time(at(9)):
            self.assertFalse(self.run_dunning())
        self.invoice(DUE)
        self.customer.followup_dunning_excluded = True
        with freeze_time(at(9)):
            self.assertFalse(self.run_dunning())

    def test_a_promise_to_pay_holds_until_its_date(self):
        self.invoice(DUE)
        with freeze_time(at(8)):
            dunning = self.run_dunning()
            dunning.date_promise = date(2025, 10, 15)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual((dunning.state, dunning.hold_reason), ("on_hold", "promise"))
        self.assertFalse(dunning.action_ids)
        with freeze_time(at(16)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.state, "waiting", "the call of due+10 is reached")

    def test_an_unreconciled_payment_holds(self):
        self.invoice(DUE)
        payment = self.env["account.payment"].create(
            {
                "amount": 100,
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "date": date(2025, 10, 8),
            }
        )
        payment.action_post()
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual((dunning.state, dunning.hold_reason), ("on_hold", "payment"))
        self.assertFalse(dunning.action_ids)

    def test_a_new_overdue_invoice_after_a_finished_cycle_starts_a_new_one(self):
        first = self.invoice(DUE)
        with freeze_time(at(9)):
            self.run_dunning()
            self.send()
            self.pay(first)
            dunning = self.run_dunning()
        self.assertEqual(dunning.state, "done")
        self.invoice(date(2025, 10, 20))
        with freeze_time(at(23)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.cycle, 2)
        self.assertEqual(
            dunning.action_ids.filtered(lambda a: a.cycle == 2).mapped("name"), ["Friendly reminder"]
        )

    def test_a_blacklisted_address_is_a_reasoned_skip_and_an_activity(self):
        self.env["mail.blacklist"].create({"email": self.customer.email})
        self.customer.user_id = self.collector
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        action = dunning.action_ids
        self.assertEqual((action.dispatch_id.state, action.dispatch_id.reason), ("skipped", "blacklisted"))
        self.assertEqual(action.activity_ids.user_id, self.collector)

    def test_an_archived_plan_does_nothing(self):
        self.plan.active = False
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertFalse(dunning.action_ids)
        self.assertFalse(dunning.next_step_id)
        self.assertEqual((dunning.state, dunning.hold_reason), ("on_hold", "no_plan"))

    def test_multi_company_and_currency(self):
        other = self.setup_other_company()["company"]
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        self.invoice(DUE, 100, currency_id=eur.id)
        self.invoice(DUE, 60, company_id=other.id)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.line_ids.currency_id, eur)
        self.assertIn("100.00", dunning.amount_summary)
        self.assertEqual(dunning.amount_due, 50.0, "in the company's currency")
        other_dunning = self.Dunning.search(
            [("partner_id", "=", self.customer.id), ("company_id", "=", other.id)]
        )
        self.assertEqual(other_dunning.reference_move_id.company_id, other)
        self.assertFalse(other_dunning.plan_id, "the other company has no plan")


@tagged("post_install", "-at_install")
class TestDunningManualEdits(DunningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.collector.email = "colette@bakery-supplies.example.com"
        cls.accounting = cls.env["res.partner"].create(
            {
                "name": "Accounting Dept",
                "parent_id": cls.customer.id,
                "type": "invoice",
                "email": "ap@gagnon.example.com",
            }
        )
        cls.owner = cls.env["res.partner"].create(
            {"name": "Marc Gagnon", "parent_id": cls.customer.id, "email": "marc@gagnon.example.com"}
        )

    def reach_the_call(self):
        self.invoice(DUE)
        with freeze_time(at(16)):
            dunning = self.run_dunning()
        return dunning, dunning.sudo().action_ids.with_user(self.collector)

    def test_the_responsible_turns_a_call_into_an_email_of_their_own(self):
        _dunning, call = self.reach_the_call()
        self.assertEqual(call.recipient_ids, self.accounting, "the invoicing contact by default")
        attachment = self.env["ir.attachment"].create({"name": "statement.txt", "raw": b"Statement"})
        with freeze_time(at(17)):
            call.write(
                {
                    "action_type": "email",
                    "recipient_ids": [Command.set((self.accounting | self.owner).ids)],
                    "subject": "Your account",
                    "body": "<p>As discussed on the phone, here is your statement.</p>",
                    "attachment_ids": [Command.set(attachment.ids)],
                }
            )
            call.action_validate()
        dispatches = self.env["followup.dispatch"].search(
            [("origin_id", "=", call.id), ("origin_model", "=", call._name)]
        )
        self.assertEqual(dispatches.partner_id, self.accounting | self.owner)
        self.assertEqual(set(dispatches.mapped("state")), {"sent"})
        for mail in dispatches.mail_mail_id:
            self.assertEqual(mail.email_from, self.collector.email_formatted)
            self.assertIn("As discussed on the phone", mail.body_html)
            self.assertEqual(mail.subject, "Your account")
            self.assertIn(attachment, mail.attachment_ids)

    def test_recipients_are_the_customers_contacts(self):
        _dunning, call = self.reach_the_call()
        stranger = self.env["res.partner"].create({"name": "Someone else", "email": "else@example.com"})
        with self.assertRaises(ValidationError):
            call.recipient_ids = stranger

    def test_a_letter_prints_with_its_registered_flag_and_invoices(self):
        self.invoice(DUE)
        with freeze_time(datetime(2025, 11, 10, 14)):  # due+35: the letter is reached
            dunning = self.run_dunning()
        letter = dunning.sudo().action_ids.with_user(self.collector)
        self.assertEqual((letter.action_type, letter.is_registered), ("letter", True))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("customer_followup.report_dunning_letter", letter.ids)[0]
            .decode()
        )
        self.assertIn("Registered mail", html)
        self.assertIn(dunning.reference_move_id.name, html)
        letter.action_validate()
        self.assertEqual(letter.state, "done")

    def test_automatic_email_attaches_the_invoices_when_asked(self):
        self.plan.step_ids[0].attach_invoices = True
        invoice = self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        mail = dunning.action_ids.dispatch_id.mail_mail_id
        self.assertEqual(mail.attachment_ids.res_id, invoice.id)
        self.assertEqual(mail.attachment_ids.mimetype, "application/pdf")


@tagged("post_install", "-at_install")
class TestDunningEffectiveness(DunningCase):
    def test_what_was_collected_after_each_step(self):
        first, second = self.invoice(DUE, 300), self.invoice(DUE, 200)
        with freeze_time(at(9)):
            self.run_dunning()
            self.send()
        with freeze_time(at(12)):
            self.pay(first)
        with freeze_time(datetime(2025, 10, 30, 12)):
            self.pay(second)
            dunning = self.run_dunning()
        (reminder,) = dunning.action_ids
        self.assertEqual((reminder.amount_collected_7, reminder.amount_collected_30), (300.0, 500.0))
        self.assertEqual((reminder.paid_7_count, reminder.paid_30_count), (0, 1))
        groups = self.env["followup.dunning.action"]._read_group(
            [("step_id.plan_id", "=", self.plan.id)],
            ["step_id"],
            ["paid_30_count:sum", "amount_collected_30:sum"],
        )
        self.assertEqual(groups, [(reminder.step_id, 1, 500.0)])


@tagged("post_install", "-at_install")
class TestDunningBadInput(DunningCase):
    def test_a_customer_without_email_is_a_reasoned_skip_and_an_activity(self):
        self.customer.write({"email": False, "user_id": self.collector.id})
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        action = dunning.action_ids
        self.assertEqual((action.dispatch_id.state, action.dispatch_id.reason), ("skipped", "no_email"))
        self.assertEqual(action.activity_ids.user_id, self.collector)
        self.assertIn("No e-mail address", action.activity_ids.note)

    def test_an_invalid_phone_for_an_sms_step(self):
        self.plan.step_ids[0].write(
            {
                "action_type": "sms",
                "is_automatic": True,
                "sms_template_id": self.env.ref("customer_followup.sms_template_dunning_reminder").id,
            }
        )
        self.customer.mobile = "12"
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        self.assertEqual(dunning.action_ids.dispatch_id.reason, "invalid_phone")
        self.assertTrue(dunning.action_ids.activity_ids)

    def test_a_template_error_fails_that_message_and_the_others_go_on(self):
        broken = self.env["mail.template"].create(
            {
                "name": "Broken",
                "model_id": self.env["ir.model"]._get_id("followup.dunning"),
                "subject": "Reminder",
                "body_html": "<p t-out='object.partner_id.no_such_field'/>",
            }
        )
        other_plan = self.plan.copy({"name": "Broken plan"})
        other_plan.step_ids[0].mail_template_id = broken
        other = self.env["res.partner"].create({"name": "Garage Roy", "email": "roy@example.com"})
        other.with_company(self.company).followup_dunning_plan_id = other_plan
        self.invoice(DUE)
        self.invoice(DUE, partner=other)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        broken_dispatch = self.Dunning.search([("partner_id", "=", other.id)]).action_ids.dispatch_id
        self.assertEqual((broken_dispatch.state, broken_dispatch.reason), ("failed", "render_error"))
        self.assertEqual(dunning.action_ids.dispatch_id.state, "sent")

    def test_an_invoice_reset_to_draft_leaves_the_dunning(self):
        invoice = self.invoice(DUE)
        with freeze_time(at(8)):
            dunning = self.run_dunning()
        invoice.button_draft()
        invoice.unlink()
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.state, "done")
        self.assertFalse(dunning.action_ids)


@tagged("post_install", "-at_install")
class TestDunningCost(DunningCase):
    def count_queries(self, customers):
        for customer in customers:
            self.invoice(DUE, partner=customer)
            self.invoice(date(2025, 10, 7), partner=customer)
        self.env.flush_all()
        self.env.invalidate_all()
        before = sql_db.sql_counter
        with freeze_time(at(9)):
            self.Dunning._cron_run()
        self.env.flush_all()
        return sql_db.sql_counter - before

    def test_the_cron_costs_the_same_queries_for_3_or_9_customers(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {index}", "email": f"c{index}@example.com"} for index in range(13)]
        )
        self.count_queries(partners[:1])  # warms the caches (templates, plans)
        three = self.count_queries(partners[1:4])
        nine = self.count_queries(partners[4:13])
        self.assertEqual(three, nine, "set-based: no query per customer")


@tagged("post_install", "-at_install")
class TestDunningTiming(DunningCase):
    def test_a_step_counted_from_the_invoice_date(self):
        reminder = self.plan.step_ids[0]
        reminder.write({"trigger_reference": "invoice_date", "trigger_days": 33})
        self.invoice(DUE)  # invoiced 30 days before its due date
        with freeze_time(at(8)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.date_next, at(9), "invoice date + 33 days = due date + 3")

    def test_a_step_before_the_due_date(self):
        self.plan.step_ids[0].trigger_days = -2
        self.invoice(date(2025, 10, 10))
        with freeze_time(at(8)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.action_ids.name, "Friendly reminder")
        self.assertEqual(
            dunning.action_ids.move_line_ids.date_maturity, date(2025, 10, 10), "not due yet, listed"
        )

    def test_a_public_holiday_moves_the_email_to_the_next_working_day(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Thanksgiving",
                "calendar_id": self.calendar.id,
                "date_from": datetime(2025, 10, 9, 4, 0),
                "date_to": datetime(2025, 10, 10, 3, 59),
            }
        )
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        self.assertEqual(dunning.action_ids.dispatch_id.date_earliest, at(10), "Friday 9:00 in Montreal")

    def test_a_bounce_gives_the_responsible_an_activity(self):
        self.customer.user_id = self.collector
        self.invoice(DUE)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
            self.send()
        dispatch = dunning.action_ids.dispatch_id
        dispatch.mail_message_id.notification_ids.sudo().write(
            {"notification_status": "bounce", "failure_type": "mail_bounce"}
        )
        self.assertEqual(dispatch.state, "bounced")
        self.assertEqual(dunning.action_ids.activity_ids.user_id, self.collector)


@tagged("post_install", "-at_install")
class TestDunningHistory(DunningCase):
    def test_the_customer_and_each_invoice_show_their_actions(self):
        first, second = self.invoice(DUE), self.invoice(DUE, 50)
        with freeze_time(at(9)):
            dunning = self.run_dunning()
        action = dunning.action_ids
        self.assertEqual(self.customer.followup_dunning_action_count, 1)
        self.assertEqual((first.followup_dunning_action_count, second.followup_dunning_action_count), (1, 1))
        for record in (self.customer, first):
            window = record.action_open_followup_dunning_actions()
            self.assertEqual(self.env["followup.dunning.action"].search(window["domain"]), action)
        self.assertEqual(
            self.env["followup.dunning.action"].search(dunning.action_open_actions()["domain"]), action
        )
        self.assertEqual(self.Dunning.search(self.plan.action_open_dunnings()["domain"]), dunning)
