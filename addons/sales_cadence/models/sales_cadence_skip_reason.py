from odoo import api, fields, models
from odoo.exceptions import UserError


class SalesCadenceSkipReason(models.Model):
    """Why a salesperson skipped a step; "Other" is always there."""

    _name = "sales.cadence.skip.reason"
    _description = "Cadence Skip Reason"
    _order = "is_other, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_other = fields.Boolean(readonly=True, help="The reason that is always offered.")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_other(self):
        if any(reason.is_other for reason in self):
            raise UserError(self.env._('The reason "Other" is always offered: rename it, do not delete it.'))

    def write(self, vals):
        if vals.get("active") is False and any(reason.is_other for reason in self):
            raise UserError(self.env._('The reason "Other" is always offered: rename it, do not archive it.'))
        return super().write(vals)
