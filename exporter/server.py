"""HTTP endpoints: ``/metrics`` (cached dataset part + live self-metrics), ``/``, ``/healthz``,
``/readyz``. Stdlib server, one thread per connection, GET and HEAD only.

Hardening (the port faces an untrusted network): at most ``MAX_CONNECTIONS`` connections are
served at once (more wait in the listen backlog); the request line and headers are bounded
and must arrive within ``READ_TIMEOUT`` in total, so a slow or silent client gives its
thread up; optional TLS and basic auth come from ``--web.config.file`` (exporter.webconfig).
"""

from __future__ import annotations

import contextlib
import html
import http.client
import io
import logging
import math
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from exporter import __version__
from exporter.collector import (
    OPENMETRICS_CONTENT_TYPE,
    TEXT_CONTENT_TYPE,
    ExpositionCache,
    self_exposition,
)
from exporter.config import parse_listen
from exporter.selfmetrics import SelfMetrics, ViewState, ViewStatus
from exporter.webconfig import BasicAuth, WebSecurity

log = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8192  # bytes; longer → 414 (the stdlib allows 64 KiB)
MAX_HEADER_LINE = 8192  # bytes per header line; longer → 431 (stdlib: 64 KiB)
MAX_HEADERS = 50  # more → 431 (stdlib: 100)
READ_TIMEOUT = 10.0  # seconds for a whole request line + headers, and for an idle keep-alive
WRITE_TIMEOUT = 30.0  # seconds to send one response (CPython: a total for sendall)
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS handshake
MAX_CONNECTIONS = 64  # connections served at once; more wait in the listen backlog
ALLOW = "GET, HEAD"


@dataclass
class Endpoints:
    """What the handlers read; every field is safe to read from any thread."""

    telemetry_path: str
    cache: ExpositionCache
    self_metrics: SelfMetrics
    statuses: Callable[[], list[ViewStatus]]
    has_data: Callable[[tuple[str, str]], bool]
    plan_text: Callable[[], str]
    budget: Callable[[], tuple[dict[str, int], dict[str, int]]]
    upstream: str
    page: Callable[[], bytes] | None = None  # the status page at /; None: the plain landing


def wants_openmetrics(accept: str) -> bool:
    return "application/openmetrics-text" in accept


def wants_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() not in ("gzip", "x-gzip"):
            continue
        q = 1.0
        for param in params:
            k, _, v = param.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


class _DeadlineIO(socket.SocketIO):
    """Socket reads that share one deadline: a client trickling a byte at a time runs out
    of time too (a per-recv timeout alone would let it hold a thread forever)."""

    deadline = math.inf

    def readinto(self, b: Any) -> int | None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("request not received in time")
        self._sock.settimeout(min(remaining, WRITE_TIMEOUT))  # type: ignore[attr-defined]
        return super().readinto(b)


class _BoundedHeaders:
    """What ``parse_request`` reads the headers through: tighter limits than the stdlib's,
    raised as the exceptions it already answers with 431."""

    def __init__(self, rfile: io.BufferedReader) -> None:
        self._rfile = rfile
        self._count = 0

    def readline(self, _limit: int = -1) -> bytes:
        line = self._rfile.readline(MAX_HEADER_LINE + 1)
        if len(line) > MAX_HEADER_LINE:
            raise http.client.LineTooLong("header line")
        if line not in (b"\r\n", b"\n", b""):
            self._count += 1
            if self._count > MAX_HEADERS:
                raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        return line


