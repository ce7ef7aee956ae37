from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

UNITS = [("minutes", "Minutes"), ("hours", "Hours"), ("days", "Days")]


class SalesCadenceStep(models.Model):
    """One step of a cadence: what to do (send a template, or a manual
    action with its instructions), and how long to wait after the previous
    step."""

    _name = "sales.cadence.step"
    _description = "Cadence Step"
    _order = "sequence, id"

    cadence_id = fields.Many2one("sales.cadence", required=True, index=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    step_type_id = fields.Many2one(
        "sales.cadence.step.type", string="Type", required=True, ondelete="restrict"
    )
    code = fields.Selection(related="step_type_id.code")
    is_automatic = fields.Boolean(related="step_type_id.is_automatic")
    channel = fields.Selection(related="step_type_id.channel")
    wait_number = fields.Integer(
        string="Wait", help="After the previous step (after the enrollment for the first)."
    )
    wait_unit = fields.Selection(UNITS, default="days", required=True)
    mail_template_id = fields.Many2one(
        "mail.template", string="E-mail Template", domain=[("model", "=", "crm.lead")], ondelete="restrict"
    )
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", domain=[("model", "=", "crm.lead")], ondelete="restrict"
    )
    instructions = fields.Html(
        translate=True, help="What the salesperson does: a call script, the e-mail to write..."
    )

    @api.constrains("step_type_id", "mail_template_id", "sms_template_id", "wait_number")
    def _check_step(self):
        for step in self:
            if step.wait_number < 0:
                raise ValidationError(
                    self.env._("The wait of step %(step)s cannot be negative.", step=step.name)
                )
            if step.channel and not step._template():
                raise ValidationError(
                    self.env._(
                        "The automatic step %(step)s needs a template for its channel.", step=step.name
                    )
                )

    def _template(self):
        self.ensure_one()
        return {"email": self.mail_template_id, "sms": self.sms_template_id}.get(self.channel, False)

    def _wait(self):
        self.ensure_one()
        return timedelta(**{self.wait_unit: self.wait_number or 0})

    def _next(self):
        """The step after ``self`` in its cadence, or an empty recordset."""
        self.ensure_one()
        steps = self.cadence_id.step_ids.sorted(lambda s: (s.sequence, s.id))
        later = steps.filtered(lambda s: (s.sequence, s.id) > (self.sequence, self.id))
        return later[:1]
