from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    cadence_task_id = fields.Many2one(
        "sales.cadence.task", string="Cadence Step", index="btree_not_null", ondelete="cascade", readonly=True
    )

    def _action_done(self, feedback=False, attachment_ids=None):
        """Marking a cadence step's activity done, from the activity view,
        completes the step: the lead moves on."""
        tasks = self.cadence_task_id
        inbound = self.env.ref("sales_cadence.mail_activity_type_inbound_call", raise_if_not_found=False)
        calls = self.filtered(
            lambda a: inbound and a.activity_type_id == inbound and a.res_model == "crm.lead"
        )
        lead_ids = calls.mapped("res_id")
        # done, not cancelled: Odoo removes the activity, which must not skip the step
        result = super(MailActivity, self.with_context(sales_cadence_withdraw=True))._action_done(
            feedback=feedback, attachment_ids=attachment_ids
        )
        tasks.exists()._finish("done", note=feedback or False)
        if lead_ids:
            # an inbound call logged as done counts for the lead's engagement score
            counts = {lead_id: lead_ids.count(lead_id) for lead_id in set(lead_ids)}
            self.env["crm.lead"].sudo().browse(list(counts)).exists()._engagement_add("inbound_call", counts)
        return result

    def unlink(self):
        """Cancelling a cadence step's activity skips the step; a step whose
        type needs a reason is skipped from the step itself, with one."""
        tasks = self.cadence_task_id.filtered(lambda t: t.state == "to_do")
        if self.env.context.get("sales_cadence_withdraw"):
            tasks = tasks.browse()
        tasks._check_skip_reason(None)
        result = super().unlink()
        tasks._finish("skipped")
        return result
