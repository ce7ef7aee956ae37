from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cadence_task_cap = fields.Integer(related="company_id.cadence_task_cap", readonly=False)
