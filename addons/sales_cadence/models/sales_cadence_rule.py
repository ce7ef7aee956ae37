from odoo import api, fields, models
from odoo.exceptions import ValidationError

EVENTS = [("bounce", "E-mail bounced"), ("unsubscribe", "Unsubscribed")]


class SalesCadenceRule(models.Model):
    """Which steps a lead skips once an e-mail to it bounced or it
    unsubscribed: a rule for the company, with exceptions for a sales team
    or a salesperson. When every step is skipped, the cadence is over."""

    _name = "sales.cadence.rule"
    _description = "Cadence Bounce and Unsubscribe Rule"
    _order = "event, user_id, team_id, id"
    _check_company_auto = True

    event = fields.Selection(EVENTS, required=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    team_id = fields.Many2one(
        "crm.team", string="Exception for Team", check_company=True, help="Applies to the leads of this team."
    )
    user_id = fields.Many2one(
        "res.users",
        string="Exception for Salesperson",
        domain=[("share", "=", False)],
        help="Applies to the leads of this salesperson, before their team's rule.",
    )
    step_type_ids = fields.Many2many(
        "sales.cadence.step.type",
        "sales_cadence_rule_step_type_rel",
        "rule_id",
        "step_type_id",
        string="Steps Skipped",
    )

    @api.constrains("event", "company_id", "team_id", "user_id")
    def _check_one_rule_per_scope(self):
        for rule in self:
            if self.search_count(
                [
                    ("id", "!=", rule.id),
                    ("event", "=", rule.event),
                    ("company_id", "=", rule.company_id.id),
                    ("team_id", "=", rule.team_id.id),
                    ("user_id", "=", rule.user_id.id),
                ],
                limit=1,
            ):
                raise ValidationError(
                    self.env._("There is one rule per event for the company, each team and each salesperson.")
                )

    @api.depends("event", "team_id", "user_id")
    def _compute_display_name(self):
        events = dict(self._fields["event"]._description_selection(self.env))
        for rule in self:
            scope = rule.user_id.name or rule.team_id.name or self.env._("Company")
            rule.display_name = f"{events.get(rule.event, '')} ({scope})"

    @api.model
    def _skipped_types(self, event, enrollments):
        """{enrollment: the step types its lead skips after ``event``}: the
        rule of the lead's salesperson, else of its team, else the company's."""
        rules = self.search([("event", "=", event), ("company_id", "in", enrollments.company_id.ids)])
        result = {}
        for enrollment in enrollments:
            lead = enrollment.lead_id
            in_company = rules.filtered(lambda r, e=enrollment: r.company_id == e.company_id)
            rule = (
                in_company.filtered(lambda r, lead=lead: r.user_id and r.user_id == lead.user_id)[:1]
                or in_company.filtered(
                    lambda r, lead=lead: not r.user_id and r.team_id and r.team_id == lead.team_id
                )[:1]
                or in_company.filtered(lambda r: not r.user_id and not r.team_id)[:1]
            )
            result[enrollment] = rule.step_type_ids
        return result
