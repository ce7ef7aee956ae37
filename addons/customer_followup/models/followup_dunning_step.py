from odoo import api, fields, models
from odoo.exceptions import ValidationError

ACTION_TYPES = [
    ("email", "E-mail"),
    ("sms", "SMS"),
    ("call", "Call"),
    ("letter", "Letter"),
    ("task", "Task"),
]
# Only messages can leave by themselves; a call, a letter or a task needs someone.
AUTOMATIC_TYPES = ("email", "sms")


class FollowupDunningStep(models.Model):
    """One action of a dunning plan, triggered a number of days after the
    reference invoice's date or due date."""

    _name = "followup.dunning.step"
    _description = "Dunning Step"
    _order = "plan_id, sequence, id"
    _check_company_auto = True

    plan_id = fields.Many2one("followup.dunning.plan", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    action_type = fields.Selection(ACTION_TYPES, string="Type", required=True, default="email")
    is_automatic = fields.Boolean(
        string="Automatic",
        compute="_compute_is_automatic",
        store=True,
        readonly=False,
        help="Sent by the outbox without anyone's validation. Manual actions become "
        "activities of their responsible, and the plan waits for them.",
    )
    trigger_days = fields.Integer(
        string="Days",
        help="Days after the reference invoice's date or due date; negative: before it.",
    )
    trigger_reference = fields.Selection(
        [("date_due", "Due Date"), ("invoice_date", "Invoice Date")],
        string="After",
        required=True,
        default="date_due",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain=[("model", "=", "followup.dunning")],
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "followup.dunning")],
    )
    instructions = fields.Html(
        translate=True,
        help="Call script, letter content, or what the responsible has to do.",
    )
    responsible = fields.Selection(
        [
            ("partner_user", "Customer's Salesperson"),
            ("invoice_user", "Invoice's Salesperson"),
            ("user", "Chosen User"),
        ],
        required=True,
        default="partner_user",
        help="Who handles the manual action; the plan's company's administrator when nobody is set.",
    )
    user_id = fields.Many2one("res.users", check_company=True)
    attach_invoices = fields.Boolean(help="Attach the PDF of every listed invoice.")
    is_registered = fields.Boolean(string="Registered Mail")
    trigger_label = fields.Char(string="Trigger", compute="_compute_trigger_label")

    @api.depends("action_type")
    def _compute_is_automatic(self):
        for step in self:
            step.is_automatic = step.action_type in AUTOMATIC_TYPES

    @api.depends("trigger_days", "trigger_reference")
    def _compute_trigger_label(self):
        references = dict(self._fields["trigger_reference"]._description_selection(self.env))
        for step in self:
            reference = references.get(step.trigger_reference, "")
            if step.trigger_days >= 0:
                step.trigger_label = self.env._(
                    "%(days)s days after the %(reference)s",
                    days=step.trigger_days,
                    reference=reference.lower(),
                )
            else:
                step.trigger_label = self.env._(
                    "%(days)s days before the %(reference)s",
                    days=-step.trigger_days,
                    reference=reference.lower(),
                )

    @api.constrains(
        "action_type", "is_automatic", "mail_template_id", "sms_template_id", "responsible", "user_id"
    )
    def _check_automatic(self):
        for step in self:
            if step.is_automatic and step.action_type not in AUTOMATIC_TYPES:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s: only e-mails and SMS can be sent automatically.", step=step.name
                    )
                )
            if step.is_automatic and not step._template():
                raise ValidationError(
                    self.env._("Step %(step)s is automatic: choose the template it sends.", step=step.name)
                )
            if step.responsible == "user" and not step.user_id:
                raise ValidationError(
                    self.env._("Step %(step)s: choose its responsible user.", step=step.name)
                )

    def _template(self):
        """The mail or SMS template this step sends, if it sends one."""
        self.ensure_one()
        return {"email": self.mail_template_id, "sms": self.sms_template_id}.get(self.action_type)

    def _trigger_date(self, reference):
        """The day ``self`` is due for a reference due line ``reference`` =
        {"date_due": date, "invoice_date": date}."""
        self.ensure_one()
        return fields.Date.add(reference[self.trigger_reference], days=self.trigger_days)
