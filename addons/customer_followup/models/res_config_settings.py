from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    followup_policy_id = fields.Many2one(
        related="company_id.followup_policy_id",
        readonly=False,
    )