class Handler(BaseHTTPRequestHandler):
    server_version = f"openrouter-exporter/{__version__}"
    protocol_version = "HTTP/1.1"
    timeout = WRITE_TIMEOUT  # per response; reading a request has its own deadline
    read_timeout = READ_TIMEOUT
    endpoints: Endpoints  # set on the subclass built per server
    auth: BasicAuth | None = None  # set on the subclass when basic_auth_users is configured

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: with Nagle's algorithm the body waits for
        # the client's delayed ACK, 40 ms on every keep-alive scrape.
        with contextlib.suppress(OSError):  # not TCP (a test's socketpair)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile.close()  # the stdlib's reader, replaced by one that keeps a deadline
        self._io = _DeadlineIO(self.connection, "rb")
        self.connection._io_refs += 1  # type: ignore[attr-defined]  # as makefile() does
        self.rfile = io.BufferedReader(self._io)

    def handle_one_request(self) -> None:
        """The stdlib's, with a tighter request line bound, a deadline for the request
        head, 405 for every other method, and no keep-alive when the server is crowded."""
        self._io.deadline = time.monotonic() + self.read_timeout
        try:
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline = self.request_version = self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return  # an error was sent
            self._io.deadline = math.inf
            self.connection.settimeout(self.timeout)
            if getattr(self.server, "crowded", False):
                self.close_connection = True  # idle keep-alives must not hold the slots
            if self.command == "GET":
                self.do_GET()
            elif self.command == "HEAD":
                self.do_HEAD()
            else:
                self._refuse()
            self.wfile.flush()
        except TimeoutError:
            self.log_error("request timed out")
            self.close_connection = True

    def parse_request(self) -> bool:
        rfile = self.rfile
        self.rfile = _BoundedHeaders(rfile)  # type: ignore[assignment]
        try:
            return super().parse_request()
        finally:
            self.rfile = rfile

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        if (
            self.headers.get("Content-Length", "0").strip() != "0"
            or "Transfer-Encoding" in self.headers
        ):
            self.close_connection = True  # a body is never read: never parse it as a request
        if self.auth is not None and not self.auth.check(self.headers.get("Authorization")):
            self._unauthorized(head)
            return
        path = self.path.split("?", 1)[0]
        e = self.endpoints
        if path == e.telemetry_path:
            self._metrics(head)
        elif path == "/":
            page = e.page() if e.page is not None else self._landing().encode()
            self._send(200, "text/html; charset=utf-8", page, head)
        elif path == "/healthz":
            self._send(200, "text/plain; charset=utf-8", b"ok\n", head)
        elif path == "/readyz":
            waiting = [
                s
                for s in e.statuses()
                if not e.has_data((s.dataset, s.view)) and s.state is not ViewState.MISCONFIGURED
            ]
            missing = [f"{s.dataset}/{s.view}" for s in waiting]
            if missing:
                body = "not ready: no data yet for " + ", ".join(missing) + "\n"
                body += "".join(sorted({f"{s.error}\n" for s in waiting if s.error}))
                self._send(503, "text/plain; charset=utf-8", body.encode(), head)
            else:
                self._send(200, "text/plain; charset=utf-8", b"ready\n", head)
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", head)

    def _refuse(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", ALLOW)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")  # its body, if any, is never read
        self.end_headers()

    def _unauthorized(self, head: bool) -> None:
        body = b"401 Unauthorized\n"
        self.send_response(HTTPStatus.UNAUTHORIZED)
        self.send_header("WWW-Authenticate", 'Basic realm="openrouter-exporter", charset="UTF-8"')
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _metrics(self, head: bool) -> None:
        om = wants_openmetrics(self.headers.get("Accept", ""))
        gz = wants_gzip(self.headers.get("Accept-Encoding", ""))
        rendered = self.endpoints.cache.current  # one consistent snapshot set
        body = rendered.body(gz, self_exposition(self.endpoints.self_metrics.registry, om))
        self._send(200, OPENMETRICS_CONTENT_TYPE if om else TEXT_CONTENT_TYPE, body, head, gzip=gz)

    def _send(self, code: int, ctype: str, body: bytes, head: bool, gzip: bool = False) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if gzip:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept, Accept-Encoding")
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _landing(self) -> str:
        e = self.endpoints
        esc = html.escape
        limits, used = e.budget()
        rows = []
        for s in e.statuses():
            state = "ok" if s.up else ("not yet" if s.up is None else "failing")
            rows.append(
                f"<tr><td>{esc(s.dataset)}</td><td>{esc(s.view)}</td><td>{state}</td>"
                f"<td>{esc(s.error or '')}</td></tr>"
            )
        budget = ", ".join(f"{esc(w)}: {used.get(w, 0)}/{limits[w]}" for w in sorted(limits))
        return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>OpenRouter exporter</title></head>
<body>
<h1>OpenRouter exporter</h1>
<p>Version {esc(__version__)} &middot; upstream {esc(e.upstream)}</p>
<ul>
<li><a href="{esc(e.telemetry_path)}">Metrics</a></li>
<li><a href="/healthz">Health</a> &middot; <a href="/readyz">Readiness</a></li>
</ul>
<h2>Budget</h2><p>{budget}</p>
<h2>Views</h2>
<table border="1" cellpadding="3"><tr><th>dataset</th><th>view</th><th>state</th><th>error</th></tr>
{"".join(rows)}
</table>
<h2>Plan</h2><pre>{esc(e.plan_text())}</pre>
<p>Data: Source: OpenRouter (openrouter.ai/apps, openrouter.ai/rankings), CC BY 4.0.</p>
</body></html>
"""


class Server(ThreadingHTTPServer):
    """One thread per connection, at most ``max_connections`` at once.

    The accept loop waits for a free slot before it accepts the next connection, so a burst
    queues in the kernel's listen backlog (``request_queue_size``) instead of spawning a
    thread each; a slot is held through the TLS handshake and the whole connection. While
    half the slots are in use, responses close their connection instead of keeping it alive.
    """

    daemon_threads = True
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
