from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestRuleTour(HttpCase):
    """In a browser: a rule created from its form, triggered on a work
    order, its message found in the outbox, sent now and seen in the chatter."""

    def test_rule_from_its_form_to_the_chatter(self):
        if "repair.order" not in self.env:
            self.skipTest("Repair is not installed")
        self.env["res.partner"].create(
            {
                "name": "Léa Tremblay",
                "mobile": "+1 514 555 0177",
                "email": "lea@example.com",
                "tz": "America/Montreal",
            }
        )
        self.start_tour(
            "/odoo/action-customer_followup.followup_rule_action",
            "customer_followup_rule_tour",
            login="admin",
        )
        rule = self.env["followup.rule"].search([("name", "=", "Tour: work order received")])
        self.assertEqual(rule.model_name, "repair.order")
        dispatch = self.env["followup.dispatch"].search(
            [("origin_model", "=", rule._name), ("origin_id", "=", rule.id)]
        )
        self.assertEqual(dispatch.state, "sent")
        repair = self.env["repair.order"].browse(dispatch.res_id)
        self.assertIn(dispatch.mail_message_id, repair.message_ids)


@tagged("post_install", "-at_install")
class TestDunningTour(HttpCase):
    """In a browser: a responsible opens their manual dunning step from the
    activity view, edits it and validates it."""

    def test_manual_step_from_the_activity_view(self):
        admin = self.env.ref("base.user_admin")
        customer = self.env["res.partner"].create(
            {"name": "Tour Bakery", "email": "ap@tourbakery.example.com"}
        )
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.env.company.id)], limit=1
        )
        if not journal:
            self.skipTest("No sales journal: no chart of accounts")
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "journal_id": journal.id,
                "partner_id": customer.id,
                "invoice_date": fields.Date.subtract(fields.Date.today(), days=40),
                "invoice_date_due": fields.Date.subtract(fields.Date.today(), days=10),
                "invoice_payment_term_id": False,
                "invoice_line_ids": [Command.create({"name": "Bread", "price_unit": 120, "tax_ids": []})],
            }
        )
        invoice.action_post()
        plan = self.env["followup.dunning.plan"].create(
            {
                "name": "Tour plan",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Phone call",
                            "action_type": "call",
                            "trigger_days": 5,
                            "responsible": "user",
                            "user_id": admin.id,
                            "instructions": "<p>Ask when the payment will be made.</p>",
                        }
                    )
                ],
            }
        )
        customer.with_company(self.env.company).followup_dunning_plan_id = plan
        self.env["followup.dunning"]._cron_run(auto_commit=False)
        self.start_tour(
            "/odoo/action-customer_followup.followup_dunning_action_action?view_type=activity",
            "customer_followup_dunning_tour",
            login="admin",
        )
        action = self.env["followup.dunning.action"].sudo().search([("partner_id", "=", customer.id)])
        self.assertEqual((action.state, action.action_type), ("done", "email"))
        mail = action.dispatch_id.mail_mail_id
        self.assertEqual(mail.subject, "Your account")
        self.assertIn("what is left to pay", mail.body_html)
        self.assertEqual(mail.email_from, admin.email_formatted)
