from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval


class FollowupLocation(models.Model):
    """Where work happens (a workshop, a warehouse, a sales team): which
    records belong to it, and its working hours."""

    _name = "followup.location"
    _description = "Follow-up Location"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    model_id = fields.Many2one(
        "ir.model",
        string="Applies To",
        required=True,
        ondelete="cascade",
        domain=[("is_mail_thread", "=", True), ("transient", "=", False)],
    )
    model_name = fields.Char(related="model_id.model", string="Model Name")
    filter_domain = fields.Char(
        string="Records of this Location",
        default="[]",
        help="The records that belong to this location, e.g. the work orders of one warehouse.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Rules of this location that send during working hours only use these hours.",
    )
    rule_ids = fields.One2many("followup.rule", "location_id", string="Rules")

    @api.constrains("filter_domain", "model_id")
    def _check_filter_domain(self):
        for location in self.with_context(followup_validate_domain=True):
            location._get_domain()

    def _get_domain(self):
        self.ensure_one()
        return eval_filter_domain(
            self,
            self.env._("The records of location %(name)s are not described by a valid filter: %(error)s"),
        )


def eval_filter_domain(record, message):
    """The domain of ``record.filter_domain`` on ``record.model_name``; with
    ``followup_validate_domain`` in context, also tried once on the database.
    ``message`` is the error, with ``%(name)s`` and ``%(error)s``."""
    try:
        domain = safe_eval(record.filter_domain or "[]", {"uid": record.env.uid})
        if record.env.context.get("followup_validate_domain"):
            record.env[record.model_name].sudo().search(domain, limit=1)
    except Exception as error:
        raise ValidationError(message % {"name": record.display_name, "error": error}) from error
    return domain
