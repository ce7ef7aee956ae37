from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.customer_followup.models.followup_location import eval_filter_domain

from .mail_thread import SMART_BUTTON_KEY

PARTNER_FIELD_DOMAIN = (
    "[('model_id', '=', model_id), ('ttype', '=', 'many2one'), ('relation', '=', 'res.partner')]"
)


class SatisfactionCampaignRule(models.Model):
    """When a campaign's survey goes out: the jobs of one kind (a model and
    a filter, e.g. the field jobs of one project) entering one of the target
    states for the first time, and who answers (a primary e-mail, else a
    secondary one)."""

    _name = "satisfaction.campaign.rule"
    _inherit = ["followup.rule.mixin"]
    _smart_button_key = SMART_BUTTON_KEY
    _description = "Satisfaction Survey Rule"
    _order = "sequence, id"

    name = fields.Char(
        string="Description", translate=True, help="What these jobs are, e.g. Service calls or Installations."
    )
    campaign_id = fields.Many2one("satisfaction.campaign", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    model_id = fields.Many2one(
        "ir.model",
        string="Applies To",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
        default=lambda self: (
            self.env["ir.model"]._get("project.task") if "project.task" in self.env else False
        ),
    )
    model_name = fields.Char(related="model_id.model", string="Model Name", store=True, index=True)
    filter_domain = fields.Char(
        string="Jobs",
        default="[]",
        help="Which records of the model the survey is about, e.g. the field jobs of one project or tag.",
    )
    state_field_id = fields.Many2one(
        "ir.model.fields",
        string="Status Field",
        compute="_compute_state_field_id",
        store=True,
        readonly=False,
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('selection', 'many2one')),"
        " ('store', '=', True)]",
    )
    stage_model = fields.Char(related="state_field_id.relation", string="Stage Model")
    target_ids = fields.One2many("satisfaction.campaign.target", "rule_id", string="Target States", copy=True)
    targets_label = fields.Char(string="States", compute="_compute_targets_label")
    primary_partner_field_id = fields.Many2one(
        "ir.model.fields",
        string="Primary E-mail",
        compute="_compute_primary_partner_field_id",
        store=True,
        readonly=False,
        ondelete="cascade",
        domain=PARTNER_FIELD_DOMAIN,
        help="The contact whose e-mail address receives the survey, e.g. the customer of the job.",
    )
    secondary_partner_field_id = fields.Many2one(
        "ir.model.fields",
        string="Secondary E-mail",
        ondelete="set null",
        domain=PARTNER_FIELD_DOMAIN,
        help="Used when the primary contact has no e-mail address, e.g. the site contact.",
    )
    user_field_id = fields.Many2one(
        "ir.model.fields",
        string="Done By",
        compute="_compute_user_field_id",
        store=True,
        readonly=False,
        ondelete="set null",
        domain="[('model_id', '=', model_id), ('ttype', 'in', ('many2one', 'many2many')),"
        " ('relation', '=', 'res.users')]",
        help="The employees who did the job: results per employee, positive feedback shared with them.",
    )

    @api.depends("model_id")
    def _compute_state_field_id(self):
        for rule in self:
            rule.state_field_id = rule._first_field(("stage_id", "state"))

    @api.depends("model_id")
    def _compute_primary_partner_field_id(self):
        for rule in self:
            rule.primary_partner_field_id = rule._first_field(("partner_id",))

    @api.depends("model_id")
    def _compute_user_field_id(self):
        for rule in self:
            rule.user_field_id = rule._first_field(("user_ids", "user_id"))

    @api.depends("target_ids.display_name")
    def _compute_targets_label(self):
        for rule in self:
            rule.targets_label = ", ".join(rule.target_ids.mapped("display_name"))

    @api.depends("name", "model_id", "targets_label")
    def _compute_display_name(self):
        for rule in self:
            rule.display_name = rule.name or (
                f"{rule.model_id.name}: {rule.targets_label}" if rule.model_id else ""
            )

    @api.onchange("model_id")
    def _onchange_model_id(self):
        self.target_ids = [fields.Command.clear()]
        self.secondary_partner_field_id = False

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("state_field_id", "target_ids", "primary_partner_field_id")
    def _check_rule(self):
        for rule in self:
            if not rule.state_field_id or not rule.target_ids:
                raise ValidationError(
                    self.env._(
                        "The rule on %(model)s of campaign %(campaign)s needs at least one state "
                        "that sends the survey.",
                        model=rule.model_id.name,
                        campaign=rule.campaign_id.name,
                    )
                )
            if not rule.primary_partner_field_id:
                raise ValidationError(
                    self.env._(
                        "The rule on %(model)s of campaign %(campaign)s needs the field that "
                        "holds the customer.",
                        model=rule.model_id.name,
                        campaign=rule.campaign_id.name,
                    )
                )

    @api.constrains("filter_domain", "model_id")
    def _check_filter_domain(self):
        for rule in self.with_context(followup_validate_domain=True):
            rule._get_domain()

    # ------------------------------------------------------------
    # CRUD: the rules by model are cached for the create/write hooks
    # ------------------------------------------------------------

    _rule_cache_fields = ("model_id", "campaign_id")

    @api.model
    def _watching_domain(self):
        return [("campaign_id.active", "=", True), ("campaign_id.is_automated", "=", True)]

    def _ensure_smart_buttons(self):
        for model_name in set(self.mapped("model_name")):
            self.env["mail.thread"]._satisfaction_ensure_smart_button(model_name)

    # ------------------------------------------------------------
    # MATCHING
    # ------------------------------------------------------------

    def _get_domain(self):
        self.ensure_one()
        return eval_filter_domain(
            self, self.env._("The jobs of the survey rule %(name)s are not a valid filter: %(error)s")
        )

    def _target_values(self):
        self.ensure_one()
        if self.stage_model:
            return set(self.target_ids.mapped("stage_ref"))
        return set(self.target_ids.state_selection_id.mapped("value"))

    def _on_state_entered(self, records, before):
        """Plan the survey of the records that entered one of their rule's
        target states: created in it (``before`` empty) or moved into it.

        :param before: {field name: {record id: value before the write}}
        """
        for rule in self:
            fname = rule.state_field_id.name
            if before and fname not in before:
                continue
            targets = rule._target_values()
            entered = records.filtered(
                lambda r, rule=rule, fname=fname, targets=targets: (
                    rule._state_value(r) in targets and (not before or r[fname] != before[fname][r.id])
                )
            )
            if entered:
                rule.campaign_id._plan_invitations(rule, rule._matching(entered))

    def _recipient(self, record):
        """The primary contact when it has an e-mail address, else the
        secondary one; when neither has one, whichever is set, so that the
        outbox records why the survey did not go."""
        primary = record[self.primary_partner_field_id.name]
        secondary = (
            record[self.secondary_partner_field_id.name] if self.secondary_partner_field_id else primary
        )
        if primary.email:
            return primary
        if secondary.email:
            return secondary
        return primary or secondary

    def _employees(self, record):
        if not self.user_field_id:
            return self.env["res.users"]
        return record[self.user_field_id.name]


