from odoo import fields, models

from .crm_lead import ENGAGEMENT_EVENTS


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

    engagement_weight_email_sent = fields.Integer("Points per E-mail Sent", default=1)
    engagement_weight_email_opened = fields.Integer("Points per E-mail Opened", default=2)
    engagement_weight_email_clicked = fields.Integer("Points per E-mail Link Clicked", default=5)
    engagement_weight_sms_sent = fields.Integer("Points per SMS Sent", default=1)
    engagement_weight_sms_clicked = fields.Integer("Points per SMS Link Clicked", default=5)
    engagement_weight_inbound_call = fields.Integer("Points per Inbound Call", default=10)

    def write(self, vals):
        result = super().write(vals)
        if any(f"engagement_weight_{event}" in vals for event in ENGAGEMENT_EVENTS):
            self.env["crm.lead"]._engagement_recompute(self)
        return result

    def _engagement_weights(self):
        """{engagement event: points} of the company's lead score."""
        self.ensure_one()
        return {event: self[f"engagement_weight_{event}"] for event in ENGAGEMENT_EVENTS}

    def action_cadence_new_webhook_token(self):
        for company in self:
            company.cadence_webhook_token = self.env["sales.cadence.webhook.log"]._new_token()
