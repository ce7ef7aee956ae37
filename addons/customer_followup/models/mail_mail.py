from odoo import fields, models, tools


class MailMail(models.Model):
    """The outbox's e-mails leave through Odoo's mail queue (its cron, its
    grouping per mail server and its SMTP session), but are delivered by the
    e-mail channel in batch: Odoo's own e-mails keep Odoo's path."""

    _inherit = "mail.mail"

    is_followup = fields.Boolean(
        string="Follow-up E-mail", readonly=True, help="Planned and rendered by the follow-up outbox."
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

    def _followup_build_messages(self, alias_domain_id, mail_server):
        """The MIME messages of these e-mails, built as Odoo's queue builds
        them, from one read of the batch.

        :return: [(mail id, ir.mail_server to send with, message, mail
            server id)], and {mail id: (failure type, reason)} for the e-mails
            that could not be built
        """
        # one read per model for the whole batch, not one per e-mail
        self.recipient_ids.mapped("email")
        self.record_alias_domain_id.mapped("bounce_email")
        self.attachment_ids.sudo().read(["name", "raw", "mimetype", "file_size", "res_model", "res_id"])
        IrMailServer = self.env["ir.mail_server"]
        alias_domain = self.env["mail.alias.domain"].sudo().browse(alias_domain_id)
        # Odoo's defaults, read once: sending reads nothing from the database,
        # since the commit after each e-mail empties the ORM cache
        default_bounce = IrMailServer._get_default_bounce_address()
        default_from = alias_domain.default_from_email or IrMailServer._get_default_from_address()
        messages, failed = [], {}
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
                    message = server.build_email(
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
                    messages.append((mail.id, server, message, mail.mail_server_id.id))
            except Exception as error:  # a broken e-mail fails alone
                failed[mail.id] = ("unknown", str(error) or repr(error))
        return messages, failed
