from odoo import api, fields, models

CODES = [
    ("auto_email", "Automatic e-mail"),
    ("manual_email", "Manual e-mail"),
    ("auto_sms", "Automatic SMS"),
    ("manual_sms", "Manual SMS"),
    ("call", "Call"),
    ("whatsapp", "WhatsApp message"),
    ("task", "Task"),
]
AUTOMATIC = {"auto_email": "email", "auto_sms": "sms"}


class SalesCadenceStepType(models.Model):
    """A kind of step (seed: "type de tâche"), with the settings that apply
    to every step of that kind: when a manual one is late (with exceptions
    per team and per salesperson), and whether skipping it needs a reason."""

    _name = "sales.cadence.step.type"
    _description = "Cadence Step Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(CODES, required=True, readonly=True)
    sequence = fields.Integer(default=10)
    channel = fields.Selection(
        [("email", "E-mail"), ("sms", "SMS")],
        compute="_compute_channel",
        store=True,
        help="Automatic steps leave through the outbox on this channel; the others are activities.",
    )
    is_automatic = fields.Boolean(compute="_compute_channel", store=True)
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        help="The activity a manual step of this kind gives the salesperson.",
    )
    late_minutes = fields.Integer(
        string="Late After (minutes)",
        help="A manual step is late this many minutes after it reached the salesperson. 0: never late.",
    )
    late_rule_ids = fields.One2many(
        "sales.cadence.late.rule",
        "step_type_id",
        string="Late Duration Exceptions",
        help="Another late duration for a sales team or a salesperson.",
    )
    late_rule_count = fields.Integer("Exceptions", compute="_compute_late_rule_count")
    is_reason_required = fields.Boolean(
        string="Reason Required to Skip",
        help="Skipping a step of this kind asks for a reason.",
    )

    _sql_constraints = [("code_uniq", "UNIQUE (code)", "There is one step type per kind.")]

    @api.depends("late_rule_ids")
    def _compute_late_rule_count(self):
        counts = dict(
            self.env["sales.cadence.late.rule"]._read_group(
                [("step_type_id", "in", self.ids)], ["step_type_id"], ["__count"]
            )
        )
        for step_type in self:
            step_type.late_rule_count = counts.get(step_type, 0)

    @api.depends("code")
    def _compute_channel(self):
        for step_type in self:
            step_type.channel = AUTOMATIC.get(step_type.code, False)
            step_type.is_automatic = step_type.code in AUTOMATIC
