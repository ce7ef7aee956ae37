from collections import defaultdict

from odoo import Command, api, models


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
    def _message_base_vals(self, dispatch, record=None):
        """The chatter message of ``dispatch`` on ``record``, by default its source record."""
        return {
            "model": record._name if record else dispatch.res_model,
            "res_id": record.id if record else dispatch.res_id,
            "author_id": self.env.user.partner_id.id,
            "partner_ids": [Command.link(dispatch.partner_id.id)],
        }
