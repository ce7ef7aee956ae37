import base64

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

# a transparent 1x1 GIF
PIXEL = base64.b64decode(b"R0lGODlhAQABAIAAANvf7wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


class FollowupTracking(http.Controller):
    """The links and the pixel of the outbox's tracked messages: the
    recipient's clicks and opening, signed per message, reach the message's
    origin (``followup.dispatch._track_engagement``). A bad signature still
    gets its page or image, but counts for nothing."""

    def _dispatch(self, dispatch_id, token):
        dispatch = request.env["followup.dispatch"].sudo().browse(dispatch_id).exists()
        if dispatch._check_tracking_token(token) and not request.env["ir.http"].is_a_bot():
            return dispatch
        return dispatch.browse()

    @http.route("/followup/track/<int:dispatch_id>/<string:token>/blank.gif", type="http", auth="public")
    def track_open(self, dispatch_id, token, **kwargs):
        self._dispatch(dispatch_id, token)._track_engagement("opened")
        return request.make_response(PIXEL, [("Content-Type", "image/gif"), ("Cache-Control", "no-store")])

    @http.route("/r/<string:code>/f/<int:dispatch_id>/<string:token>", type="http", auth="public")
    def track_click(self, code, dispatch_id, token, **kwargs):
        dispatch = self._dispatch(dispatch_id, token)
        if dispatch:
            request.env["link.tracker.click"].sudo().add_click(
                code,
                ip=request.httprequest.remote_addr,
                country_code=request.geoip.country_code,
                followup_dispatch_id=dispatch.id,
            )
            dispatch._track_engagement("clicked")
        url = request.env["link.tracker"].sudo().get_url_from_code(code)
        if not url:
            raise NotFound()
        return request.redirect(url, code=301, local=False)
