import logging
import smtplib
from collections import defaultdict

from markupsafe import Markup

from odoo import Command, api, fields, models, modules
from odoo.tools import split_every
from odoo.tools.mail import append_content_to_html

from ..tools.smtp import pipelining_session, send_pipelined
from .bulk_write import create_rows

_logger = logging.getLogger(__name__)

# E-mails read and built together, then sent one by one: Odoo's queue hands
# over up to its batch size (1,000 by default) per run, in one chunk.
DELIVERY_CHUNK = 1000


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
        message_vals, mail_vals, sent = [], [], []
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for template, by_template in dispatches.grouped("mail_template_id").items():
            for same_model in by_template.grouped("res_model").values():
                fnames = ("subject", "body_html", "email_from") + (("reply_to",) if template.reply_to else ())
                values, errors = self._render_batch(same_model, template, fnames)
                for dispatch, error in errors.items():
                    outcomes[dispatch] = dispatch._failure_vals("render_error", error)
                # computed here for the whole batch, mail.message would do it once per message
                shown_on = self._message_records(same_model)
                reply_tos = self._reply_tos(same_model, shown_on)
                attachments = self._origin_attachments(same_model)
                unsubscribe_urls = self._origin_unsubscribe_urls(same_model)
                # the e-mail's links and pixel are tracked, the chatter copy keeps the original
                tracked_bodies = self._track_html(
                    {
                        dispatch: values[dispatch]["body_html"]
                        for dispatch in self._tracked(same_model)
                        if dispatch not in errors
                    }
                )
                for dispatch in same_model:
                    if dispatch in errors:
                        continue
                    rendered = values[dispatch]
                    email_from = (
                        rendered["email_from"]
                        or dispatch.company_id.email_formatted
                        or self.env.user.email_formatted
                    )
                    message_vals.append(
                        {
                            **self._message_base_vals(dispatch, shown_on.get(dispatch)),
                            "message_type": "comment",
                            "subtype_id": subtype_id,
                            "subject": rendered["subject"],
                            "body": rendered["body_html"],
                            "email_from": email_from,
                            "reply_to": rendered.get("reply_to") or reply_tos.get(dispatch) or email_from,
                            "attachment_ids": [
                                Command.link(aid)
                                for aid in template.attachment_ids.ids + attachments.get(dispatch, [])
                            ],
                            "mail_server_id": template.mail_server_id.id,
                        }
                    )
                    mail_vals.append(
                        {
                            **self._unsubscribe_vals(
                                dispatch,
                                tracked_bodies.get(dispatch, rendered["body_html"]),
                                unsubscribe_urls.get(dispatch),
                            ),
                            "recipient_ids": [Command.link(dispatch.partner_id.id)],
                            "auto_delete": template.auto_delete,
                            "is_notification": True,
                            "is_followup": True,
                            "state": "outgoing",
                        }
                    )
                    sent.append(dispatch)
        if not sent:
            return outcomes
        # the chatter messages, their e-mails and notifications, each created
        # in a few INSERTs: the ORM would create them one by one
        messages = self._create_messages(message_vals)
        mails = create_rows(
            self.env["mail.mail"].sudo(),
            [
                {**vals, "mail_message_id": message.id}
                for vals, message in zip(mail_vals, messages, strict=True)
            ],
        )
        create_rows(
            self.env["mail.notification"].sudo(),
            [
                {
                    "author_id": vals["author_id"],
                    "mail_message_id": message.id,
                    "res_partner_id": dispatch.partner_id.id,
                    "notification_type": "email",
                    "mail_mail_id": mail.id,
                    "is_read": True,
                    "notification_status": "ready",
                }
                for dispatch, vals, message, mail in zip(sent, message_vals, messages, mails, strict=True)
            ],
        )
        now = fields.Datetime.now()
        for dispatch, message, mail in zip(sent, messages, mails, strict=True):
            outcomes[dispatch] = dispatch._sent_vals(
                now,
                addresses[dispatch.id],
                mail_message_id=message.id,
                mail_mail_id=mail.id,
            )
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return outcomes

    @api.model
    def _reply_tos(self, dispatches, shown_on):
        """{dispatch: reply-to}: replies go to the thread that shows the message."""
        threads = {
            dispatch: (record._name, record.id) if record else (dispatch.res_model, dispatch.res_id)
            for dispatch in dispatches
            for record in [shown_on.get(dispatch)]
        }
        ids_by_model = defaultdict(set)
        for model, res_id in threads.values():
            ids_by_model[model].add(res_id)
        reply_tos = {}
        for model, ids in ids_by_model.items():
            records = self.env[model].browse(ids)
            if hasattr(records, "_notify_get_reply_to"):
                for res_id, reply_to in records._notify_get_reply_to(default=False).items():
                    reply_tos[model, res_id] = reply_to
        return {dispatch: reply_tos.get(thread) for dispatch, thread in threads.items()}

    @api.model
    def _origin_attachments(self, dispatches):
        """{dispatch: attachment ids} its origin adds to the template's own,
        e.g. the PDFs of the invoices a dunning e-mail lists: the origin
        model's hook ``_followup_attachment_ids(dispatches)``."""
        return self._ask_origins(dispatches, "_followup_attachment_ids")

    @api.model
    def _origin_unsubscribe_urls(self, dispatches):
        """{dispatch: URL} where the recipient stops these messages, from the
        origin model's hook ``_followup_unsubscribe_urls(dispatches)``, e.g.
        a cadence's automatic e-mails."""
        return self._ask_origins(dispatches, "_followup_unsubscribe_urls")

    @api.model
    def _unsubscribe_vals(self, dispatch, body, url):
        """The e-mail's body and headers: with an unsubscribe ``url``, a link
        at the end of the body (the chatter copy keeps none) and the headers
        of RFC 2369 and 8058, with which mail clients offer one-click
        unsubscription."""
        if not url:
            return {"body_html": body}
        label = self.with_context(lang=dispatch.partner_id.lang).env._("Unsubscribe from these e-mails")
        link = Markup('<p style="font-size: 12px; color: #888888;"><a href="%s">%s</a></p>') % (url, label)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return {"body_html": append_content_to_html(body, link, plaintext=False), "headers": repr(headers)}

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

    # ------------------------------------------------------------
    # DELIVERY: Odoo's mail queue hands the outbox's e-mails back here
    # ------------------------------------------------------------

    @api.model
    def _deliver(self, mails, smtp_session=None, alias_domain_id=False, mail_server=False, auto_commit=False):
        """Deliver ``mails``, which Odoo's queue grouped by mail server and
        sender, through its one ``smtp_session``, a chunk at a time: the
        chunk is read at once, its MIME messages are made from the rendered
        values (``mail.mail._followup_envelopes``), sent, and its outcomes
        written in a few queries.

        Exactly once: outside tests, each e-mail the server accepted is marked
        sent and committed, in one statement, before the next one leaves, as
        Odoo's queue does; a server that goes away mid-batch leaves the rest
        queued for the next run.
        """
        Mail = self.env["mail.mail"].sudo()
        for chunk_ids in split_every(DELIVERY_CHUNK, mails.ids):
            # browsed alone, the chunk prefetches itself only
            chunk = Mail.browse(chunk_ids).filtered(lambda mail: mail.state == "outgoing")
            envelopes, failed = chunk._followup_envelopes(alias_domain_id, mail_server, smtp_session)
            sent_ids, lost = [], False
            for mail_id, smtp_from, smtp_to_list, message in envelopes:
                if mail_id in failed:
                    continue
                try:
                    self._smtp_send(smtp_session, smtp_from, smtp_to_list, message)
                except (smtplib.SMTPException, ConnectionError) as error:
                    if self._session_lost(error):
                        _logger.info(
                            "SMTP server gone after %s e-mails, the rest stay queued: %s",
                            len(sent_ids),
                            error,
                        )
                        lost = True
                        break
                    failed[mail_id] = self._delivery_failure(error)
                    continue
                sent_ids.append(mail_id)
                if auto_commit:
                    self._commit_sent(mail_id)
            self._record_delivery(Mail.browse(sent_ids), {Mail.browse(i): f for i, f in failed.items()})
            _logger.info("Follow-up e-mails: %s delivered, %s failed", len(sent_ids), len(failed))
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if lost:
                break

    @api.model
    def _smtp_send(self, smtp_session, smtp_from, smtp_to_list, message):
        """Hand one e-mail to the SMTP server, as ``ir.mail_server.send_email``
        does (nothing leaves in test mode), in two round trips when the server
        offers PIPELINING; ``message`` is MIME bytes, or an ``EmailMessage``
        made by Odoo's builder."""
        if modules.module.current_test:
            return
        pipelining = isinstance(message, bytes) and pipelining_session(smtp_session)
        if pipelining:
            send_pipelined(pipelining, smtp_from, smtp_to_list, message)
        elif isinstance(message, bytes):
            smtp_session.sendmail(smtp_from, smtp_to_list, message, mail_options=())
        else:
            smtp_session.send_message(message, smtp_from, smtp_to_list)

    @api.model
    def _commit_sent(self, mail_id):
        """Mark an e-mail the server accepted as sent, durably, before the
        next one leaves: a crash never sends it twice. One statement and the
        connection's own commit: Odoo's ``cr.commit()`` would also empty the
        ORM cache, and the next e-mails would be read again one by one.
        Nothing else is pending here, and the batch's outcomes are written,
        with a full commit, after the chunk."""
        self.env.cr.execute("UPDATE mail_mail SET state = 'sent' WHERE id = %s", [mail_id])
        self.env.cr._cnx.commit()  # pylint: disable=invalid-commit

    @api.model
    def _session_lost(self, error):
        """Whether the SMTP session cannot go on (the rest of the batch then
        stays queued): a closed connection or a 421 reply; any other answer
        is about one e-mail, which fails alone."""
        return isinstance(error, (smtplib.SMTPServerDisconnected, ConnectionError)) or (
            getattr(error, "smtp_code", None) == 421
        )

    @api.model
    def _delivery_failure(self, error):
        """(Odoo failure type, reason) of an e-mail that could not be sent:
        the SMTP server's own answer when it refused it."""
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            refused = error.recipients.items()
            return "mail_email_invalid", "; ".join(
                f"{address}: {code} {self._smtp_text(text)}" for address, (code, text) in refused
            )
        if isinstance(error, smtplib.SMTPResponseException):
            reason = f"{error.smtp_code} {self._smtp_text(error.smtp_error)}"
            if error.smtp_code == 552:  # exceeded storage allocation: the message is too big
                return "mail_too_big", reason
            if isinstance(error, smtplib.SMTPSenderRefused):
                return "mail_from_invalid", reason
            return "unknown", reason
        if isinstance(error, AssertionError):
            # Odoo's checks before sending (no valid recipient, sender...)
            return "mail_email_invalid", str(error.args[-1]) if error.args else repr(error)
        return "unknown", str(error) or repr(error)

    @api.model
    def _smtp_text(self, text):
        return text.decode(errors="replace") if isinstance(text, bytes) else str(text)

    @api.model
    def _record_delivery(self, sent, failed):
        """Write what became of a batch: the e-mails, their notifications
        (which move the outbox rows to delivered or failed), and delete the
        sent ones that asked for it."""
        Mail = self.env["mail.mail"].sudo()
        failed_mails = Mail.browse([mail.id for mail in failed])
        Notification = self.env["mail.notification"].sudo()
        notifications = Notification.search(
            [
                ("notification_type", "=", "email"),
                ("mail_mail_id", "in", (sent | failed_mails).ids),
                ("notification_status", "not in", ("sent", "canceled")),
            ]
        )
        # e-mails a killed worker marked sent without recording the rest
        interrupted = Notification.search(
            [
                ("notification_status", "=", "ready"),
                ("mail_mail_id.state", "=", "sent"),
                ("mail_mail_id.is_followup", "=", True),
            ]
        )
        notifications |= interrupted
        sent |= interrupted.mail_mail_id
        if sent:
            sent.invalidate_recordset(["state"])
            sent.sudo().write({"state": "sent", "failure_reason": False})
            notifications.filtered(lambda n: n.mail_mail_id in sent).write(
                {"notification_status": "sent", "failure_type": False, "failure_reason": False}
            )
        by_failure = defaultdict(list)
        for mail, failure in failed.items():
            by_failure[failure].append(mail.id)
        for (failure_type, reason), mail_ids in by_failure.items():
            mails = Mail.browse(mail_ids)
            mails.write({"state": "exception", "failure_type": failure_type, "failure_reason": reason})
            notifications.filtered(lambda n, mails=mails: n.mail_mail_id in mails).write(
                {"notification_status": "exception", "failure_type": failure_type, "failure_reason": reason}
            )
        if failed:
            failed_mails.mail_message_id._notify_message_notification_update()
        sent.filtered("auto_delete").sudo().unlink()
