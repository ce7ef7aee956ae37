from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    followup_policy_id = fields.Many2one(
        related="company_id.followup_policy_id",
        readonly=False,
    )
    followup_dunning_plan_id = fields.Many2one(
        related="company_id.followup_dunning_plan_id",
        readonly=False,
    )
    followup_send_workers = fields.Integer(
        string="Send Workers",
        default=1,
        help="Cron jobs that send the outbox side by side, each taking its own batches. "
        "More than one helps when Odoo runs several cron threads (--max-cron-threads).",
    )

    @api.model
    def get_values(self):
        res = super().get_values()
        res["followup_send_workers"] = int(
            self.env["ir.config_parameter"].sudo().get_param("customer_followup.send_workers", 1)
        )
        return res

    def set_values(self):
        res = super().set_values()
        if self.followup_send_workers < 1:
            raise ValidationError(self.env._("The outbox needs at least one send worker."))
        if self.followup_send_workers != int(
            self.env["ir.config_parameter"].sudo().get_param("customer_followup.send_workers", 1)
        ):
            self.env["followup.dispatch"]._set_send_workers(self.followup_send_workers)
        return res