class SatisfactionCampaignTarget(models.Model):
    """One state (a selection value or a stage) that sends a rule's survey."""

    _name = "satisfaction.campaign.target"
    _description = "Satisfaction Survey Target State"
    _order = "id"

    rule_id = fields.Many2one("satisfaction.campaign.rule", required=True, index=True, ondelete="cascade")
    state_field_id = fields.Many2one(related="rule_id.state_field_id")
    stage_model = fields.Char(related="rule_id.stage_model")
    state_selection_id = fields.Many2one(
        "ir.model.fields.selection",
        string="Status",
        ondelete="cascade",
        domain="[('field_id', '=', state_field_id)]",
    )
    stage_ref = fields.Many2oneReference(string="Stage", model_field="stage_model")

    @api.depends("state_selection_id", "stage_ref", "stage_model")
    def _compute_display_name(self):
        for target in self:
            if target.stage_model and target.stage_ref:
                stage = self.env[target.stage_model].browse(target.stage_ref).exists()
                target.display_name = stage.display_name or ""
            else:
                target.display_name = target.state_selection_id.name or ""

    @api.constrains("state_selection_id", "stage_ref")
    def _check_value(self):
        for target in self:
            if not (target.state_selection_id if not target.stage_model else target.stage_ref):
                raise ValidationError(self.env._("Each target state of a survey rule needs a value."))
