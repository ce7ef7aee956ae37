import re
from collections import defaultdict
from html import unescape
from operator import itemgetter

import lxml.html
from markupsafe import Markup

from odoo import Command, api, models
from odoo.tools import groupby
from odoo.tools.mail import TEXT_URL_REGEX, URL_SKIP_PROTOCOL_REGEX, is_html_empty

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels
from odoo.addons.mail.models.mail_message import _image_dataurl

from .bulk_write import create_rows


class FollowupChannel(models.AbstractModel):
    """One way of reaching a customer, in one place: where a message can go
    (address and blacklist), how it is rendered and handed to Odoo's queue,
    and how a failed delivery is tried again. The outbox calls the channel
    named by a row's ``channel``, ``followup.channel.<channel>``; a new
    channel adds its value to ``followup.dispatch.channel`` and its model
    here, without touching the others.

    Delivery is followed for every channel through ``mail.notification``:
    see ``followup.dispatch._track_notifications``.
    """

    _name = "followup.channel"
    _description = "Follow-up Channel"

    def _template(self, dispatch):
        """The template ``dispatch`` is rendered with."""
        raise NotImplementedError

    def _recipient_address(self, dispatch):
        """(skip reason, detail, address): where ``dispatch`` can go, or why not."""
        raise NotImplementedError

    @api.model
    def _blacklisted(self, addresses):
        """The addresses of ``addresses`` that must not be written to."""
        return set()

    def _send(self, dispatches, addresses):
        """Render ``dispatches`` and hand them to Odoo's queue.

        :param addresses: {dispatch id: address}
        :return: {dispatch: values to write}
        """
        raise NotImplementedError

    def _retry_delivery(self, dispatches):
        """Hand the messages of ``dispatches``, whose delivery failed, back
        to Odoo's queue."""
        raise NotImplementedError

    # ------------------------------------------------------------
    # RENDERING, shared by the channels that use templates
    # ------------------------------------------------------------

    @api.model
    def _render(self, template, field, res_ids):
        """Render ``field`` of ``template`` for ``res_ids``; a batch that
        fails is rendered record by record to find which ones fail."""
        try:
            with self.env.cr.savepoint():
                batch = template.with_context(followup_batch_render=True)
                return batch._render_field(field, res_ids, compute_lang=True), {}
        except Exception:  # any template error is the user's to fix, not a crash
            rendered, errors = {}, {}
            for res_id in res_ids:
                try:
                    with self.env.cr.savepoint():
                        rendered.update(template._render_field(field, [res_id], compute_lang=True))
                except Exception as error:
                    errors[res_id] = str(error) or repr(error)
            return rendered, errors

    @api.model
    def _render_batch(self, dispatches, template, fnames):
        """{dispatch: {field: value}} and {dispatch: error} for
        ``dispatches``, all sharing ``template`` and a source model."""
        res_ids = list(set(dispatches.mapped("res_id")))
        values, errors = defaultdict(dict), {}
        model = dispatches[:1].res_model
        if template.model != model:
            error = self.env._(
                "Template %(template)s is for %(template_model)s, not %(model)s.",
                template=template.display_name,
                template_model=template.model,
                model=model,
            )
            return values, dict.fromkeys(dispatches, error)
        for fname in fnames:
            rendered, field_errors = self._render(template, fname, res_ids)
            for dispatch in dispatches:
                if dispatch.res_id in field_errors:
                    errors.setdefault(dispatch, field_errors[dispatch.res_id])
                else:
                    values[dispatch][fname] = rendered.get(dispatch.res_id)
        return values, errors

    @api.model
    def _message_records(self, dispatches):
        """{dispatch: record} whose chatter shows the message of each of
        ``dispatches``, for the origins that say so (``_followup_message_records``);
        the others are shown on their source record."""
        return self._ask_origins(dispatches, "_followup_message_records")

    @api.model
    def _ask_origins(self, dispatches, hook):
        """{dispatch: value} from the origin models of ``dispatches`` that
        have the method ``hook(dispatches)``; the others say nothing."""
        answers = {}
        for origin_model, by_origin in dispatches.grouped("origin_model").items():
            origin = by_origin._origin_model(origin_model)
            if origin is not None and hasattr(origin, hook):
                answers.update(getattr(origin, hook)(by_origin))
        return answers

    @api.model
    def _create_messages(self, message_vals):
        """The chatter messages of a batch, inserted together (``create_rows``)
        with what ``mail.message.create`` adds to each: its Message-Id and
        the name of its record. A body with embedded images goes through
        ``mail.message.create``, which turns them into attachments."""
        Message = self.env["mail.message"].sudo()
        names = {}
        for model, vals_list in groupby(message_vals, itemgetter("model")):
            records = self.env[model].sudo().browse({vals["res_id"] for vals in vals_list})
            names.update({(model, record.id): record.display_name for record in records})
        for vals in message_vals:
            vals.update(
                message_id=Message._get_message_id(vals), record_name=names[vals["model"], vals["res_id"]]
            )
        images = [bool(_image_dataurl.search(vals.get("body") or "")) for vals in message_vals]
        plain = [vals for vals, image in zip(message_vals, images, strict=True) if not image]
        embedded = [vals for vals, image in zip(message_vals, images, strict=True) if image]
        created = {False: iter(create_rows(Message, plain)), True: iter(Message.create(embedded))}
        return Message.concat(*(next(created[image]) for image in images))

    @api.model
    def _message_base_vals(self, dispatch, record=None):
        """The chatter message of ``dispatch`` on ``record``, by default its source record."""
        return {
            "model": record._name if record else dispatch.res_model,
            "res_id": record.id if record else dispatch.res_id,
            "author_id": self.env.user.partner_id.id,
            "partner_ids": [Command.link(dispatch.partner_id.id)],
        }

    # ------------------------------------------------------------
    # ENGAGEMENT: short links and opening, for the origins that track them
    # ------------------------------------------------------------

    @api.model
    def _tracked(self, dispatches):
        """The rows of ``dispatches`` whose origin tracks their opening and
        clicks (hook ``_followup_track_engagement``)."""
        return {
            dispatch
            for dispatch, track in self._ask_origins(dispatches, "_followup_track_engagement").items()
            if track
        }

    @api.model
    def _link_trackers(self, vals_list):
        """One ``link.tracker`` per {url, label} of ``vals_list``, found or
        created for a whole batch at once; the title is given, so that
        creating one never fetches the page."""
        if not vals_list:
            return iter(())
        # the same few links in every message of a batch: each is looked up once
        keys = [(vals["url"], vals.get("label") or "") for vals in vals_list]
        unique = list(dict.fromkeys(keys))
        trackers = (
            self.env["link.tracker"]
            .sudo()
            .search_or_create([{"url": url, "label": label, "title": label or url} for url, label in unique])
        )
        by_key = dict(zip(unique, trackers, strict=True))
        return iter([by_key[key] for key in keys])

    @api.model
    def _track_html(self, bodies):
        """{dispatch: html} from ``bodies`` with every web link turned into a
        short link of link_tracker signed for its row (its clicks count for
        it), and an opening pixel at the end."""
        if not bodies:
            return {}
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        parsed, vals_list = {}, []
        for dispatch, html in bodies.items():
            if not html or is_html_empty(html):
                continue
            root = lxml.html.fromstring(html)
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root, base_url, skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}", skip_prefix=f"{base_url}/r/"
            )
            if nodes:
                parsed[dispatch] = (root, nodes)
                vals_list += urls_and_labels
        trackers = self._link_trackers(vals_list)
        tracked = {}
        for dispatch, html in bodies.items():
            body = Markup(html or "")  # rendered by the template: HTML already
            if dispatch in parsed:
                root, nodes = parsed[dispatch]
                for node in nodes:
                    node.set("href", dispatch._tracked_url(next(trackers)))
                body = Markup(lxml.html.tostring(root, encoding="unicode", method="xml"))
            pixel = Markup('<img src="%s" alt="" width="1" height="1" border="0"/>') % dispatch._pixel_url()
            tracked[dispatch] = Markup("%s%s") % (body, pixel)
        return tracked

    @api.model
    def _track_text(self, bodies):
        """{dispatch: text} from ``bodies`` with every web link turned into
        a short link signed for its row, as Odoo's SMS marketing does."""
        if not bodies:
            return {}
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        found, vals_list = {}, []
        for dispatch, body in bodies.items():
            urls = [
                url
                for url in dict.fromkeys(re.findall(TEXT_URL_REGEX, body or ""))
                if not url.startswith(f"{base_url}/r/")
            ]
            found[dispatch] = urls
            vals_list += [{"url": unescape(url)} for url in urls]
        trackers = self._link_trackers(vals_list)
        tracked = {}
        for dispatch, body in bodies.items():
            text = body
            for url in found[dispatch]:
                # the whole link only, not the start of a longer one
                short = dispatch._tracked_url(next(trackers))
                text = re.sub(
                    re.escape(url) + r"(?![\w@:%.+&~#=/-])", lambda _match, short=short: short, text
                )
            tracked[dispatch] = text
        return tracked
