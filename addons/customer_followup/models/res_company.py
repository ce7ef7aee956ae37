from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    followup_policy_id = fields.Many2one(
        "followup.policy",
        string="Default Send Policy",
        domain="[('company_id', '=', id)]",
        help="Applies to every follow-up message of this company that does not pick another policy.",
    )

    followup_dunning_plan_id = fields.Many2one(
        "followup.dunning.plan",
        string="Default Dunning Plan",
        domain="[('company_id', '=', id)]",
        help="Chases the unpaid invoices of the customers that have no plan of their own.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies.filtered(lambda c: not c.followup_policy_id)._followup_create_default_policy()
        return companies

    def _followup_create_default_policy(self):
        policies = (
            self.env["followup.policy"]
            .sudo()
            .create(
                [
                    {
                        "name": self.env._("Standard"),
                        "company_id": company.id,
                        "resource_calendar_id": company.resource_calendar_id.id,
                    }
                    for company in self
                ]
            )
        )
        for company, policy in zip(self, policies, strict=True):
            company.followup_policy_id = policy

    @api.model
    def _followup_init_default_policies(self):
        self.sudo().with_context(active_test=False).search(
            [("followup_policy_id", "=", False)]
        )._followup_create_default_policy()
