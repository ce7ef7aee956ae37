import base64
from contextlib import contextmanager
from unittest.mock import patch

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
from cryptography.hazmat.primitives import serialization
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

NOW = "2026-11-23 15:00:00"


@tagged("post_install", "-at_install")
class TestSendingDomain(TransactionCase):
    """The DNS is played by a fake ``dns.resolver.resolve``: each test says
    what it answers for each (name, type)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ICP = cls.env["ir.config_parameter"]
        ICP.set_param("web.base.url", "https://crm.example.org")
        ICP.set_param("sales_cadence.spf_include", "_spf.mailer.example.net")
        cls.manager = new_test_user(
            cls.env, login="domain_manager", groups="sales_team.group_sale_manager", name="Mia Manager"
        )
        cls.salesman = new_test_user(
            cls.env, login="domain_salesman", groups="sales_team.group_sale_salesman", name="Sam Seller"
        )
        Domain = cls.env["sales.cadence.domain"]
        Domain.search([("company_id", "=", cls.env.company.id)]).unlink()
        cls.domain = Domain.with_user(cls.manager).create({"name": "acme.test"})
        cls.spf, cls.dkim, cls.tracking = cls.domain.record_ids.sorted("id")

    @contextmanager
    def _dns(self, answers):
        """``answers``: {(name, type): list of record texts, or an exception to raise}."""

        def resolve(name, rdtype, **_kwargs):
            answer = answers.get((name, rdtype), dns.resolver.NXDOMAIN())
            if isinstance(answer, Exception):
                raise answer
            return [
                dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), t) for t in answer
            ]

        with patch("dns.resolver.resolve", side_effect=resolve) as resolver:
            yield resolver

    def _published(self):
        """What an administrator who copied the three values publishes."""
        return {
            ("acme.test", "TXT"): ['"v=spf1 include:_spf.mailer.example.net ~all"'],
            ("odoo._domainkey.acme.test", "TXT"): [self._txt(self.dkim.value)],
            ("track.acme.test", "CNAME"): ["crm.example.org."],
        }

    @staticmethod
    def _txt(value):
        """A long value as DNS providers publish it: strings of 255 characters at most."""
        return " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))

    def test_records_to_publish(self):
        self.assertEqual(
            [(r.kind, r.host, r.record_type) for r in self.domain.record_ids],
            [
                ("spf", "acme.test", "TXT"),
                ("dkim", "odoo._domainkey.acme.test", "TXT"),
                ("tracking", "track.acme.test", "CNAME"),
            ],
        )
        self.assertEqual(self.spf.value, "v=spf1 include:_spf.mailer.example.net ~all")
        self.assertEqual(self.tracking.value, "crm.example.org")
        self.assertEqual(self.domain.state, "not_checked")
        # the published value is the public half of the key kept for signing
        private = serialization.load_pem_private_key(self.domain.sudo().dkim_private_key.encode(), None)
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.assertEqual(self.dkim.value, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}")
        self.assertEqual(private.key_size, 2048)

    def test_the_private_key_stays_with_administrators(self):
        domain = self.domain.with_user(self.manager)
        self.assertNotIn("dkim_private_key", domain.fields_get())
        with self.assertRaises(AccessError):
            domain.read(["dkim_private_key"])
        with self.assertRaises(AccessError):
            self.domain.with_user(self.salesman).read(["name"])

    @freeze_time(NOW)
    def test_check_verifies_what_was_published(self):
        with self._dns(self._published()) as resolver:
            self.domain.with_user(self.manager).action_check()
        self.assertEqual(self.domain.record_ids.mapped("state"), ["verified"] * 3)
        self.assertEqual(self.domain.state, "verified")
        self.assertEqual(str(self.domain.date_checked), NOW)
        self.assertEqual(self.dkim.value_found, self.dkim.value, "its 255-character strings joined")
        self.assertEqual(
            [call.args for call in resolver.call_args_list],
            [("acme.test", "TXT"), ("odoo._domainkey.acme.test", "TXT"), ("track.acme.test", "CNAME")],
        )

    def test_spf_with_other_senders_and_mixed_case(self):
        answers = self._published()
        answers["acme.test", "TXT"] = [
            '"google-site-verification=abc"',
            '"v=spf1 ip4:192.0.2.1 INCLUDE:_spf.mailer.example.net include:_spf.google.com -all"',
        ]
        answers["track.acme.test", "CNAME"] = ["CRM.Example.org."]
        with self._dns(answers):
            self.domain.action_check()
        self.assertEqual(self.domain.state, "verified")
        self.assertEqual(self.spf.value_found, answers["acme.test", "TXT"][1].strip('"'))

    def test_missing_records(self):
        answers = {("acme.test", "TXT"): ['"google-site-verification=abc"']}
        with self._dns(answers):
            self.domain.action_check()
        self.assertEqual(self.domain.record_ids.mapped("state"), ["missing"] * 3)
        self.assertEqual(self.domain.state, "not_verified")
        self.assertEqual(self.dkim.reason, "No TXT record at odoo._domainkey.acme.test yet.")
        self.assertEqual(self.spf.value_found, "google-site-verification=abc", "what was there instead")
        answers["track.acme.test", "CNAME"] = dns.resolver.NoAnswer()
        with self._dns(answers):
            self.domain.action_check()
        self.assertEqual(self.tracking.state, "missing")

    def test_different_values(self):
        answers = {
            ("acme.test", "TXT"): ['"v=spf1 include:_spf.google.com ~all"'],
            ("odoo._domainkey.acme.test", "TXT"): ['"v=DKIM1; k=rsa; p=MIIBold"'],
            ("track.acme.test", "CNAME"): ["elsewhere.example.org."],
        }
        with self._dns(answers):
            self.domain.action_check()
        self.assertEqual(self.domain.record_ids.mapped("state"), ["different"] * 3)
        self.assertEqual(self.spf.reason, "Add include:_spf.mailer.example.net to the SPF record found.")
        self.assertEqual(self.dkim.value_found, "v=DKIM1; k=rsa; p=MIIBold")
        self.assertEqual(self.tracking.value_found, "elsewhere.example.org")

    def test_two_spf_records_are_one_too_many(self):
        answers = self._published()
        answers["acme.test", "TXT"].append('"v=spf1 include:_spf.google.com ~all"')
        with self._dns(answers):
            self.domain.action_check()
        self.assertEqual(self.spf.state, "different")
        self.assertIn("one SPF record", self.spf.reason)

    def test_lookup_errors_are_recorded_not_raised(self):
        answers = self._published()
        answers["acme.test", "TXT"] = dns.exception.Timeout()
        answers["track.acme.test", "CNAME"] = dns.resolver.NoNameservers()
        with self._dns(answers), mute_logger("odoo.addons.sales_cadence.models.sales_cadence_domain_record"):
            self.domain.action_check()
        self.assertEqual(
            (self.spf.state, self.spf.reason),
            ("error", "The DNS servers did not answer in time: check again later."),
        )
        self.assertEqual(self.dkim.state, "verified")
        self.assertEqual(self.tracking.state, "error")
        self.assertTrue(self.tracking.reason.startswith("The DNS lookup failed: "))
        self.assertEqual(self.domain.state, "not_verified")

    def test_a_new_value_must_be_published_again(self):
        with self._dns(self._published()):
            self.domain.action_check()
        old_value = self.dkim.value
        self.domain.with_user(self.manager).action_generate_dkim_key()
        self.assertNotEqual(self.dkim.value, old_value)
        self.assertEqual(self.domain.record_ids.mapped("state"), ["not_checked"] * 3)
        self.assertEqual(self.domain.state, "not_checked")
        self.assertFalse(self.domain.date_checked)
        with self._dns({**self._published(), ("odoo._domainkey.acme.test", "TXT"): [self._txt(old_value)]}):
            self.domain.action_check()
        self.assertEqual(self.dkim.state, "different")

    def test_names_are_normalized_and_checked(self):
        Domain = self.env["sales.cadence.domain"]
        domain = Domain.create({"name": " @Shop.Acme.TEST. ", "tracking_host": "Links"})
        self.assertEqual((domain.name, domain.tracking_host), ("shop.acme.test", "links"))
        self.assertEqual(
            domain.record_ids.filtered(lambda r: r.kind == "tracking").host, "links.shop.acme.test"
        )
        for name in ("https://acme.test", "acme", "acme .test"):
            with self.assertRaises(ValidationError):
                Domain.create({"name": name})
        with self.assertRaises(ValidationError):
            Domain.create({"name": "other.test", "dkim_selector": "a.b"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            Domain.create({"name": "acme.test"})

    def test_settings_show_the_company_domain(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(
            (settings.cadence_domain_id, settings.cadence_domain_state), (self.domain, "not_checked")
        )
        action = settings.action_open_cadence_domain()
        self.assertEqual((action["res_model"], action["res_id"]), ("sales.cadence.domain", self.domain.id))
        self.domain.unlink()
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.cadence_domain_id)
        self.assertFalse(settings.action_open_cadence_domain()["res_id"], "a new one to set up")
