import ast

from odoo.tools.misc import get_lang

from odoo.addons.base.models.res_lang import intersperse


def amount_formatter(env, lang_code=None):
    """``format_amount(amount, currency)``, which writes what
    ``odoo.tools.format_amount(env, amount, currency, lang_code)`` writes,
    the language looked up once: Odoo looks it up, and parses its digit
    grouping, again for every amount (a batch of dunning e-mails writes
    thousands of them)."""
    lang = get_lang(env, lang_code)
    grouping = ast.literal_eval(lang.grouping)
    thousands_sep = lang.thousands_sep or ""

    def format_amount(amount, currency):
        parts = f"{currency.round(amount):.{currency.decimal_places}f}".split(".")
        parts[0] = intersperse(parts[0], grouping, thousands_sep)[0]
        formatted = lang.decimal_point.join(parts).replace(" ", "\N{NO-BREAK SPACE}")
        formatted = formatted.replace("-", "-\N{ZERO WIDTH NO-BREAK SPACE}")
        if currency.position == "before":
            return f"{currency.symbol or ''}\N{NO-BREAK SPACE}{formatted}"
        return f"{formatted}\N{NO-BREAK SPACE}{currency.symbol or ''}"

    return format_amount
