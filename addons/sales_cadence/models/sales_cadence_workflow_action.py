from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

ACTION_TYPES = [
    ("stage", "Move to a stage"),
    ("lost", "Mark as lost"),
    ("assign", "Assign to a salesperson"),
    ("enroll", "Enroll in a cadence"),
    ("activity", "Schedule an activity"),
    ("webhook", "Call a webhook"),
]
# what each type of action needs
REQUIRED = {
    "stage": "stage_id",
    "assign": "user_id",
    "enroll": "target_cadence_id",
    "activity": "activity_type_id",
    "webhook": "webhook_url",
}


class SalesCadenceWorkflowAction(models.Model):
    """One thing a workflow does to the leads of its event."""

    _name = "sales.cadence.workflow.action"
    _description = "Cadence Workflow Action"
    _order = "sequence, id"

    workflow_id = fields.Many2one("sales.cadence.workflow", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="workflow_id.company_id")
    sequence = fields.Integer(default=10)
    action_type = fields.Selection(ACTION_TYPES, string="Action", required=True, default="activity")
    stage_id = fields.Many2one("crm.stage")
    lost_reason_id = fields.Many2one("crm.lost.reason")
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Assign to: the new salesperson. Activity: who does it (empty: the lead's salesperson).",
    )
    target_cadence_id = fields.Many2one(
        "sales.cadence", string="Cadence", domain="[('company_id', '=', company_id)]"
    )
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_summary = fields.Char("Summary", translate=True)
    activity_days = fields.Integer("Due In (days)", help="Days after the event the activity is due.")
    webhook_url = fields.Char(
        "Webhook URL", help="Receives a signed JSON POST per lead (header X-Followup-Signature)."
    )
    webhook_secret = fields.Char(
        copy=False,
        groups="base.group_system,sales_team.group_sale_manager",
        default=lambda self: self.env["sales.cadence.webhook.log"]._new_token(),
        help="Signs each call: HMAC-SHA256 of the body with this secret.",
    )
    description = fields.Char(compute="_compute_description")

    @api.constrains("action_type", *REQUIRED.values())
    def _check_required(self):
        for action in self:
            fname = REQUIRED.get(action.action_type)
            if fname and not action[fname]:
                raise ValidationError(
                    self.env._(
                        "The action “%(action)s” of workflow %(workflow)s needs a %(field)s.",
                        action=action._type_label(),
                        workflow=action.workflow_id.name,
                        field=action._fields[fname]._description_string(self.env),
                    )
                )
            if action.action_type == "webhook" and not action.webhook_url.startswith(("http://", "https://")):
                raise ValidationError(self.env._("A webhook URL starts with http:// or https://."))

    @api.depends(
        "action_type", "stage_id", "lost_reason_id", "user_id", "target_cadence_id", "activity_type_id"
    )
    def _compute_description(self):
        for action in self:
            target = {
                "stage": action.stage_id.name,
                "lost": action.lost_reason_id.name,
                "assign": action.user_id.name,
                "enroll": action.target_cadence_id.name,
                "activity": action.activity_summary or action.activity_type_id.name,
                "webhook": action.webhook_url,
            }.get(action.action_type)
            action.description = (
                self.env._("%(action)s: %(target)s", action=action._type_label(), target=target)
                if target
                else action._type_label()
            )

    @api.depends("description")
    def _compute_display_name(self):
        for action in self:
            action.display_name = action.description

    def _type_label(self):
        return dict(self._fields["action_type"]._description_selection(self.env)).get(self.action_type, "")

    def action_new_webhook_secret(self):
        for action in self:
            action.webhook_secret = self.env["sales.cadence.webhook.log"]._new_token()

    # ------------------------------------------------------------
    # DOING
    # ------------------------------------------------------------

    def _do(self, leads):
        """Do the action for ``leads``; return what was done, for their chatter."""
        self.ensure_one()
        leads = leads.exists()
        getattr(self, f"_do_{self.action_type}")(leads)
        return self.description

    def _do_stage(self, leads):
        leads.write({"stage_id": self.stage_id.id})

    def _do_lost(self, leads):
        leads.cadence_enrollment_ids._stop()
        leads.action_set_lost(lost_reason_id=self.lost_reason_id.id)

    def _do_assign(self, leads):
        leads.write({"user_id": self.user_id.id})

    def _do_enroll(self, leads):
        self.target_cadence_id._enroll(leads)

    def _do_activity(self, leads):
        deadline = fields.Date.context_today(self) + timedelta(days=self.activity_days)
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": lead.id,
                    "activity_type_id": self.activity_type_id.id,
                    "summary": self.activity_summary or False,
                    "user_id": (self.user_id or lead.user_id or self.env.user).id,
                    "date_deadline": deadline,
                }
                for lead in leads
            ]
        )

    def _do_webhook(self, leads):
        workflow = self.workflow_id
        self.env["followup.webhook"]._queue(
            [
                {
                    "name": f"cadence.{workflow.trigger}",
                    "company_id": (lead.company_id or workflow.company_id).id,
                    "url": self.webhook_url,
                    "secret": self.sudo().webhook_secret,
                    "res_model": lead._name,
                    "res_id": lead.id,
                    "origin_model": self._name,
                    "origin_id": self.id,
                    "body": self._webhook_body(workflow, lead),
                }
                for lead in leads
            ]
        )

    @api.model
    def _webhook_body(self, workflow, lead):
        return {
            "event": workflow.trigger,
            "workflow": {"id": workflow.id, "name": workflow.name},
            "cadence": {"id": workflow.cadence_id.id, "name": workflow.cadence_id.name}
            if workflow.cadence_id
            else None,
            "lead": {
                "id": lead.id,
                "name": lead.name,
                "email": lead.email_from or None,
                "phone": lead.phone or None,
                "stage": lead.stage_id.name or None,
                "salesperson": lead.user_id.name or None,
                "engagement_score": lead.engagement_score,
            },
            "date": fields.Datetime.now(),
        }
