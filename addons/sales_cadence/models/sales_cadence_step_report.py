from odoo import fields, models, tools


class SalesCadenceStepReport(models.Model):
    """How each step of each cadence does: how many leads reached it, what
    its messages became (sent, delivered, opened, clicked, bounced), how
    many leads replied after it (their last step before the reply), done
    and skipped."""

    _name = "sales.cadence.step.report"
    _description = "Cadence Step Report"
    _auto = False
    _order = "cadence_id, sequence, step_id"

    cadence_id = fields.Many2one("sales.cadence", readonly=True)
    step_id = fields.Many2one("sales.cadence.step", readonly=True)
    sequence = fields.Integer(readonly=True)
    step_type_id = fields.Many2one("sales.cadence.step.type", string="Type", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    task_count = fields.Integer("Reached", readonly=True)
    done_count = fields.Integer("Done", readonly=True)
    skipped_count = fields.Integer("Skipped", readonly=True)
    sent_count = fields.Integer("Sent", readonly=True)
    delivered_count = fields.Integer("Delivered", readonly=True)
    bounced_count = fields.Integer("Bounced", readonly=True)
    opened_count = fields.Integer("Opened", readonly=True)
    clicked_count = fields.Integer("Clicked", readonly=True)
    replied_count = fields.Integer("Replied", readonly=True)
    sent_rate = fields.Float(readonly=True, aggregator="avg")
    bounce_rate = fields.Float(readonly=True, aggregator="avg")
    open_rate = fields.Float(readonly=True, aggregator="avg", help="Of the e-mails sent.")
    click_rate = fields.Float(readonly=True, aggregator="avg", help="Of the messages sent.")
    reply_rate = fields.Float(readonly=True, aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            """
            CREATE OR REPLACE VIEW sales_cadence_step_report AS (
                WITH replies AS (
                    SELECT DISTINCT ON (task.enrollment_id) task.id AS task_id
                      FROM sales_cadence_task task
                      JOIN sales_cadence_enrollment enrollment ON enrollment.id = task.enrollment_id
                     WHERE enrollment.date_replied IS NOT NULL AND task.date_done <= enrollment.date_replied
                     ORDER BY task.enrollment_id, task.date_done DESC, task.id DESC
                ), counts AS (
                    SELECT task.step_id,
                           count(*) AS task_count,
                           count(*) FILTER (WHERE task.state = 'done') AS done_count,
                           count(*) FILTER (WHERE task.state = 'skipped') AS skipped_count,
                           count(*) FILTER (
                               WHERE dispatch.state IN ('sent', 'delivered', 'bounced')
                           ) AS sent_count,
                           count(*) FILTER (WHERE dispatch.state = 'delivered') AS delivered_count,
                           count(*) FILTER (WHERE dispatch.state = 'bounced') AS bounced_count,
                           count(*) FILTER (
                               WHERE dispatch.state IN ('sent', 'delivered', 'bounced')
                                 AND dispatch.channel = 'email'
                           ) AS email_sent_count,
                           count(dispatch.date_opened) AS opened_count,
                           count(dispatch.date_clicked) AS clicked_count,
                           count(*) FILTER (WHERE task.id IN (SELECT task_id FROM replies)) AS replied_count
                      FROM sales_cadence_task task
                      LEFT JOIN followup_dispatch dispatch ON dispatch.id = task.dispatch_id
                     GROUP BY task.step_id
                )
                SELECT step.id AS id,
                       step.id AS step_id,
                       step.cadence_id,
                       step.sequence,
                       step.step_type_id,
                       cadence.company_id,
                       counts.task_count,
                       counts.done_count,
                       counts.skipped_count,
                       counts.sent_count,
                       counts.delivered_count,
                       counts.bounced_count,
                       counts.opened_count,
                       counts.clicked_count,
                       counts.replied_count,
                       counts.sent_count::float / counts.task_count AS sent_rate,
                       counts.bounced_count::float / NULLIF(counts.sent_count, 0) AS bounce_rate,
                       counts.opened_count::float / NULLIF(counts.email_sent_count, 0) AS open_rate,
                       counts.clicked_count::float / NULLIF(counts.sent_count, 0) AS click_rate,
                       counts.replied_count::float / counts.task_count AS reply_rate
                  FROM counts
                  JOIN sales_cadence_step step ON step.id = counts.step_id
                  JOIN sales_cadence cadence ON cadence.id = step.cadence_id
            )
            """
        )
