"""The MIME bytes of the outbox's e-mails, composed from values already
rendered.

Odoo's ``ir.mail_server.build_email`` makes an ``EmailMessage`` whose every
header is parsed again by Python's email package, then flattened: about 4 ms
an e-mail, more than the rest of the delivery together. The outbox's e-mails
are always alike (a plain-text and an HTML version, maybe attachments), so
they are written out directly: the same headers and parts, as ASCII bytes
with CRLF line ends, ready for ``smtplib.SMTP.sendmail``. An e-mail that is
not alike (a non-ASCII address, a line break in a header, a template header
replacing one of the message's own) is left to Odoo's builder.
"""

import binascii
import datetime
import uuid
from base64 import encodebytes
from email.header import Header
from email.message import Message
from email.utils import encode_rfc2231, format_datetime, formataddr, getaddresses

ADDRESS_HEADERS = {"from", "to", "cc", "reply-to"}
# what build_email sets itself, and the parts' own headers
OWN_HEADERS = ADDRESS_HEADERS | {
    "message-id",
    "references",
    "subject",
    "bcc",
    "date",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def headers_message(email_from, email):
    """The headers ``build_email`` would set, in its order, on a bare
    message: what ``ir.mail_server._prepare_email_message`` reads and
    adjusts (envelope, From rewriting, X-Forge-To), at no parsing cost.

    :return: ``email.message.Message`` without body, or None when the e-mail
        is not one ``compose`` makes (Odoo's builder takes it then)
    """
    values = [
        ("Message-Id", email["message_id"]),
        ("References", email["references"]),
        ("Subject", email["subject"] or ""),
        ("From", email_from),
        ("Reply-To", email["reply_to"] or email_from),
        ("To", ", ".join(email["email_to"])),
        ("Cc", ", ".join(email["email_cc"])),
        ("Date", format_datetime(datetime.datetime.now(datetime.timezone.utc))),
        *email["headers"].items(),
    ]
    if not email_from or not email["message_id"]:
        return None
    if any(name.lower() in OWN_HEADERS for name in email["headers"]):
        return None
    message = Message()
    for name, raw in values:
        if raw in (False, None) or (raw == "" and name != "Subject"):
            continue
        value = str(raw)
        if "\n" in value or "\r" in value:
            return None
        if name.lower() in ADDRESS_HEADERS and not _ascii_addresses(value):
            return None
        message[name] = value
    return message


def compose(message, email):
    """The MIME bytes of ``email`` with the headers of ``message`` (made by
    ``headers_message``, then adjusted for sending): multipart/alternative
    (plain text, HTML), inside multipart/mixed with the attachments."""
    texts = [_text_part("plain", email["body_alternative"] or ""), _text_part("html", email["body"] or "")]
    content = _multipart("alternative", texts)
    if email["attachments"]:
        attachments = [_attachment_part(*attachment) for attachment in email["attachments"]]
        content = _multipart("mixed", [content, *attachments])
    head = "".join(
        f"{name}: {_encode_header(name, value)}\n" for name, value in message.items() if name != "Bcc"
    )
    return (head + "MIME-Version: 1.0\n" + content).replace("\n", "\r\n").encode("ascii")


def _ascii_addresses(value):
    return value.isascii() or all(address.isascii() for _name, address in getaddresses([value]))


def _encode_header(name, value):
    if value.isascii() and len(name) + len(value) < 990:
        return value
    if name.lower() in ADDRESS_HEADERS:
        return ",\n ".join(formataddr(pair, "utf-8") for pair in getaddresses([value]))
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, header_name=name).encode(linesep="\n")


def _text_part(subtype, text):
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    payload = binascii.b2a_qp(text.encode(), istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\n'
        f"Content-Transfer-Encoding: quoted-printable\n\n{payload}"
    )


def _attachment_part(name, content, mimetype):
    mimetype = mimetype if mimetype and "/" in mimetype else "application/octet-stream"
    if name.isascii() and not any(char in name for char in '"\\\n\r'):
        filename = f'filename="{name}"'
    else:
        filename = f"filename*={encode_rfc2231(name, 'utf-8')}"
    payload = encodebytes(content.encode() if isinstance(content, str) else content).decode("ascii")
    return (
        f"Content-Type: {mimetype}\nContent-Transfer-Encoding: base64\n"
        f"Content-Disposition: attachment; {filename}\n\n{payload}"
    )


def _multipart(subtype, parts):
    # "=_" cannot occur at a line start in quoted-printable ("=" is "=3D")
    # nor in base64: no part can end the multipart early
    boundary = f"=_{uuid.uuid4().hex}"
    body = "".join(f"--{boundary}\n{part}\n" for part in parts)
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{body}--{boundary}--\n'
