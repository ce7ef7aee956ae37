"""A real SMTP server on 127.0.0.1 for the delivery tests and the benchmark:
it records what it accepts, can refuse addresses and can go away after a
number of messages."""

import logging
import multiprocessing
import socket
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

# aiosmtpd logs every connection at INFO
logging.getLogger("mail.log").setLevel(logging.WARNING)


class Recorder:
    """aiosmtpd handler: keeps every accepted message."""

    def __init__(self, refuse=(), vanish_after=None, pipelining=False):
        self.messages = []
        self.refuse = {address.lower() for address in refuse}
        self.vanish_after = vanish_after
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        return ehlo(session, hostname, responses, self.pipelining)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.vanish_after is not None and len(self.messages) >= self.vanish_after:
            server.transport.close()
            return "421 Going away"
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.content, policy=policy.SMTP),
            }
        )
        return "250 Message accepted"


def ehlo(session, hostname, responses, pipelining):
    """aiosmtpd answers pipelined commands in order but does not say so:
    offer PIPELINING, as Postfix, Exim, Gmail or Amazon SES do."""
    session.host_name = hostname
    if pipelining:
        responses.insert(-1, "250-PIPELINING")
    return responses


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp_server(handler, **smtp_options):
    """Start an SMTP server on 127.0.0.1 with ``handler`` (and aiosmtpd's
    ``smtp_options``, e.g. ``data_size_limit``); return its controller."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    return controller


def _serve(port, received, stop, pipelining):
    controller = Controller(Counter(received, pipelining), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait()
    controller.stop()


class Counter:
    """aiosmtpd handler that only counts what it accepts, in a shared value."""

    def __init__(self, received, pipelining):
        self.received = received
        self.pipelining = pipelining

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        return ehlo(session, hostname, responses, self.pipelining)

    async def handle_DATA(self, server, session, envelope):
        with self.received.get_lock():
            self.received.value += 1
        return "250 Message accepted"


class SmtpProcess:
    """An SMTP server on 127.0.0.1 in its own process, so that it does not
    share the sender's interpreter: ``received`` counts what it accepted;
    ``pipelining`` offers PIPELINING, as most mail servers do."""

    def __init__(self, pipelining=True):
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self._received = context.Value("i", 0)
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve, args=(self.port, self._received, self._stop, pipelining)
        )

    @property
    def received(self):
        return self._received.value

    def start(self):
        self._process.start()
        for _attempt in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("The SMTP server did not start")

    def stop(self):
        self._stop.set()
        self._process.join(10)
