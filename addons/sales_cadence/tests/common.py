from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.customer_followup.tests.common import montreal_calendar


class CadenceCase(TransactionCase):
    """A cadence of an automatic e-mail, a call two days later and a
    follow-up e-mail a day after; a send policy on Montreal's working
    hours; leads of consenting contacts, owned by a salesperson."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.calendar = montreal_calendar(cls.env, cls.company)
        cls.policy = cls.env["followup.policy"].create(
            {"name": "Office hours", "company_id": cls.company.id, "resource_calendar_id": cls.calendar.id}
        )
        cls.salesman = new_test_user(
            cls.env,
            login="cadence_salesman",
            groups="sales_team.group_sale_salesman",
            name="Sam Seller",
            tz="America/Montreal",
        )
        Template = cls.env["mail.template"]
        model_id = cls.env["ir.model"]._get_id("crm.lead")
        cls.intro = Template.create(
            {
                "name": "Intro",
                "model_id": model_id,
                "subject": "Hello {{ object.name }}",
                "body_html": "<p>Hi</p>",
            }
        )
        cls.follow_up = Template.create(
            {"name": "Follow-up", "model_id": model_id, "subject": "Again", "body_html": "<p>Again</p>"}
        )
        ref = cls.env.ref
        cls.cadence = cls.env["sales.cadence"].create(
            {
                "name": "Inbound",
                "policy_id": cls.policy.id,
                "step_ids": [
                    Command.create(
                        {
                            "sequence": 1,
                            "name": "Intro e-mail",
                            "step_type_id": ref("sales_cadence.step_type_auto_email").id,
                            "mail_template_id": cls.intro.id,
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 2,
                            "name": "Discovery call",
                            "step_type_id": ref("sales_cadence.step_type_call").id,
                            "wait_number": 2,
                            "wait_unit": "days",
                            "instructions": "<p>Ask about the project.</p>",
                        }
                    ),
                    Command.create(
                        {
                            "sequence": 3,
                            "name": "Follow-up e-mail",
                            "step_type_id": ref("sales_cadence.step_type_auto_email").id,
                            "wait_number": 1,
                            "wait_unit": "days",
                            "mail_template_id": cls.follow_up.id,
                        }
                    ),
                ],
            }
        )
        cls.step_intro, cls.step_call, cls.step_follow_up = cls.cadence.step_ids.sorted("sequence")
        # the demo's workflows act on every lead: the tests make their own
        cls.env["sales.cadence.workflow"].search([]).active = False
        cls.Dispatch = cls.env["followup.dispatch"]
        cls.Enrollment = cls.env["sales.cadence.enrollment"]

    def _leads(self, count, **vals):
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Prospect {n}",
                    "email": f"prospect{n}@example.com",
                    "tz": "America/Montreal",
                    "followup_email_consent": True,
                }
                for n in range(count)
            ]
        )
        return self.env["crm.lead"].create(
            [
                {"name": f"Lead {n}", "partner_id": partner.id, "user_id": self.salesman.id, **vals}
                for n, partner in enumerate(partners)
            ]
        )

    def _run(self):
        self.Enrollment._cron_run(auto_commit=False)
        self.Dispatch._cron_send_due(auto_commit=False)

    def _tasks(self, leads, step):
        return self.env["sales.cadence.task"].search(
            [("lead_id", "in", leads.ids), ("step_id", "=", step.id)]
        )
