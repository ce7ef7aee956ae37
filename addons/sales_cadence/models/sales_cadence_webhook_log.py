import hmac
import secrets
from datetime import timedelta

from odoo import api, fields, models

RATE_LIMIT = 60  # calls per minute and company


class SalesCadenceWebhookLog(models.Model):
    """One call of the inbound webhook, kept for who wants to know what an
    outside tool did to a lead, and to limit the calls per minute."""

    _name = "sales.cadence.webhook.log"
    _description = "Cadence Webhook Call"
    _order = "id desc"

    date = fields.Datetime("Received On", default=fields.Datetime.now, readonly=True, index=True)
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    action = fields.Char(readonly=True)
    status = fields.Integer(readonly=True)
    message = fields.Char(readonly=True)
    lead_id = fields.Many2one("crm.lead", readonly=True, ondelete="set null")

    @api.model
    def _company_of(self, token):
        """The company whose webhook token is ``token``, compared in constant time."""
        if not token:
            return self.env["res.company"]
        companies = self.env["res.company"].sudo().search([("cadence_webhook_token", "!=", False)])
        return companies.filtered(lambda c: hmac.compare_digest(c.cadence_webhook_token, token))[:1]

    @api.model
    def _is_rate_limited(self, company):
        limit = int(
            self.env["ir.config_parameter"].sudo().get_param("sales_cadence.webhook_rate_limit", RATE_LIMIT)
        )
        since = fields.Datetime.now() - timedelta(minutes=1)
        return self.search_count([("company_id", "=", company.id), ("date", ">=", since)]) >= limit

    @api.model
    def _record(self, company, action, status, message, lead=None):
        self.create(
            {
                "company_id": company and company.id,
                "action": (action or "")[:64],
                "status": status,
                "message": message,
                "lead_id": lead and lead.id,
            }
        )

    @api.model
    def _new_token(self):
        return secrets.token_urlsafe(32)
