from odoo import api, fields, models
from odoo.exceptions import ValidationError

ROLES = [
    ("nps", "Satisfaction score: NPS (0-10)"),
    ("csat", "Satisfaction score: CSAT (1-5)"),
    ("comment", "Comment"),
    ("cross_sell", "Cross-sell request"),
    ("referral", "Referral e-mail"),
]
TEXT_ROLES = ("comment", "cross_sell", "referral")


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    satisfaction_role = fields.Selection(
        ROLES,
        help="What the answer means for satisfaction campaigns: the score (NPS or CSAT), the "
        "customer's comment, a request for another service, or the e-mail of someone they refer.",
    )

    @api.constrains("satisfaction_role", "question_type", "scale_min", "scale_max")
    def _check_satisfaction_role(self):
        for question in self:
            role = question.satisfaction_role
            if role == "nps" and (question.question_type, question.scale_min, question.scale_max) != (
                "scale",
                0,
                10,
            ):
                raise ValidationError(
                    self.env._(
                        "The NPS question %(question)s must be a scale from 0 to 10.", question=question.title
                    )
                )
            if role == "csat" and (question.question_type, question.scale_min, question.scale_max) != (
                "scale",
                1,
                5,
            ):
                raise ValidationError(
                    self.env._(
                        "The CSAT question %(question)s must be a scale from 1 to 5.", question=question.title
                    )
                )
            if role in TEXT_ROLES and question.question_type not in ("char_box", "text_box"):
                raise ValidationError(
                    self.env._(
                        "The question %(question)s must be a text question for its satisfaction role.",
                        question=question.title,
                    )
                )


class SurveyQuestionAnswer(models.Model):
    _inherit = "survey.question.answer"

    is_warning = fields.Boolean(
        string="Warning",
        help="Choosing this answer alerts the campaign's user in charge of warnings.",
    )
