from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SalesCadenceLateRule(models.Model):
    """An exception to a step type's late duration, for a sales team or a
    salesperson: a salesperson's exception comes before their lead's team's,
    which comes before the step type's duration."""

    _name = "sales.cadence.late.rule"
    _description = "Cadence Late Duration Exception"
    _order = "step_type_id, user_id, team_id, id"
    _check_company_auto = True

    step_type_id = fields.Many2one("sales.cadence.step.type", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    team_id = fields.Many2one(
        "crm.team", check_company=True, help="Applies to the steps of this team's leads."
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        domain=[("share", "=", False)],
        help="Applies to the steps of this salesperson, before their lead's team's exception.",
    )
    late_minutes = fields.Integer(
        string="Late After (minutes)",
        help="A step is late this many minutes after it reached the salesperson. 0: never late.",
    )

    _sql_constraints = [
        (
            "one_scope",
            "CHECK ((team_id IS NULL) != (user_id IS NULL))",
            "A late duration exception is for a team or for a salesperson.",
        ),
        ("late_minutes_positive", "CHECK (late_minutes >= 0)", "A late duration cannot be negative."),
    ]

    @api.depends("team_id", "user_id", "late_minutes")
    def _compute_display_name(self):
        for rule in self:
            scope = rule.user_id.name or rule.team_id.name or ""
            rule.display_name = self.env._(
                "%(scope)s: %(minutes)s min", scope=scope, minutes=rule.late_minutes
            )

    @api.constrains("step_type_id", "company_id", "team_id", "user_id")
    def _check_one_per_scope(self):
        groups = self._read_group(
            [("step_type_id", "in", self.step_type_id.ids), ("company_id", "in", self.company_id.ids)],
            ["step_type_id", "company_id", "team_id", "user_id"],
            ["__count"],
        )
        if any(count > 1 for *_scope, count in groups):
            raise ValidationError(
                self.env._("A step type has one late duration per team and per salesperson.")
            )

    @api.model
    def _late_minutes(self, tasks):
        """{task: minutes after which it is late}: the exception of its
        salesperson, else of its lead's team, else its step type's duration;
        for all of ``tasks`` in one query."""
        rules = self.sudo().search(
            [("step_type_id", "in", tasks.step_type_id.ids), ("company_id", "in", tasks.company_id.ids)]
        )
        by_user = {(r.step_type_id, r.company_id, r.user_id): r.late_minutes for r in rules if r.user_id}
        by_team = {(r.step_type_id, r.company_id, r.team_id): r.late_minutes for r in rules if r.team_id}
        result = {}
        for task in tasks:
            scope = (task.step_type_id, task.company_id)
            minutes = by_user.get((*scope, task.user_id))
            if minutes is None:
                minutes = by_team.get((*scope, task.lead_id.team_id))
            result[task] = task.step_type_id.late_minutes if minutes is None else minutes
        return result
