"""A webhook receiver on 127.0.0.1 for the tests: it records what it gets
and answers with the status (or after the delay) the test chose."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        if self.server.delay:
            time.sleep(self.server.delay)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_receiver(case):
    """Start a receiver for the test class ``case``, stopped after it;
    ``case.receiver_url`` is where it listens."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.status, server.delay = [], 200, 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    case.addClassCleanup(server.server_close)
    case.addClassCleanup(server.shutdown)
    case.receiver = server
    case.receiver_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return server
