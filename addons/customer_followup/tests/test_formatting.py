from odoo.tests import TransactionCase, tagged
from odoo.tools import format_amount

from ..tools.formatting import amount_formatter

AMOUNTS = (0, 0.004, 1, -1, 12.5, -1234.567, 1234567.891, -98765432.1)


@tagged("post_install", "-at_install")
class TestAmountFormatter(TransactionCase):
    """The dunning e-mails format their amounts with a formatter that looks
    the language up once: it writes what Odoo's format_amount writes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        currencies = cls.env["res.currency"].with_context(active_test=False)
        # a symbol after the amount, before it, and a currency without decimals
        cls.currencies = currencies.search([("name", "in", ("EUR", "USD", "JPY"))])

    def test_same_as_odoo(self):
        self.assertEqual(len(self.currencies), 3)
        self.assertEqual(set(self.currencies.mapped("position")), {"before", "after"})
        self.assertIn(0, self.currencies.mapped("decimal_places"))
        for lang_code in ("en_US", "fr_FR", None):
            format_with = amount_formatter(self.env, lang_code)
            for currency in self.currencies:
                for amount in AMOUNTS:
                    with self.subTest(lang=lang_code, currency=currency.name, amount=amount):
                        self.assertEqual(
                            format_with(amount, currency),
                            format_amount(self.env, amount, currency, lang_code),
                        )

    def test_french_grouping(self):
        euro = self.env.ref("base.EUR")
        self.assertEqual(
            amount_formatter(self.env, "fr_FR")(-1234567.891, euro),
            "-\N{ZERO WIDTH NO-BREAK SPACE}1\N{NO-BREAK SPACE}234\N{NO-BREAK SPACE}567,89\N{NO-BREAK SPACE}€",
        )

    def test_template_context(self):
        """The batch context's formatter follows the language it is given."""
        euro = self.env.ref("base.EUR")
        variables = self.env["mail.template"]._followup_batch_eval_context()
        for lang_code in ("en_US", "fr_FR", False):
            self.assertEqual(
                variables["format_amount"](1500.5, euro, lang_code),
                format_amount(self.env, 1500.5, euro, lang_code),
            )
