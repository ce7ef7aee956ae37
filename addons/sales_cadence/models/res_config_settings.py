from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cadence_task_cap = fields.Integer(related="company_id.cadence_task_cap", readonly=False)
    cadence_webhook_token = fields.Char(
        related="company_id.cadence_webhook_token",
        readonly=True,
        groups="base.group_system,sales_team.group_sale_manager",
    )

    def action_cadence_new_webhook_token(self):
        self.company_id.action_cadence_new_webhook_token()
