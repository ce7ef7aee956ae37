from odoo import api, fields, models

SURVEY_SKIP_REASONS = {"mute_period", "survey_interval"}


class FollowupDispatch(models.Model):
    _inherit = "followup.dispatch"

    reason = fields.Selection(
        selection_add=[
            ("mute_period", "Mute period of the campaign"),
            ("survey_interval", "Too soon after another survey"),
            ("survey_answered", "Survey already answered"),
        ]
    )

    @api.model
    def _skip_reasons(self):
        return super()._skip_reasons() | SURVEY_SKIP_REASONS
