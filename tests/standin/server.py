"""Threaded HTTPS server (stdlib http.server + ssl) in front of a StandinApp."""

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from .wire import Request

SOCKET_TIMEOUT = 30


class Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into a stand-in Request and writes the Response back."""

    protocol_version = "HTTP/1.1"
    server_version = "authentik-standin"
    sys_version = ""
    timeout = SOCKET_TIMEOUT
    # Headers and body leave in one segment; otherwise Nagle + delayed ACK add 40 ms per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        bound_host, bound_port = self.server.server_address[:2]
        host = self.headers.get("Host") or f"{bound_host}:{bound_port}"
        request = Request(
            method=self.command,
            path=unquote(split.path),
            query_string=split.query,
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
            host=host,
            remote_addr=self.client_address[0],
        )
        response = self.server.app.handle(request)
        self.send_response(response.status)
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format, *args):  # noqa: A002 - signature of the overridden method
        """Quiet: the app keeps its own request log (/_standin/requests)."""


class StandinServer(ThreadingHTTPServer):
    """ThreadingHTTPServer whose accepted sockets speak TLS (handshake in the worker thread)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, context: ssl.SSLContext):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.context = context
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = super().get_request()
        # do_handshake_on_connect=False: a slow client cannot stall the accept loop.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        """Broken connections (TLS errors, resets) are the client's business, not a crash."""


def serve_in_thread(server: StandinServer) -> threading.Thread:
    """Run serve_forever in a daemon thread."""
    thread = threading.Thread(target=server.serve_forever, name="authentik-standin", daemon=True)
    thread.start()
    return thread
