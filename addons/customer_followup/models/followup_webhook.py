import hashlib
import hmac
import json
import logging
import threading
from datetime import timedelta

import requests

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

STATES = [("pending", "To Send"), ("sent", "Sent"), ("failed", "Failed")]
TIMEOUT = 5
RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
CRON_XMLID = "customer_followup.ir_cron_followup_webhook_post"


class FollowupWebhook(models.Model):
    """One call to an outside tool's webhook: a JSON body signed with
    HMAC-SHA256, posted by a cron (never inside the request or the batch
    that caused it) with a timeout, tried again with a growing delay, its
    failure recorded. The features queue their calls with ``_queue``."""

    _name = "followup.webhook"
    _description = "Follow-up Webhook Call"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char("Event", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda self: self.env.company
    )
    url = fields.Char("URL", required=True, readonly=True)
    secret = fields.Char(readonly=True, groups="base.group_system", copy=False)
    payload = fields.Text(required=True, readonly=True)
    state = fields.Selection(
        STATES, string="Status", required=True, default="pending", readonly=True, index=True
    )
    attempt_count = fields.Integer("Attempts", readonly=True)
    error_message = fields.Text(readonly=True)
    response_code = fields.Integer("HTTP Status", readonly=True)
    date_next = fields.Datetime("Next Try", readonly=True, default=fields.Datetime.now, index=True)
    date_sent = fields.Datetime("Sent On", readonly=True)
    res_model = fields.Char("Source Model", readonly=True)
    res_id = fields.Many2oneReference("Source Record ID", model_field="res_model", readonly=True)
    origin_model = fields.Char(readonly=True)
    origin_id = fields.Many2oneReference("Origin Record ID", model_field="origin_model", readonly=True)

    @api.model
    def _queue(self, vals_list):
        """Queue calls; each value dict has name, url, secret and ``body``
        (what to send, JSON-serialisable), plus the optional source and
        origin. The cron posts them after this transaction."""
        calls = self.sudo().create(
            [
                {
                    **{key: value for key, value in vals.items() if key != "body"},
                    "payload": json.dumps(vals["body"], sort_keys=True, default=str),
                }
                for vals in vals_list
            ]
        )
        if calls:
            self._wake(fields.Datetime.now())
        return calls

    def action_retry(self):
        self.filtered(lambda call: call.state == "failed").write(
            {"state": "pending", "attempt_count": 0, "date_next": fields.Datetime.now()}
        )
        self._wake(fields.Datetime.now())

    @api.model
    def _wake(self, at):
        cron = self.env.ref(CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    @api.model
    def _signature(self, secret, body):
        return "sha256=" + hmac.new((secret or "").encode(), body, hashlib.sha256).hexdigest()

    @api.model
    def _cron_post_due(self, limit=100, auto_commit=None):
        """Post the due calls, each on its own: one that fails or times out
        is tried again later and does not hold the others."""
        if auto_commit is None:
            auto_commit = not getattr(threading.current_thread(), "testing", False)
        timeout = float(
            self.env["ir.config_parameter"].sudo().get_param("customer_followup.webhook_timeout", TIMEOUT)
        )
        due = self.sudo().search(
            [("state", "=", "pending"), ("date_next", "<=", fields.Datetime.now())],
            limit=limit,
            order="date_next, id",
        )
        for call in due:
            call._post(timeout)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        following = self.sudo().search([("state", "=", "pending")], order="date_next", limit=1)
        if following:
            self._wake(max(following.date_next, fields.Datetime.now()))

    def _post(self, timeout):
        self.ensure_one()
        body = self.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Odoo customer_followup",
            "X-Followup-Event": self.name,
            "X-Followup-Signature": self._signature(self.sudo().secret, body),
        }
        attempts = self.attempt_count + 1
        try:
            response = requests.post(self.url, data=body, headers=headers, timeout=timeout)
            response.raise_for_status()
        except requests.RequestException as error:
            final = attempts > len(RETRY_DELAYS)
            _logger.info("Webhook call %s to %s failed (attempt %s): %s", self.id, self.url, attempts, error)
            self.write(
                {
                    "state": "failed" if final else "pending",
                    "attempt_count": attempts,
                    "error_message": str(error),
                    "response_code": error.response.status_code if error.response is not None else False,
                    "date_next": False if final else fields.Datetime.now() + RETRY_DELAYS[attempts - 1],
                }
            )
            return
        self.write(
            {
                "state": "sent",
                "attempt_count": attempts,
                "error_message": False,
                "response_code": response.status_code,
                "date_next": False,
                "date_sent": fields.Datetime.now(),
            }
        )
