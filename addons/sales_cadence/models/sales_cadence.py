from odoo import fields, models


class SalesCadence(models.Model):
    """A prospecting cadence: ordered steps (automatic e-mails and SMS,
    calls, manual e-mails, tasks...) that each enrolled lead goes through,
    each step after its wait."""

    _name = "sales.cadence"
    _description = "Sales Cadence"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    step_ids = fields.One2many("sales.cadence.step", "cadence_id", string="Steps", copy=True)
    policy_id = fields.Many2one(
        "followup.policy",
        string="Send Policy",
        check_company=True,
        help="Working days and hours, daily caps and the delay between e-mails of the automatic "
        "steps. Leave empty for the company's default send policy.",
    )
    is_tracked = fields.Boolean(
        string="Track Opens and Clicks",
        default=True,
        help="The automatic e-mails carry a tracking image and their links (and those of the SMS) "
        "go through Odoo's link tracker: opening and clicks count for the lead's engagement score "
        "and start the workflows.",
    )
    workflow_ids = fields.One2many(
        "sales.cadence.workflow", "cadence_id", string="Advanced Workflows", context={"active_test": False}
    )
    enrollment_ids = fields.One2many("sales.cadence.enrollment", "cadence_id", string="Enrollments")
    active_count = fields.Integer(string="In Progress", compute="_compute_counts")
    enrollment_count = fields.Integer(string="Enrolled", compute="_compute_counts")

    def _compute_counts(self):
        counts = {
            (cadence.id, state): count
            for cadence, state, count in self.env["sales.cadence.enrollment"]._read_group(
                [("cadence_id", "in", self.ids)], ["cadence_id", "state"], ["__count"]
            )
        }
        for cadence in self:
            cadence.active_count = counts.get((cadence.id, "active"), 0)
            cadence.enrollment_count = sum(
                count for (cid, _state), count in counts.items() if cid == cadence.id
            )

    def write(self, vals):
        res = super().write(vals)
        if vals.get("active") is False:
            self.enrollment_ids.filtered(lambda e: e.state in ("active", "paused"))._stop()
        return res

    def action_open_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_cadence.sales_cadence_enrollment_action"
        )
        return {
            **action,
            "domain": [("cadence_id", "=", self.id)],
            "context": {"default_cadence_id": self.id},
        }

    def _enroll(self, leads):
        """Enroll ``leads`` in the cadence: those already in it are left as
        they are. A lead without a contact gets one from its e-mail, as CRM
        does when it converts a lead.

        :return: (new enrollments, leads that were already enrolled)
        """
        self.ensure_one()
        Enrollment = self.env["sales.cadence.enrollment"]
        already = Enrollment.search(
            [
                ("cadence_id", "=", self.id),
                ("lead_id", "in", leads.ids),
                ("state", "in", ("active", "paused")),
            ]
        ).lead_id
        todo = leads - already
        for lead in todo.filtered(lambda lead: not lead.partner_id and (lead.email_from or lead.phone)):
            lead._handle_partner_assignment(create_missing=True)
        first = self.step_ids.sorted("sequence")[:1]
        now = fields.Datetime.now()
        enrollments = Enrollment.create(
            [
                {
                    "cadence_id": self.id,
                    "lead_id": lead.id,
                    "step_id": first.id,
                    "date_next": now + first._wait() if first else False,
                    "state": "active" if first else "done",
                }
                for lead in todo
            ]
        )
        enrollments._schedule_run()
        return enrollments, already
