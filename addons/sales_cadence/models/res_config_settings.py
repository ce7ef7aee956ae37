from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cadence_task_cap = fields.Integer(related="company_id.cadence_task_cap", readonly=False)
    cadence_webhook_token = fields.Char(
        related="company_id.cadence_webhook_token",
        readonly=True,
        groups="base.group_system,sales_team.group_sale_manager",
    )
    cadence_domain_id = fields.Many2one(
        "sales.cadence.domain",
        string="Sending Domain",
        compute="_compute_cadence_domain_id",
        groups="sales_team.group_sale_manager",
    )
    cadence_domain_state = fields.Selection(
        related="cadence_domain_id.state", groups="sales_team.group_sale_manager"
    )

    engagement_weight_email_sent = fields.Integer(
        related="company_id.engagement_weight_email_sent", readonly=False
    )
    engagement_weight_email_opened = fields.Integer(
        related="company_id.engagement_weight_email_opened", readonly=False
    )
    engagement_weight_email_clicked = fields.Integer(
        related="company_id.engagement_weight_email_clicked", readonly=False
    )
    engagement_weight_sms_sent = fields.Integer(
        related="company_id.engagement_weight_sms_sent", readonly=False
    )
    engagement_weight_sms_clicked = fields.Integer(
        related="company_id.engagement_weight_sms_clicked", readonly=False
    )
    engagement_weight_inbound_call = fields.Integer(
        related="company_id.engagement_weight_inbound_call", readonly=False
    )

    def action_cadence_new_webhook_token(self):
        self.company_id.action_cadence_new_webhook_token()

    @api.depends("company_id")
    def _compute_cadence_domain_id(self):
        Domain = self.env["sales.cadence.domain"]
        by_company = {
            domain.company_id: domain for domain in Domain.search([("company_id", "in", self.company_id.ids)])
        }
        for settings in self:
            settings.cadence_domain_id = by_company.get(settings.company_id, Domain)

    def action_open_cadence_domain(self):
        """The company's sending domain, or a new one to set up."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_cadence.sales_cadence_domain_action")
        return {
            **action,
            "view_mode": "form",
            "views": [(False, "form")],
            "res_id": self.cadence_domain_id.id,
            "context": {"default_company_id": self.company_id.id},
        }
