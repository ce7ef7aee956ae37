from odoo import fields, models


class SalesCadenceSkip(models.TransientModel):
    """Skip steps with a reason, for the step types that need one."""

    _name = "sales.cadence.skip"
    _description = "Skip a Cadence Step"

    task_ids = fields.Many2many("sales.cadence.task", string="Steps", required=True)
    reason_id = fields.Many2one(
        "sales.cadence.skip.reason",
        required=True,
        default=lambda self: self.env.ref("sales_cadence.skip_reason_other", raise_if_not_found=False),
    )
    note = fields.Text()

    def action_skip(self):
        self.task_ids._check_assignee()
        self.task_ids._finish("skipped", reason=self.reason_id, note=self.note)
