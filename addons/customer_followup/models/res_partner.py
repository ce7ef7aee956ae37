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
