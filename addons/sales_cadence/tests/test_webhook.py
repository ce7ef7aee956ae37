import json

from odoo.tests import HttpCase, tagged

from .common import CadenceCase


@tagged("post_install", "-at_install")
class TestInboundWebhook(CadenceCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.company.action_cadence_new_webhook_token()
        self.token = self.company.cadence_webhook_token
        self.lead = self._leads(1, type="lead")
        self.enrollment, _already = self.cadence._enroll(self.lead)

    def _call(self, action, payload, token=None):
        response = self.url_open(
            f"/sales_cadence/webhook/{action}",
            data=payload if isinstance(payload, (str, bytes)) else json.dumps(payload),
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        return response.status_code, response.json()

    def test_convert_stops_the_cadence(self):
        status, body = self._call("convert", {"lead_id": self.lead.id})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.lead.type, "opportunity")
        self.assertEqual(self.enrollment.state, "stopped")

    def test_disqualify_with_a_reason(self):
        reason = self.env["crm.lost.reason"].create({"name": "No budget"})
        status, _body = self._call("disqualify", {"lead_id": self.lead.id, "reason": "no budget"})
        self.assertEqual(status, 200)
        self.assertFalse(self.lead.active)
        self.assertEqual(self.lead.lost_reason_id, reason)
        self.assertEqual(self.enrollment.state, "stopped")

    def test_bad_token_bad_payload_unknown_lead(self):
        self.assertEqual(self._call("convert", {"lead_id": self.lead.id}, token="wrong")[0], 401)
        status, body = self._call("convert", "not json")
        self.assertEqual((status, "lead_id" in body["error"]), (400, True))
        self.assertEqual(self._call("convert", {"lead": 1})[0], 400)
        self.assertEqual(self._call("promote", {"lead_id": self.lead.id})[0], 400)
        self.assertEqual(self._call("convert", {"lead_id": 999999999})[0], 404)
        self.assertEqual(self.enrollment.state, "active", "nothing happened to the lead")
        logs = self.env["sales.cadence.webhook.log"].search([], limit=5)
        self.assertEqual(sorted(logs.mapped("status")), [400, 400, 400, 401, 404])

    def test_a_new_token_refuses_the_old_one(self):
        old = self.token
        self.company.action_cadence_new_webhook_token()
        self.assertEqual(self._call("convert", {"lead_id": self.lead.id}, token=old)[0], 401)

    def test_lead_of_another_company_is_unknown(self):
        other = self.env["res.company"].create({"name": "Other company"})
        self.lead.write({"company_id": other.id, "user_id": False})
        self.assertEqual(self._call("convert", {"lead_id": self.lead.id})[0], 404)

    def test_rate_limit(self):
        self.env["ir.config_parameter"].set_param("sales_cadence.webhook_rate_limit", "2")
        self.assertEqual(self._call("convert", {"lead_id": 999999999})[0], 404)
        self.assertEqual(self._call("convert", {"lead_id": 999999999})[0], 404)
        self.assertEqual(self._call("convert", {"lead_id": self.lead.id})[0], 429)
        self.assertEqual(self.lead.type, "lead")
