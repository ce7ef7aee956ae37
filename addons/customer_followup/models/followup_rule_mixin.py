from odoo import api, models, tools


class FollowupRuleMixin(models.AbstractModel):
    """Rules that watch the records of a model with a chatter (work orders,
    field jobs, leads...): the rules of each model are cached for the create
    and write hooks of mail.thread, and match records by their condition and
    company. Models using it have ``model_id``, ``model_name`` (stored),
    ``company_id`` and a ``_get_domain()``."""

    _name = "followup.rule.mixin"
    _description = "Follow-up Rule Mixin"

    # writing these fields changes which rules watch which model
    _rule_cache_fields = ("model_id",)
    # the key of the smart button views the rules make at run time, per model
    _smart_button_key = None

    @api.model
    def _watching_domain(self):
        """The rules that watch their model now."""
        return []

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        rules._ensure_smart_buttons()
        return rules

    def write(self, vals):
        res = super().write(vals)
        if set(self._rule_cache_fields) & set(vals):
            self.env.registry.clear_cache()
            self._ensure_smart_buttons()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    @api.model
    @tools.ormcache()
    def _rule_ids_by_model(self):
        groups = self.sudo()._read_group(self._watching_domain(), ["model_name"], ["id:array_agg"])
        return {model: tuple(ids) for model, ids in groups}

    @api.model
    def _get_rules(self, model_name):
        return self.sudo().browse(self._rule_ids_by_model().get(model_name, ()))

    def _ensure_smart_buttons(self):
        """Add the rules' smart button to the forms of their models."""

    @api.model
    def _refresh_smart_buttons(self):
        """Make the rules' smart buttons again (views made at run time, see
        ``_smart_button_key``), translated into every language installed now."""
        if self._smart_button_key:
            View = self.env["ir.ui.view"].sudo()
            View.search([("key", "=like", self._smart_button_key % "%")]).unlink()
            self.sudo().with_context(active_test=False).search(
                [("model_id", "!=", False)]
            )._ensure_smart_buttons()

    def _first_field(self, names):
        """The first of ``names`` that the rule's model has, as ir.model.fields."""
        model = self.env.get(self.model_name)
        name = next((name for name in names if model is not None and name in model._fields), None)
        return self.env["ir.model.fields"]._get(self.model_name, name) if name else False

    def _state_value(self, record):
        """The value of the rule's status field on ``record``: a stage's id or a selection value."""
        value = record[self.state_field_id.name]
        return value.id if isinstance(value, models.BaseModel) else value

    def _matching(self, records):
        """The records of ``records`` the rule applies to: its company and its condition."""
        self.ensure_one()
        domain = [("id", "in", records.ids), *self._get_domain()]
        if "company_id" in records._fields:
            domain += ["|", ("company_id", "=", False), ("company_id", "=", self.company_id.id)]
        return records.with_context(active_test=False).search(domain)
