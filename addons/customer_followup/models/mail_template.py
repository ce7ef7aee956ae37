import functools

from lxml import html
from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import safe_eval
from odoo.tools.rendering_tools import parse_inline_template

from ..tools.formatting import amount_formatter


def _remembered(function):
    """``function``, which gives the same result for the same arguments,
    computed once per set of arguments (called directly when one of them
    cannot be a key)."""
    cached = functools.cache(function)

    def remembered(*args, **kwargs):
        try:
            return cached(*args, **kwargs)
        except TypeError:  # an argument that cannot be a key
            return function(*args, **kwargs)

    return remembered


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _followup_batch_eval_context(self, add_context=None):
        """Odoo's evaluation context, made once for a batch, whose date
        formatter remembers what it wrote (the invoices of a batch share
        their dates) and whose amount formatter looks each language up once:
        Odoo's would look it up again for every call, and a dunning e-mail
        formats a dozen of them."""
        variables = self._render_eval_context()
        variables["format_date"] = _remembered(variables["format_date"])
        formatters = {}

        def format_amount(amount, currency, lang_code=False):
            if lang_code not in formatters:
                formatters[lang_code] = amount_formatter(self.env, lang_code)
            return formatters[lang_code](amount, currency)

        variables["format_amount"] = format_amount
        if add_context:
            variables.update(**add_context)
        return variables

    @api.model
    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """The outbox renders a template for a whole batch: compile its
        QWeb once for the batch, where Odoo compiles it again for every
        record (a table of invoices costs ~15 ms to compile). Asked through
        the context key ``followup_batch_render``; a failing record makes
        the outbox render record by record, through Odoo's own path."""
        if (
            not self.env.context.get("followup_batch_render")
            or len(res_ids) < 2
            or not template_src
            or not self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        variables = self._followup_batch_eval_context(add_context)
        options = dict(options or {})
        if (
            not self._unrestricted_rendering
            and not self.env.is_admin()
            and not self.env.user.has_group("mail.group_mail_template_editor")
        ):
            options["raise_on_forbidden_code_for_model"] = model
        qweb = self.env["ir.qweb"].with_context(**options)
        template = html.fragment_fromstring(template_src, create_parent="div")
        render = None
        results = {}
        for record in self.env[model].browse(res_ids):
            values = dict(variables, object=record)
            record_qweb = qweb._prepare_environment(values)
            safe_eval.check_values(values)
            if render is None:
                functions, def_name = record_qweb._compile(template)
                render = functions[def_name]
            # without the <div> that wraps several nodes into one, as Odoo does
            results[record.id] = Markup("".join(render(record_qweb, values)))[5:-6]
        return results

    @api.model
    def _render_template_inline_template(self, template_txt, model, res_ids, add_context=None, options=None):
        """The outbox's batch again, for inline templates (subjects, senders):
        each ``{{ expression }}`` is checked and compiled once for the batch,
        then evaluated for each record with the same restricted builtins as
        ``safe_eval``, which would check and compile it again for every
        record. Odoo's own path for everything else."""
        if (
            not self.env.context.get("followup_batch_render")
            or len(res_ids) < 2
            or not template_txt
            or not self._has_unsafe_expression_template_inline_template(str(template_txt), model)
            or (
                not self._unrestricted_rendering
                and not self.env.is_admin()
                and not self.env.user.has_group("mail.group_mail_template_editor")
            )
        ):
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context=add_context, options=options
            )
        variables = self._followup_batch_eval_context(add_context)
        safe_eval.check_values(variables)
        instructions = [
            (
                string,
                expression and safe_eval.test_expr(expression, safe_eval._SAFE_OPCODES, mode="eval"),
                default,
            )
            for string, expression, default in parse_inline_template(str(template_txt))
        ]
        results = {}
        for record in self.env[model].browse(res_ids):
            values = dict(variables, object=record, __builtins__=safe_eval._BUILTINS)
            parts = []
            for string, code, default in instructions:
                parts.append(string)
                if code:
                    try:
                        value = safe_eval.unsafe_eval(code, values) or default
                    except Exception as error:
                        raise UserError(
                            self.env._(
                                "Failed to render inline_template template: %(template_txt)s)",
                                template_txt=template_txt,
                            )
                        ) from error
                    if value:
                        parts.append(str(value))
            results[record.id] = "".join(parts)
        return results
