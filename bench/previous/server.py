"""The exporter's server until the switch to cheroot (issue 19), kept for `make bench` only:
the same endpoints on the standard library's socketserver and our own HTTP/1.1 reader.

HTTP endpoints: ``/metrics`` (cached dataset part + live self-metrics), ``/``, ``/healthz``,
``/readyz``. One thread per connection, GET and HEAD only, standard library only.

Hardening (the port faces an untrusted network): at most ``MAX_CONNECTIONS`` connections are
served at once (more wait in the listen backlog); the request line and headers are bounded
and must arrive within ``READ_TIMEOUT`` in total (exporter.httpd), so a slow or silent client
gives its thread up; optional TLS and basic auth come from ``--web.config.file``
(exporter.webconfig).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from bench.previous.httpd import ClientGone, Connection, HTTPError, Request, ResponseHead
from exporter import __version__
from exporter.config import parse_listen
from exporter.exposition import OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE
from exporter.server import Endpoints, readiness, wants_gzip, wants_openmetrics
from exporter.webconfig import BasicAuth, WebSecurity

log = logging.getLogger(__name__)

READ_TIMEOUT = 10.0  # seconds for a whole request line + headers, and for an idle keep-alive
WRITE_TIMEOUT = 30.0  # seconds to send one response
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS handshake
MAX_CONNECTIONS = 64  # connections served at once; more wait in the listen backlog
ALLOW = "GET, HEAD"
TEXT = "text/plain; charset=utf-8"


class Handler(socketserver.BaseRequestHandler):
    """One connection: requests are read and answered in turn until either side closes."""

    read_timeout = READ_TIMEOUT
    write_timeout = WRITE_TIMEOUT
    endpoints: Endpoints  # set on the subclass built per server
    auth: BasicAuth | None = None  # set on the subclass when basic_auth_users is configured
    response_head = ResponseHead(f"openrouter-exporter/{__version__}")
    server: Server

    def setup(self) -> None:
        # A response can leave in several writes (TLS blocks, partial sends): with Nagle's
        # algorithm a last small one waits for the client's delayed ACK, 40 ms a scrape.
        with contextlib.suppress(OSError):  # not TCP (a test's socketpair)
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = Connection(self.request)

    def handle(self) -> None:
        while True:
            try:
                req = self.conn.read_request(self.read_timeout)
            except HTTPError as e:
                body = f"{e.status.value} {e.status.phrase}: {e}\n".encode()
                self._send(e.status, [("Content-Type", TEXT)], [body], close=True)
                return
            except ClientGone as e:
                log.debug("%s: %s", self.client_address[0], e)
                return
            if req is None:
                return
            # A body is never read, so it must not be parsed as the next request; idle
            # keep-alives must not hold the slots of a crowded server.
            close = not req.keep_alive or req.has_body or self.server.crowded
            try:
                if not self._respond(req, close):
                    return
            except OSError:
                raise  # the connection failed mid-answer: nothing more can be sent on it
            except Exception:  # a bug must cost one answer, never the connection's silence
                log.exception("error answering %s %s", req.method, req.path)
                self._send(500, [("Content-Type", TEXT)], [b"internal error\n"], close=True)
                return

    def _respond(self, req: Request, close: bool) -> bool:
        """Answers one request; False when the connection is to be closed."""
        if req.method not in ("GET", "HEAD"):
            self._send(
                HTTPStatus.METHOD_NOT_ALLOWED,
                [("Allow", ALLOW), ("Content-Length", "0")],
                [],
                close=True,  # its body, if any, is never read
            )
            return False
        head = req.method == "HEAD"
        if self.auth is not None and not self.auth.check(req.headers.get("authorization")):
            challenge = 'Basic realm="openrouter-exporter", charset="UTF-8"'
            headers = [("WWW-Authenticate", challenge), ("Content-Type", TEXT)]
            self._send(401, headers, [b"401 Unauthorized\n"], close, head)
            return not close
        e = self.endpoints
        path = req.path
        gz = False
        if path == e.telemetry_path:
            om = wants_openmetrics(req.header("accept"))
            gz = wants_gzip(req.header("accept-encoding"))
            status, ctype = 200, OPENMETRICS_CONTENT_TYPE if om else TEXT_CONTENT_TYPE
            rendered = e.cache.current
            body = rendered.parts(gz, e.self_metrics.recent(om, rendered.created))
        elif path == "/":
            status, ctype, body = 200, "text/html; charset=utf-8", [e.page()]
        elif path == "/healthz":
            status, ctype, body = 200, TEXT, [b"ok\n"]
        elif path == "/readyz":
            status, text = readiness(e)
            ctype, body = TEXT, [text]
        else:
            status, ctype, body = 404, TEXT, [b"not found\n"]
        headers = [("Content-Type", ctype)]
        if gz:
            headers.append(("Content-Encoding", "gzip"))
        headers += [("Vary", "Accept, Accept-Encoding"), ("X-Content-Type-Options", "nosniff")]
        self._send(status, headers, body, close, head)
        return not close

    def _send(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: Sequence[bytes],
        close: bool,
        head: bool = False,
    ) -> None:
        size = sum(len(b) for b in body)
        if not any(k == "Content-Length" for k, _ in headers):
            headers.insert(1, ("Content-Length", str(size)))
        first = self.response_head.build(status, headers, close)
        if head or not body:
            self.conn.send([first], self.write_timeout)
        elif size < 65536:  # a small answer leaves in one write
            self.conn.send([first + b"".join(body)], self.write_timeout)
        else:
            self.conn.send([first, *body], self.write_timeout)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """One thread per connection, at most ``max_connections`` at once.

    The accept loop waits for a free slot before it accepts the next connection, so a burst
    queues in the kernel's listen backlog (``request_queue_size``) instead of spawning a
    thread each; a slot is held through the TLS handshake and the whole connection. While
    half the slots are in use, responses close their connection instead of keeping it alive.
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    max_connections = MAX_CONNECTIONS

    def __init__(
        self, address: tuple[str, int], endpoints: Endpoints, web: WebSecurity | None = None
    ) -> None:
        web = web or WebSecurity()
        self.ssl_context = web.ssl_context
        auth = BasicAuth(web.users) if web.users else None
        handler = type("BoundHandler", (Handler,), {"endpoints": endpoints, "auth": auth})
        self._slots = threading.Semaphore(self.max_connections)
        self._active_lock = threading.Lock()
        self.active = 0
        self._closing = False
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    @property
    def crowded(self) -> bool:
        return self.active * 2 >= self.max_connections

    def process_request(self, request: Any, client_address: Any) -> None:
        while not self._slots.acquire(timeout=0.2):
            if self._closing:
                self.shutdown_request(request)
                return
        with self._active_lock:
            self.active += 1
        try:
            super().process_request(request, client_address)  # starts the thread
        except BaseException:
            self._release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def _release(self) -> None:
        with self._active_lock:
            self.active -= 1
        self._slots.release()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        # The handshake runs here, in the connection's own thread, under a timeout: a client
        # that stalls it blocks nobody else.
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as e:  # ssl.SSLError and TimeoutError are OSErrors
            log.debug("TLS handshake with %s failed: %s", client_address[0], e)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            self.shutdown_request(tls)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints a traceback to stderr for every reset connection.
        log.debug("connection from %s ended with an error", client_address[0], exc_info=True)

    def shutdown(self) -> None:
        self._closing = True
        super().shutdown()


def start(address: str, endpoints: Endpoints, web: WebSecurity | None = None) -> Server:
    server = Server(parse_listen(address), endpoints, web)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
