from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError


class FollowupOutboxPreview(models.TransientModel):
    _name = "followup.outbox.preview"
    _description = "Follow-up Outbox Preview"

    days = fields.Integer(string="Next Days", default=7, required=True)

    def action_open(self):
        self.ensure_one()
        if self.days <= 0:
            raise UserError(self.env._("The preview needs a number of days above zero."))
        until = fields.Datetime.now() + timedelta(days=self.days)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Going out in the next %(days)s days", days=self.days),
            "res_model": "followup.dispatch",
            "view_mode": "list,pivot,graph,form",
            "domain": [("state", "=", "planned"), ("date_earliest", "<=", until)],
            "context": {"search_default_groupby_day": 1},
        }
