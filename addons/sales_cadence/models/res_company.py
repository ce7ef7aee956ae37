from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    cadence_task_cap = fields.Integer(
        string="Cadence Tasks per User per Day",
        help="The most manual cadence steps a salesperson gets in a day; the others wait for the "
        "next working day. 0: no limit.",
    )
    cadence_webhook_token = fields.Char(
        copy=False,
        groups="base.group_system,sales_team.group_sale_manager",
        help="Outside tools send it as 'Authorization: Bearer <token>' to convert or disqualify leads.",
    )

    def action_cadence_new_webhook_token(self):
        for company in self:
            company.cadence_webhook_token = self.env["sales.cadence.webhook.log"]._new_token()
