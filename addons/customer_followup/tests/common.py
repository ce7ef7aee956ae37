from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

from odoo import Command
from odoo.tests import TransactionCase


def montreal_calendar(env, company):
    """Monday to Friday, 9:00-17:00, in Montreal."""
    return env["resource.calendar"].create(
        {
            "name": "Montreal shop",
            "tz": "America/Montreal",
            "company_id": company.id,
            "attendance_ids": [
                Command.create(
                    {
                        "name": f"Day {day}",
                        "dayofweek": str(day),
                        "hour_from": 9,
                        "hour_to": 17,
                        "day_period": "morning",
                    }
                )
                for day in range(5)
            ],
        }
    )


class FollowupCase(TransactionCase):
    """A working calendar in Montreal (Mon-Fri, 9:00-17:00), a policy using
    it, a consenting customer and templates on contacts: the source record
    of the foundation's tests is the contact itself, which has a chatter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.company.country_id = cls.env.ref("base.ca")
        cls.calendar = montreal_calendar(cls.env, cls.company)
        cls.policy = cls.env["followup.policy"].create(
            {
                "name": "Shop hours",
                "company_id": cls.company.id,
                "resource_calendar_id": cls.calendar.id,
            }
        )
        cls.partner = cls.env["res.partner"].create(
            {
                "name": "Émilie Tremblay",
                "email": "Emilie.Tremblay@example.com",
                "mobile": "514 555 0100",
                "country_id": cls.env.ref("base.ca").id,
                "tz": "America/Montreal",
                "followup_email_consent": True,
                "followup_sms_consent": True,
            }
        )
        cls.mail_template = cls.env["mail.template"].create(
            {
                "name": "Hello",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "subject": "Hello {{ object.name }}",
                "body_html": "<p>Dear <t t-out='object.name'/>, your order is ready.</p>",
                "email_from": "shop@example.com",
            }
        )
        cls.sms_template = cls.env["sms.template"].create(
            {
                "name": "Hello",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "body": "Dear {{ object.name }}, your order is ready.",
            }
        )
        cls.Dispatch = cls.env["followup.dispatch"]

    @classmethod
    def _partners(cls, count, **vals):
        return cls.env["res.partner"].create(
            [
                {
                    "name": f"Customer {index}",
                    "email": f"customer{index}@example.com",
                    "mobile": f"+1 514 555 {index:04d}",
                    "country_id": cls.env.ref("base.ca").id,
                    "followup_email_consent": True,
                    "followup_sms_consent": True,
                    **vals,
                }
                for index in range(count)
            ]
        )

    def plan(self, partners=None, channel="email", key="hello", **vals):
        """Plan one message per partner about the partner itself."""
        partners = self.partner if partners is None else partners
        template = (
            {"mail_template_id": self.mail_template.id}
            if channel == "email"
            else {"sms_template_id": self.sms_template.id}
        )
        return self.Dispatch._plan(
            [
                {
                    "channel": channel,
                    "partner_id": partner.id,
                    "res_model": "res.partner",
                    "res_id": partner.id,
                    "policy_id": self.policy.id,
                    "idempotency_key": f"{key}:{channel}:{partner.id}",
                    **template,
                    **vals,
                }
                for partner in partners
            ]
        )

    @contextmanager
    def mock_sms_provider(self, state="success"):
        """Stand in for the SMS provider (IAP), the one thing that leaves the
        machine, answering ``state`` for every number; yields the numbers it
        was asked to text."""
        numbers = []

        def _send_sms_batch(sms_api, messages, delivery_reports_url=False):
            results = []
            for message in messages:
                for number in message["numbers"]:
                    numbers.append(number["number"])
                    results.append({"uuid": number["uuid"], "state": state, "credit": 1})
            return results

        target = "odoo.addons.sms.tools.sms_api.SmsApi._send_sms_batch"
        with patch(target, autospec=True, side_effect=_send_sms_batch):
            yield numbers

    def send_due(self, **kwargs):
        return self.Dispatch._cron_send_due(**kwargs)

    # Monday 2025-11-03 10:00 in Montreal (EST, UTC-5): inside working hours
    MONDAY_OPEN = datetime(2025, 11, 3, 15, 0)


def plan_committed(env, name, count, template_vals=None, **dispatch_vals):
    """``count`` consenting contacts named after ``name``, an e-mail template
    and one planned e-mail to each, made with ``env``, whose cursor the test
    commits itself: for the tests of several real connections.

    :return: partners, template, dispatches
    """
    key = name.lower().replace(" ", "-")
    partners = env["res.partner"].create(
        [
            {"name": f"{name} {i}", "email": f"{key}{i}@example.com", "followup_email_consent": True}
            for i in range(count)
        ]
    )
    template = env["mail.template"].create(
        {
            "name": f"{name} test",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "subject": "Hi",
            "body_html": "<p>Hi</p>",
            **(template_vals or {}),
        }
    )
    dispatches = env["followup.dispatch"]._plan(
        [
            {
                "channel": "email",
                "partner_id": partner.id,
                "res_model": "res.partner",
                "res_id": partner.id,
                "mail_template_id": template.id,
                "policy_id": False,
                "idempotency_key": f"{key}:{partner.id}",
                **dispatch_vals,
            }
            for partner in partners
        ]
    )
    return partners, template, dispatches
