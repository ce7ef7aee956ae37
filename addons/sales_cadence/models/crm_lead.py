from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    cadence_enrollment_ids = fields.One2many("sales.cadence.enrollment", "lead_id", string="Cadences")
    cadence_enrollment_count = fields.Integer(
        string="Cadence Count", compute="_compute_cadence_enrollment_count"
    )

    def _compute_cadence_enrollment_count(self):
        counts = dict(
            self.env["sales.cadence.enrollment"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.cadence_enrollment_count = counts.get(lead, 0)

    def action_open_cadences(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_cadence.sales_cadence_enrollment_action"
        )
        return {**action, "domain": [("lead_id", "=", self.id)], "context": {"default_lead_id": self.id}}

    def _message_post_after_hook(self, message, msg_vals):
        """A reply from the lead stops its automatic steps: a person now talks to it."""
        result = super()._message_post_after_hook(message, msg_vals)
        if message.message_type == "email" and message.author_id and not message.author_id.user_ids:
            enrollments = self.cadence_enrollment_ids.filtered(lambda e: e.state in ("active", "paused"))
            enrollments.sudo().date_replied = message.date
            if enrollments:
                automatic = self.env["sales.cadence.step.type"].search(
                    [("code", "in", ("auto_email", "auto_sms"))]
                )
                enrollments.sudo()._skip_from_now(automatic, self.env._("The lead replied."))
        return result

    def _cadence_webhook(self, action, payload):
        """Convert or disqualify the lead for an outside tool; it leaves its cadences.

        :return: what was done, for the caller
        """
        self.ensure_one()
        self.cadence_enrollment_ids._stop()
        if action == "convert":
            if self.type == "lead":
                self.convert_opportunity(self.partner_id)
            return self.env._("Lead %(lead)s converted to an opportunity.", lead=self.id)
        reason = self.env["crm.lost.reason"].search(
            [("name", "=ilike", str(payload.get("reason") or ""))], limit=1
        )
        self.action_set_lost(lost_reason_id=reason.id)
        return self.env._("Lead %(lead)s disqualified.", lead=self.id)
