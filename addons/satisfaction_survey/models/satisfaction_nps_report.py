from odoo import fields, models, tools

from .satisfaction_campaign import nps_interval


class SatisfactionNpsReport(models.Model):
    """The NPS of each employee in each campaign, with its margin of error:
    a pivot averages scores, it cannot tell how far to trust them."""

    _name = "satisfaction.nps.report"
    _description = "NPS by Employee"
    _auto = False
    _order = "campaign_id, answer_count desc"

    campaign_id = fields.Many2one("satisfaction.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Employee", readonly=True)
    answer_count = fields.Integer("Answers", readonly=True)
    promoter_count = fields.Integer("Promoters", readonly=True)
    passive_count = fields.Integer("Passives", readonly=True)
    detractor_count = fields.Integer("Detractors", readonly=True)
    nps = fields.Float("NPS", compute="_compute_nps", digits=(16, 1))
    nps_margin = fields.Float(
        "Margin (95%)",
        compute="_compute_nps",
        digits=(16, 1),
        help="The true NPS lies within this many points of the measured one, 19 times out of 20.",
    )

    def _compute_nps(self):
        for line in self:
            line.nps, line.nps_margin = nps_interval(
                line.promoter_count, line.passive_count, line.detractor_count
            )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            """
            CREATE OR REPLACE VIEW satisfaction_nps_report AS (
                SELECT row_number() OVER () AS id,
                       answer.campaign_id,
                       campaign.company_id,
                       rel.user_id,
                       count(*) AS answer_count,
                       count(*) FILTER (WHERE answer.nps_category = 'promoter') AS promoter_count,
                       count(*) FILTER (WHERE answer.nps_category = 'passive') AS passive_count,
                       count(*) FILTER (WHERE answer.nps_category = 'detractor') AS detractor_count
                  FROM survey_user_input answer
                  JOIN satisfaction_campaign campaign ON campaign.id = answer.campaign_id
                  JOIN survey_user_input_satisfaction_user_rel rel ON rel.user_input_id = answer.id
                 WHERE answer.state = 'done' AND answer.nps_category IS NOT NULL
                 GROUP BY answer.campaign_id, campaign.company_id, rel.user_id
            )
            """
        )
