from lxml import etree

from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

SMART_BUTTON_KEY = "customer_followup.smart_button.%s"
_lt = LazyTranslate(__name__)
SMART_BUTTON_LABEL = _lt("Follow-ups")


class MailThread(models.AbstractModel):
    """Every model with a chatter can carry follow-up rules: its create and
    write plan their messages, its form shows them in a smart button."""

    _inherit = "mail.thread"

    followup_dispatch_count = fields.Integer(
        string="Follow-up Messages", compute="_compute_followup_dispatch_count", compute_sudo=True
    )

    def _compute_followup_dispatch_count(self):
        counts = dict(
            self.env["followup.dispatch"]._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)], ["res_id"], ["__count"]
            )
        )
        for record in self:
            record.followup_dispatch_count = counts.get(record.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        rules = self.env["followup.rule"]._get_rules(self._name)
        if rules:
            rules._on_create(records)
        return records

    @api.model
    def _followup_watches_creation(self):
        """Whether a rule of the suite reacts to new records of this model:
        they are then created through ``create`` (see ``create_rows``)."""
        return bool(self.env["followup.rule"]._get_rules(self._name))

    def write(self, vals):
        rules = self.env["followup.rule"]._get_rules(self._name)
        watched = rules._watched_fields(vals) if rules else ()
        before = {fname: {record.id: record[fname] for record in self} for fname in watched}
        res = super().write(vals)
        if watched:
            rules._on_write(self, before)
        return res

    def action_followup_dispatches(self):
        self.ensure_one()
        return self.env["followup.dispatch"]._action_open(
            [("res_model", "=", self._name), ("res_id", "=", self.id)]
        )

    @api.model
    def _followup_ensure_smart_button(self, model_name):
        """Add the outbox smart button to the main form of ``model_name``."""
        self._followup_add_smart_button(
            model_name,
            SMART_BUTTON_KEY % model_name,
            """
            <button name="action_followup_dispatches" type="object" class="oe_stat_button"
                    icon="fa-paper-plane" groups="base.group_user">
                <field name="followup_dispatch_count" widget="statinfo" string="Follow-ups"/>
            </button>
            """,
            [SMART_BUTTON_LABEL],
        )

    @api.model
    def _followup_add_smart_button(self, model_name, key, button, terms):
        """Add ``button`` to the main form of ``model_name``, once (``key``):
        an addon cannot inherit the views of apps it does not depend on.

        :param terms: the button's labels (``LazyTranslate`` terms of the
            calling addon): a view made at run time has no .po of its own
        """
        View = self.env["ir.ui.view"].sudo()
        if View.search_count([("key", "=", key)], limit=1):
            return
        form = View.search(
            [
                ("model", "=", model_name),
                ("type", "=", "form"),
                ("mode", "=", "primary"),
                ("inherit_id", "=", False),
            ],
            order="priority, id",
            limit=1,
        )
        if not form or not etree.fromstring(form.get_combined_arch()).xpath("//div[@name='button_box']"):
            return
        view = View.create(
            {
                "name": key,
                "key": key,
                "model": model_name,
                "inherit_id": form.id,
                "mode": "extension",
                "priority": 99,
                "arch": f"""<xpath expr="//div[@name='button_box']" position="inside">{button}</xpath>""",
            }
        )
        view.update_field_translations(
            "arch_db",
            {
                lang: {term._source: term._translate(lang) for term in terms}
                for lang, _name in self.env["res.lang"].get_installed()
                if lang != "en_US"
            },
        )
