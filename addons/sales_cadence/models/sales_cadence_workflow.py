from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError

TRIGGERS = [
    ("reply", "The lead replies"),
    ("bounce", "An e-mail to the lead bounces"),
    ("unsubscribe", "The lead unsubscribes"),
    ("link_clicked", "The lead clicks a link"),
    ("enrollment_done", "The lead completes the cadence"),
    ("stage_changed", "The lead changes stage"),
    ("score_above", "The engagement score reaches a threshold"),
]


class SalesCadenceWorkflow(models.Model):
    """What happens when something happens to a lead (seed: "flux de
    travail"): a trigger and its actions. A standard workflow applies to
    the company's leads; an advanced one, set on a cadence, replaces it for
    the leads going through that cadence. One workflow per trigger, for the
    company and for each cadence.

    Workflows run where their event happens; their actions do not start
    other workflows, so that none can loop."""

    _name = "sales.cadence.workflow"
    _description = "Cadence Workflow"
    _order = "cadence_id desc, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    cadence_id = fields.Many2one(
        "sales.cadence",
        index=True,
        ondelete="cascade",
        check_company=True,
        help="Advanced workflow: only for the leads going through this cadence, instead of the "
        "company's standard workflow for the same trigger. Empty: standard workflow.",
    )
    kind = fields.Selection(
        [("standard", "Standard"), ("advanced", "Advanced")],
        string="Scope",
        compute="_compute_kind",
        store=True,
    )
    trigger = fields.Selection(TRIGGERS, required=True)
    stage_id = fields.Many2one(
        "crm.stage", string="To Stage", help="Only when the lead moves to this stage; empty: any stage."
    )
    score_threshold = fields.Integer(help="When the lead's engagement score reaches this value.")
    action_ids = fields.One2many("sales.cadence.workflow.action", "workflow_id", string="Actions", copy=True)

    @api.depends("cadence_id")
    def _compute_kind(self):
        for workflow in self:
            workflow.kind = "advanced" if workflow.cadence_id else "standard"

    @api.constrains("trigger", "cadence_id", "company_id", "active", "score_threshold")
    def _check_one_per_trigger(self):
        for workflow in self.filtered("active"):
            if workflow.trigger == "score_above" and workflow.score_threshold <= 0:
                raise ValidationError(self.env._("A score threshold must be above 0."))
            if self.search_count(
                [
                    ("id", "!=", workflow.id),
                    ("trigger", "=", workflow.trigger),
                    ("cadence_id", "=", workflow.cadence_id.id),
                    ("company_id", "=", workflow.company_id.id),
                ],
                limit=1,
            ):
                triggers = dict(self._fields["trigger"]._description_selection(self.env))
                raise ValidationError(
                    self.env._(
                        "%(where)s already has a workflow for “%(trigger)s”: add actions to it instead.",
                        where=workflow.cadence_id.name or self.env._("The company"),
                        trigger=triggers[workflow.trigger],
                    )
                )

    # ------------------------------------------------------------
    # RUNNING
    # ------------------------------------------------------------

    @api.model
    def _run(self, trigger, leads, enrollments=None, match=None):
        """Run the workflows of ``trigger`` for ``leads``: for each lead, the
        advanced workflow of each of its cadences (those of ``enrollments``
        when the event is about them, else those it is going through), or,
        when none has one, its company's standard workflow.

        :param match: (workflow, lead) -> whether the event fits the
            workflow (a stage, a threshold)
        """
        if not leads or self.env.context.get("sales_cadence_workflow"):
            return
        workflows = self.sudo().search(
            [("trigger", "=", trigger), ("company_id", "in", (leads.company_id | self.env.company).ids)]
        )
        if not workflows:
            return
        standard = {w.company_id: w for w in workflows if not w.cadence_id}
        advanced = {w.cadence_id: w for w in workflows if w.cadence_id}
        if enrollments is None:
            enrollments = leads.cadence_enrollment_ids.filtered(lambda e: e.state in ("active", "paused"))
        cadences = defaultdict(set)
        for enrollment in enrollments:
            cadences[enrollment.lead_id].add(enrollment.cadence_id)
        todo = defaultdict(leads.browse)
        for lead in leads:
            chosen = [advanced[c] for c in cadences[lead] if c in advanced] or [
                standard.get(lead.company_id or self.env.company)
            ]
            for workflow in filter(None, chosen):
                if match is None or match(workflow, lead):
                    todo[workflow] |= lead
        for workflow, workflow_leads in todo.items():
            workflow.with_context(sales_cadence_workflow=True)._apply(workflow_leads)

    def _apply(self, leads):
        """Do the actions of the workflow for ``leads``, and say so on their chatter."""
        self.ensure_one()
        leads = leads.sudo()
        done = [action._do(leads) for action in self.action_ids.sorted("sequence")]
        note = self.env._("Workflow “%(workflow)s”: %(actions)s", workflow=self.name, actions="; ".join(done))
        leads = leads.exists()
        leads._message_log_batch(
            {lead.id: note for lead in leads}, author_id=self.env.ref("base.partner_root").id
        )
