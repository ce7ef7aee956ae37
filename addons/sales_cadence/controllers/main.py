import json

from odoo import SUPERUSER_ID, http
from odoo.http import request
from odoo.tools import consteq

ACTIONS = ("convert", "disqualify")


class CadenceWebhook(http.Controller):
    """Disqualify or convert a lead from outside Odoo (seed: "Webhook"), with
    the company's token; the lead leaves its cadences. Every call is logged,
    and answered in JSON: 200, or 401 (token), 400 (payload), 404 (lead),
    429 (too many calls)."""

    @http.route(
        "/sales_cadence/webhook/<string:action>", type="http", auth="public", methods=["POST"], csrf=False
    )
    def webhook(self, action, **_kwargs):
        Log = request.env["sales.cadence.webhook.log"].sudo()
        token = request.httprequest.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        company = Log._company_of(token)
        if not company:
            return self._answer(None, action, 401, "Unknown or missing token.")
        if Log._is_rate_limited(company):
            return self._answer(company, action, 429, "Too many calls: try again in a minute.")
        if action not in ACTIONS:
            return self._answer(company, action, 400, f"Unknown action {action!r}: use one of {ACTIONS}.")
        try:
            payload = json.loads(request.httprequest.get_data() or b"{}")
            lead_id = int(payload["lead_id"])
        except (ValueError, TypeError, KeyError):
            return self._answer(company, action, 400, 'The body must be JSON with an integer "lead_id".')
        # done by OdooBot, as Odoo's own automated actions are: the chatter says so
        lead = (
            request.env["crm.lead"]
            .with_user(SUPERUSER_ID)
            .sudo()
            .with_company(company)
            .browse(lead_id)
            .exists()
        )
        if not lead or lead.company_id not in (company, request.env["res.company"]):
            return self._answer(company, action, 404, f"No lead {lead_id} in this company.")
        message = lead._cadence_webhook(action, payload)
        return self._answer(company, action, 200, message, lead)

    def _answer(self, company, action, status, message, lead=None):
        Log = request.env["sales.cadence.webhook.log"].sudo()
        Log._record(company, action, status, message, lead)
        # what the change implies is computed now, as superuser: Odoo's flush at
        # the end of the request would run as the public user
        Log.env.flush_all()
        body = {"status": "ok", "message": message} if status == 200 else {"error": message}
        return request.make_json_response(body, status=status)


class CadenceUnsubscribe(http.Controller):
    """The link at the end of a cadence's automatic e-mails: a page that asks
    to confirm (mail scanners open links, a GET changes nothing), then the
    address stops receiving e-mails. Mail clients' one-click button (RFC
    8058) posts to the same address."""

    @http.route(
        "/sales_cadence/unsubscribe/<int:dispatch_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,  # the signed link is the proof, as for a mail client's one-click POST
    )
    def unsubscribe(self, dispatch_id, token, **_kwargs):
        Task = request.env["sales.cadence.task"].sudo()
        dispatch = request.env["followup.dispatch"].sudo().browse(dispatch_id).exists()
        if (
            not dispatch
            or dispatch.origin_model != "sales.cadence.task"
            or not consteq(token, Task._unsubscribe_token(dispatch))
        ):
            raise request.not_found()
        values = {"email": dispatch.address, "company": dispatch.company_id, "done": False}
        if request.httprequest.method == "POST":
            Task._unsubscribe(dispatch)
            values["done"] = True
        return request.render("sales_cadence.unsubscribe_page", values)
