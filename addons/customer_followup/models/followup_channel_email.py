from odoo import Command, api, fields, models


class FollowupChannelEmail(models.AbstractModel):
    """E-mail: the normalised address, Odoo's mail blacklist, a mail.mail
    and its notification per message, sent by Odoo's mail queue."""

    _name = "followup.channel.email"
    _inherit = "followup.channel"
    _description = "Follow-up Channel: E-mail"

    def _template(self, dispatch):
        return dispatch.mail_template_id

    def _recipient_address(self, dispatch):
        partner = dispatch.partner_id
        if not partner.email:
            return "no_email", False, False
        if not partner.email_normalized:
            return "invalid_email", partner.email, False
        return False, False, partner.email_normalized

    @api.model
    def _blacklisted(self, addresses):
        if not addresses:
            return set()
        blacklist = self.env["mail.blacklist"].sudo()
        return set(blacklist.search_fetch([("email", "in", list(addresses))], ["email"]).mapped("email"))

    def _send(self, dispatches, addresses):
        outcomes = {}
        mail_vals, sent = [], []
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for template, by_template in dispatches.grouped("mail_template_id").items():
            for same_model in by_template.grouped("res_model").values():
                fnames = ("subject", "body_html", "email_from") + (("reply_to",) if template.reply_to else ())
                values, errors = self._render_batch(same_model, template, fnames)
                for dispatch, error in errors.items():
                    outcomes[dispatch] = dispatch._failure_vals("render_error", error)
                # computed here for the whole batch, mail.message would do it once per message
                reply_tos = self._source_reply_tos(same_model)
                for dispatch in same_model:
                    if dispatch in errors:
                        continue
                    rendered = values[dispatch]
                    email_from = (
                        rendered["email_from"]
                        or dispatch.company_id.email_formatted
                        or self.env.user.email_formatted
                    )
                    mail_vals.append(
                        {
                            **self._message_base_vals(dispatch),
                            "message_type": "comment",
                            "subtype_id": subtype_id,
                            "subject": rendered["subject"],
                            "body": rendered["body_html"],
                            "body_html": rendered["body_html"],
                            "email_from": email_from,
                            "reply_to": rendered.get("reply_to")
                            or reply_tos.get(dispatch.res_id)
                            or email_from,
                            "recipient_ids": [Command.link(dispatch.partner_id.id)],
                            "attachment_ids": [Command.link(aid) for aid in template.attachment_ids.ids],
                            "auto_delete": template.auto_delete,
                            "mail_server_id": template.mail_server_id.id,
                            "is_notification": True,
                            "state": "outgoing",
                        }
                    )
                    sent.append(dispatch)
        if not sent:
            return outcomes
        mails = self.env["mail.mail"].sudo().create(mail_vals)
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": mail.author_id.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "res_partner_id": dispatch.partner_id.id,
                    "notification_type": "email",
                    "mail_mail_id": mail.id,
                    "is_read": True,
                    "notification_status": "ready",
                }
                for dispatch, mail in zip(sent, mails, strict=True)
            ]
        )
        now = fields.Datetime.now()
        for dispatch, mail in zip(sent, mails, strict=True):
            outcomes[dispatch] = dispatch._sent_vals(
                now,
                addresses[dispatch.id],
                mail_message_id=mail.mail_message_id.id,
                mail_mail_id=mail.id,
            )
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return outcomes

    @api.model
    def _source_reply_tos(self, dispatches):
        """Reply-to address of each source record of ``dispatches`` (one model)."""
        records = self.env[dispatches[:1].res_model].browse(set(dispatches.mapped("res_id")))
        if not hasattr(records, "_notify_get_reply_to"):
            return {}
        return records._notify_get_reply_to(default=False)

    def _retry_delivery(self, dispatches):
        mails = dispatches.mail_mail_id.sudo().exists().filtered(lambda m: m.state == "exception")
        mails.mark_outgoing()
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .search([("mail_mail_id", "in", mails.ids), ("notification_status", "=", "exception")])
        )
        notifications.write({"notification_status": "ready", "failure_type": False, "failure_reason": False})
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        # a message Odoo deleted cannot be handed back: plan it again
        return dispatches.filtered(lambda d: d.mail_mail_id not in mails)
