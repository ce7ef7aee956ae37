from odoo import fields, models, tools

from .sales_cadence_task import STATES


class SalesCadenceUserReport(models.Model):
    """What each salesperson did with the steps they were given: done,
    skipped (and why), late; a step still to do is late once its deadline
    passed, a finished one if it was finished after it."""

    _name = "sales.cadence.user.report"
    _description = "Cadence Steps per Salesperson"
    _auto = False
    _order = "date_assigned desc, id desc"

    task_id = fields.Many2one("sales.cadence.task", string="Step", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    cadence_id = fields.Many2one("sales.cadence", readonly=True)
    step_type_id = fields.Many2one("sales.cadence.step.type", string="Type", readonly=True)
    is_automatic = fields.Boolean(readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True)
    state = fields.Selection(STATES, string="Status", readonly=True)
    skip_reason_id = fields.Many2one("sales.cadence.skip.reason", readonly=True)
    timeliness = fields.Selection([("late", "Late"), ("on_time", "On Time")], readonly=True)
    date_assigned = fields.Datetime("Reached the User", readonly=True)
    date_done = fields.Datetime("Done On", readonly=True)
    done_count = fields.Integer("Done", readonly=True)
    skipped_count = fields.Integer("Skipped", readonly=True)
    late_count = fields.Integer("Late", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            """
            CREATE OR REPLACE VIEW sales_cadence_user_report AS (
                WITH tasks AS (
                    SELECT task.*,
                           COALESCE(
                               task.was_late
                               OR (task.state = 'to_do' AND task.date_late < (now() AT TIME ZONE 'UTC')),
                               FALSE
                           ) AS late
                      FROM sales_cadence_task task
                )
                SELECT task.id,
                       task.id AS task_id,
                       task.user_id,
                       task.company_id,
                       task.cadence_id,
                       task.step_type_id,
                       step_type.is_automatic,
                       task.lead_id,
                       task.state,
                       task.skip_reason_id,
                       CASE WHEN task.late THEN 'late' ELSE 'on_time' END AS timeliness,
                       task.date_assigned,
                       task.date_done,
                       (task.state = 'done')::int AS done_count,
                       (task.state = 'skipped')::int AS skipped_count,
                       task.late::int AS late_count
                  FROM tasks task
                  JOIN sales_cadence_step_type step_type ON step_type.id = task.step_type_id
            )
            """
        )
