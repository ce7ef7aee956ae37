from email.message import EmailMessage

from odoo import fields, models, tools

from ..tools import mime


class MailMail(models.Model):
    """The outbox's e-mails leave through Odoo's mail queue (its cron, its
    grouping per mail server and its SMTP session), but are delivered by the
    e-mail channel in batch: Odoo's own e-mails keep Odoo's path."""

    _inherit = "mail.mail"

    is_followup = fields.Boolean(
        string="Follow-up E-mail", readonly=True, help="Planned and rendered by the follow-up outbox."
    )
    failure_type = fields.Selection(
        selection_add=[("mail_too_big", "Message too big")], ondelete={"mail_too_big": "set null"}
    )

    def _send(  # noqa: PLR0917 (Odoo's signature)
        self,
        auto_commit=False,
        raise_exception=False,
        smtp_session=None,
        alias_domain_id=False,
        mail_server=False,
        post_send_callback=None,
    ):
        outbox_mails = self.filtered("is_followup")
        if outbox_mails:
            self.env["followup.channel.email"]._deliver(
                outbox_mails,
                smtp_session=smtp_session,
                alias_domain_id=alias_domain_id,
                mail_server=mail_server,
                auto_commit=auto_commit,
            )
            if post_send_callback:
                post_send_callback(outbox_mails.ids)
        others = self - outbox_mails
        if not others:
            return True
        return super(MailMail, others)._send(
            auto_commit=auto_commit,
            raise_exception=raise_exception,
            smtp_session=smtp_session,
            alias_domain_id=alias_domain_id,
            mail_server=mail_server,
            post_send_callback=post_send_callback,
        )

    def _followup_envelopes(self, alias_domain_id, mail_server, smtp_session):
        """What to hand the SMTP server for each of these e-mails: Odoo's
        recipients, bodies and attachments (``_prepare_outgoing_list``),
        Odoo's envelope and From rules for this session and alias domain
        (``ir.mail_server._prepare_email_message``: bounce address,
        from_filter, X-Forge-To), and the MIME message composed directly
        (see ``tools.mime``), or by Odoo's builder when it is not alike.

        :return: [(mail id, envelope sender, envelope recipients, MIME bytes
            or ``EmailMessage``)], and {mail id: (failure type, reason)} for
            the e-mails that cannot be sent
        """
        # one read per model for the whole batch, not one per e-mail
        self.recipient_ids.mapped("email")
        self.record_alias_domain_id.mapped("bounce_email")
        self.attachment_ids.sudo().read(["name", "raw", "mimetype", "file_size", "res_model", "res_id"])
        IrMailServer = self.env["ir.mail_server"]
        Channel = self.env["followup.channel.email"]
        alias_domain = self.env["mail.alias.domain"].sudo().browse(alias_domain_id)
        # Odoo's defaults, read once: sending reads nothing from the database,
        # since the commit after each e-mail empties the ORM cache
        default_bounce = IrMailServer._get_default_bounce_address()
        default_from = alias_domain.default_from_email or IrMailServer._get_default_from_address()
        envelopes, failed = [], {}
        for mail in self:
            emails_from = tools.mail.email_split_and_format(mail.email_from)
            email_from = emails_from[0] if emails_from else mail.email_from
            try:
                for email in mail._prepare_outgoing_list(mail_server=mail_server or mail.mail_server_id):
                    server = IrMailServer.with_context(
                        send_validated_to=email.pop("email_to_normalized", []),
                        domain_notifications_email=default_from,
                        # the order of Odoo's _prepare_email_message, resolved now
                        domain_bounce_address=email["headers"].get("Return-Path")
                        or alias_domain.bounce_email
                        or default_bounce
                        or email_from,
                    )
                    message = mime.headers_message(email_from, email)
                    if message is None:
                        message = self._followup_odoo_message(server, email_from, email)
                    smtp_from, smtp_to_list, message = server._prepare_email_message(message, smtp_session)
                    if not isinstance(message, EmailMessage):
                        message = mime.compose(message, email)
                    envelopes.append((mail.id, smtp_from, smtp_to_list, message))
            except Exception as error:  # a broken e-mail fails alone
                failed[mail.id] = Channel._delivery_failure(error)
        return envelopes, failed

    def _followup_odoo_message(self, server, email_from, email):
        """The e-mail as Odoo's queue builds it, for those ``tools.mime`` leaves."""
        return server.build_email(
            email_from=email_from,
            email_to=email["email_to"],
            subject=email["subject"],
            body=email["body"],
            body_alternative=email["body_alternative"],
            email_cc=email["email_cc"],
            reply_to=email["reply_to"],
            attachments=email["attachments"],
            message_id=email["message_id"],
            references=email["references"],
            object_id=email["object_id"],
            subtype="html",
            subtype_alternative="plain",
            headers=email["headers"],
        )
