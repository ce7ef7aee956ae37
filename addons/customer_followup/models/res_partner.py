from odoo import api, fields, models

CONSENT_SOURCES = [
    ("user", "Recorded by a user"),
    ("customer", "Given by the customer"),
    ("import", "Imported"),
    ("api", "External system"),
]
CONSENT_CHANNELS = ("email", "sms")


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Off by default: a new contact has agreed to nothing yet.
    followup_email_consent = fields.Boolean(
        string="Accepts E-mails",
        copy=False,
        help="The contact agreed to receive follow-up e-mails.",
    )
    followup_email_consent_date = fields.Datetime(string="E-mail Consent Date", copy=False)
    followup_email_consent_source = fields.Selection(
        CONSENT_SOURCES, string="E-mail Consent Source", copy=False
    )
    followup_sms_consent = fields.Boolean(
        string="Accepts SMS",
        copy=False,
        help="The contact agreed to receive follow-up text messages.",
    )
    followup_sms_consent_date = fields.Datetime(string="SMS Consent Date", copy=False)
    followup_sms_consent_source = fields.Selection(CONSENT_SOURCES, string="SMS Consent Source", copy=False)

    followup_dunning_plan_id = fields.Many2one(
        "followup.dunning.plan",
        string="Dunning Plan",
        company_dependent=True,
        help="The plan that chases this customer's unpaid invoices; empty: the company's default plan.",
    )
    followup_dunning_excluded = fields.Boolean(
        string="Excluded from Dunning", help="This customer's invoices are never chased."
    )
    followup_dunning_ids = fields.One2many("followup.dunning", "partner_id", string="Dunnings")
    followup_dunning_action_count = fields.Integer(
        string="Dunning Actions", compute="_compute_followup_dunning_action_count"
    )
    followup_dunning_todo_count = fields.Integer(
        string="Dunning Actions to Do",
        compute="_compute_followup_dunning_todo_count",
        help="The manual dunning actions of this customer waiting for you.",
    )

    @api.depends_context("uid")
    def _compute_followup_dunning_action_count(self):
        counts = dict(
            self.env["followup.dunning.action"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.followup_dunning_action_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("uid")
    def _compute_followup_dunning_todo_count(self):
        counts = dict(
            self.env["followup.dunning.action"]._read_group(
                self._followup_dunning_todo_domain(self.commercial_partner_id), ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.followup_dunning_todo_count = counts.get(partner.commercial_partner_id, 0)

    def _followup_dunning_todo_domain(self, partners):
        return [
            ("partner_id", "in", partners.ids),
            ("state", "=", "to_do"),
            ("is_automatic", "=", False),
            ("user_id", "=", self.env.uid),
        ]

    def action_open_followup_dunning_todo(self):
        """The customer's manual dunning actions waiting for the current
        user, to validate or ignore from the customer."""
        action = self.action_open_followup_dunning_actions()
        action["domain"] = self._followup_dunning_todo_domain(self.commercial_partner_id)
        return action

    def action_open_followup_dunning_actions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_followup.followup_dunning_action_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    def _followup_has_consent(self, channel):
        self.ensure_one()
        return self[f"followup_{channel}_consent"]

    @api.model
    def _followup_stamp_consent(self, vals):
        """Date every consent change and say where it came from."""
        for channel in CONSENT_CHANNELS:
            if f"followup_{channel}_consent" in vals:
                vals.setdefault(f"followup_{channel}_consent_date", fields.Datetime.now())
                vals.setdefault(f"followup_{channel}_consent_source", "user")
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if any(vals.get(f"followup_{channel}_consent") for channel in CONSENT_CHANNELS):
                self._followup_stamp_consent(vals)
        return super().create(vals_list)

    def write(self, vals):
        return super().write(self._followup_stamp_consent(dict(vals)))
