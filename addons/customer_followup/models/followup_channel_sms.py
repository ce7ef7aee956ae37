from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext, plaintext2html

from odoo.addons.phone_validation.tools import phone_validation


class FollowupChannelSms(models.AbstractModel):
    """SMS: the number in E.164, Odoo's phone blacklist, an sms.sms, its
    tracker and notification per message, sent by Odoo's SMS queue."""

    _name = "followup.channel.sms"
    _inherit = "followup.channel"
    _description = "Follow-up Channel: SMS"

    def _template(self, dispatch):
        return dispatch.sms_template_id

    def _recipient_address(self, dispatch):
        number = dispatch.partner_id.mobile or dispatch.partner_id.phone
        if not number:
            return "no_phone", False, False
        try:
            return False, False, self._format_e164(dispatch, number)
        except UserError as error:
            return "invalid_phone", str(error), False

    @api.model
    def _format_e164(self, dispatch, number):
        """``number`` as E.164, read in the recipient's country (else the
        company's); raise a UserError saying why it is not a valid number."""
        country = dispatch.partner_id.country_id or dispatch.company_id.country_id
        return phone_validation.phone_format(
            number,
            country.code,
            country.phone_code,
            force_format="E164",
            raise_exception=True,
        )

    @api.model
    def _blacklisted(self, addresses):
        if not addresses:
            return set()
        blacklist = self.env["phone.blacklist"].sudo()
        return set(blacklist.search_fetch([("number", "in", list(addresses))], ["number"]).mapped("number"))

    def _send(self, dispatches, addresses):
        outcomes = {}
        message_vals, sent = [], []
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        bodies = {}
        for template, by_template in dispatches.grouped("sms_template_id").items():
            for same_model in by_template.grouped("res_model").values():
                values, errors = self._render_batch(same_model, template, ("body",))
                shown_on = self._message_records(same_model)
                for dispatch, error in errors.items():
                    outcomes[dispatch] = dispatch._failure_vals("render_error", error)
                for dispatch in same_model:
                    if dispatch in errors:
                        continue
                    body = html2plaintext(values[dispatch]["body"] or "")
                    bodies[dispatch] = body
                    message_vals.append(
                        {
                            **self._message_base_vals(dispatch, shown_on.get(dispatch)),
                            "message_type": "sms",
                            "subtype_id": subtype_id,
                            "reply_to": False,
                            "body": plaintext2html(body),
                        }
                    )
                    sent.append(dispatch)
                # the SMS's links are tracked, the chatter copy keeps the original
                tracked = self._tracked(same_model)
                bodies.update(self._track_text({d: b for d, b in bodies.items() if d in tracked}))
        if not sent:
            return outcomes
        messages = self._create_messages(message_vals)
        sms_records = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "body": bodies[dispatch],
                        "number": addresses[dispatch.id],
                        "partner_id": dispatch.partner_id.id,
                        "mail_message_id": message.id,
                        "state": "outgoing",
                    }
                    for dispatch, message in zip(sent, messages, strict=True)
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": vals["author_id"],
                    "mail_message_id": message.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                }
                for vals, message, sms in zip(message_vals, messages, sms_records, strict=True)
            ]
        )
        now = fields.Datetime.now()
        for dispatch, message, sms in zip(sent, messages, sms_records, strict=True):
            outcomes[dispatch] = dispatch._sent_vals(
                now,
                addresses[dispatch.id],
                mail_message_id=message.id,
                sms_id=sms.id,
            )
        self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        return outcomes

    def _retry_delivery(self, dispatches):
        sms_records = (
            dispatches.sms_id.sudo().exists().filtered(lambda s: s.state == "error" and not s.to_delete)
        )
        # Odoo's own transition: the SMS and its notification go back to the queue
        sms_records.action_set_outgoing()
        self.env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()
        return dispatches.filtered(lambda d: d.sms_id not in sms_records)
