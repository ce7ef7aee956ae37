from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

SMART_BUTTON_KEY = "satisfaction_survey.smart_button.%s"
_lt = LazyTranslate(__name__)
SMART_BUTTON_LABEL = _lt("Survey Results")


class MailThread(models.AbstractModel):
    """Jobs enter the target states of survey campaigns through their create
    and write; their form shows the answers in a smart button."""

    _inherit = "mail.thread"

    satisfaction_answer_count = fields.Integer(
        string="Survey Results", compute="_compute_satisfaction_answer_count", compute_sudo=True
    )

    def _compute_satisfaction_answer_count(self):
        counts = dict(
            self.env["survey.user_input"]._read_group(
                [
                    ("satisfaction_res_model", "=", self._name),
                    ("satisfaction_res_id", "in", self.ids),
                    ("state", "=", "done"),
                ],
                ["satisfaction_res_id"],
                ["__count"],
            )
        )
        for record in self:
            record.satisfaction_answer_count = counts.get(record.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        rules = self.env["satisfaction.campaign.rule"]._get_rules(self._name)
        if rules:
            rules._on_state_entered(records, {})
        return records

    @api.model
    def _followup_watches_creation(self):
        return super()._followup_watches_creation() or bool(
            self.env["satisfaction.campaign.rule"]._get_rules(self._name)
        )

    def write(self, vals):
        rules = self.env["satisfaction.campaign.rule"]._get_rules(self._name)
        watched = {rule.state_field_id.name for rule in rules} & set(vals) if rules else ()
        before = {fname: {record.id: record[fname] for record in self} for fname in watched}
        res = super().write(vals)
        if watched:
            rules._on_state_entered(self, before)
        return res

    def action_satisfaction_answers(self):
        self.ensure_one()
        return self.env["survey.user_input"]._satisfaction_action(
            [("satisfaction_res_model", "=", self._name), ("satisfaction_res_id", "=", self.id)]
        )

    @api.model
    def _satisfaction_ensure_smart_button(self, model_name):
        self._followup_add_smart_button(
            model_name,
            SMART_BUTTON_KEY % model_name,
            """
            <button name="action_satisfaction_answers" type="object" class="oe_stat_button"
                    icon="fa-smile-o" groups="survey.group_survey_user">
                <field name="satisfaction_answer_count" widget="statinfo" string="Survey Results"/>
            </button>
            """,
            [SMART_BUTTON_LABEL],
        )
