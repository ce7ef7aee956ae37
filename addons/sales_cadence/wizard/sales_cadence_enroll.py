from odoo import api, fields, models


class SalesCadenceEnroll(models.TransientModel):
    """Enroll the selected leads in a cadence, from the lead list or form."""

    _name = "sales.cadence.enroll"
    _description = "Enroll Leads in a Cadence"

    cadence_id = fields.Many2one(
        "sales.cadence", required=True, domain="[('company_id', 'in', allowed_company_ids)]"
    )
    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    lead_count = fields.Integer(compute="_compute_lead_count")

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "crm.lead" and "lead_ids" in fields_list:
            res.setdefault("lead_ids", [fields.Command.set(self.env.context.get("active_ids", []))])
        return res

    @api.depends("lead_ids")
    def _compute_lead_count(self):
        for wizard in self:
            wizard.lead_count = len(wizard.lead_ids)

    def action_enroll(self):
        self.ensure_one()
        enrollments, already = self.cadence_id._enroll(self.lead_ids)
        message = self.env._(
            "%(count)s leads enrolled in %(cadence)s.", count=len(enrollments), cadence=self.cadence_id.name
        )
        if already:
            message += " " + self.env._(
                "%(count)s already in it were left as they are: %(leads)s.",
                count=len(already),
                leads=", ".join(already.mapped("display_name")),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if already else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
