from odoo import api, fields, models
from odoo.exceptions import UserError


class FollowupRuleBulkEdit(models.TransientModel):
    _name = "followup.rule.bulk.edit"
    _description = "Change the Template or Channel of Rules"

    rule_ids = fields.Many2many("followup.rule", string="Rules", required=True)
    model_names = fields.Char(compute="_compute_model_names")
    channel = fields.Selection([("email", "E-mail"), ("sms", "SMS")], required=True, default="sms")
    mail_template_id = fields.Many2one("mail.template", string="E-mail Template")
    sms_template_id = fields.Many2one("sms.template", string="SMS Template")

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "followup.rule" and "rule_ids" in fields_list:
            res["rule_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return res

    @api.depends("rule_ids")
    def _compute_model_names(self):
        for wizard in self:
            wizard.model_names = ",".join(sorted(set(wizard.rule_ids.mapped("model_name"))))

    def action_apply(self):
        self.ensure_one()
        template = self.mail_template_id if self.channel == "email" else self.sms_template_id
        if not template:
            raise UserError(self.env._("Choose the template the rules will send."))
        others = self.rule_ids.filtered(lambda rule: rule.model_name != template.model)
        if others:
            raise UserError(
                self.env._(
                    "Template %(template)s is for %(model)s and cannot serve %(rules)s.",
                    template=template.display_name,
                    model=template.model,
                    rules=", ".join(others.mapped("name")),
                )
            )
        self.rule_ids.write(
            {
                "channel": self.channel,
                "mail_template_id": self.mail_template_id.id if self.channel == "email" else False,
                "sms_template_id": self.sms_template_id.id if self.channel == "sms" else False,
            }
        )
        return {"type": "ir.actions.act_window_close"}
