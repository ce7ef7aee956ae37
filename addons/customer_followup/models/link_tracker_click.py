from odoo import fields, models


class LinkTrackerClick(models.Model):
    _inherit = "link.tracker.click"

    followup_dispatch_id = fields.Many2one(
        "followup.dispatch",
        string="Follow-up Message",
        index="btree_not_null",
        ondelete="set null",
        help="The outbox message whose link was followed.",
    )
