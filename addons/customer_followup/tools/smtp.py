"""One e-mail on an SMTP session in two round trips, when the server offers
PIPELINING (RFC 2920), as Postfix, Exim, Gmail and Amazon SES do.

``smtplib.SMTP.sendmail`` waits for the server after MAIL, after each RCPT,
after DATA and after the message: on a busy or distant server these waits
are most of an e-mail's delivery. With PIPELINING the envelope (MAIL, RCPT,
DATA) is written at once and its replies read together, then the message.
Same outcomes and exceptions as ``sendmail``.
"""

import contextlib
import re
import smtplib

# the class itself: Odoo's tests stand in for smtplib.SMTP with objects of their own
from smtplib import SMTP

LEADING_DOT = re.compile(rb"(?m)^\.")
CRLF = b"\r\n"


def pipelining_session(session):
    """The ``smtplib.SMTP`` of ``session`` (Odoo wraps it in an
    ``SMTPConnection``) when its server offers PIPELINING, else None."""
    smtp = getattr(session, "__obj__", session)
    if not isinstance(smtp, SMTP):
        return None
    smtp.ehlo_or_helo_if_needed()  # the server says what it offers
    return smtp if smtp.does_esmtp and smtp.has_extn("pipelining") else None


def send_pipelined(session, smtp_from, smtp_to_list, message):
    """Send ``message`` (MIME bytes) as ``session.sendmail`` would, on an
    ``smtplib.SMTP`` from ``pipelining_session``.

    :return: {address: (code, reply)} of the recipients the server refused
        while it took the others
    """
    size = f" SIZE={len(message)}" if session.has_extn("size") else ""
    envelope = [f"MAIL FROM:{smtplib.quoteaddr(smtp_from)}{size}"]
    envelope += [f"RCPT TO:{smtplib.quoteaddr(address)}" for address in smtp_to_list]
    session.send(("\r\n".join([*envelope, "DATA"]) + "\r\n").encode("ascii"))
    mail_code, mail_reply = session.getreply()
    refused = {}
    for address in smtp_to_list:
        code, reply = session.getreply()
        if code not in (250, 251):
            refused[address] = (code, reply)
    data_code, data_reply = session.getreply()
    if data_code == 354 and (mail_code != 250 or len(refused) == len(smtp_to_list)):
        # the server took DATA for a refused envelope: end it empty
        session.send(b"." + CRLF)
        session.getreply()
    if mail_code != 250:
        _abort(session, mail_code)
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, smtp_from)
    if len(refused) == len(smtp_to_list):
        _abort(session, data_code)
        raise smtplib.SMTPRecipientsRefused(refused)
    if data_code != 354:
        _abort(session, data_code)
        raise smtplib.SMTPDataError(data_code, data_reply)
    data = LEADING_DOT.sub(b"..", message)
    if not data.endswith(CRLF):
        data += CRLF
    session.send(data + b"." + CRLF)
    code, reply = session.getreply()
    if code != 250:
        _abort(session, code)
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _abort(session, code):
    """Ready the session for the next e-mail, or close it when the server is
    going away (421), as ``sendmail`` does."""
    if code == 421:
        session.close()
        return
    # a server already gone is found so by the next e-mail
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        session.rset()
