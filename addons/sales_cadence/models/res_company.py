from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    cadence_task_cap = fields.Integer(
        string="Cadence Tasks per User per Day",
        help="The most manual cadence steps a salesperson gets in a day; the others wait for the "
        "next working day. 0: no limit.",
    )
