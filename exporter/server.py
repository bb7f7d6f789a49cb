"""HTTP endpoints: ``/metrics`` (cached dataset part + live self-metrics), ``/``, ``/healthz``,
``/readyz``, GET and HEAD only, on cheroot (CherryPy's HTTP server: a fixed pool of worker
threads, idle keep-alive connections in a selector, TLS).

Hardening (the port faces an untrusted network): at most ``MAX_CONNECTIONS`` connections are
served at once (more wait until a worker is free); the request line and headers are bounded
and must arrive within ``READ_TIMEOUT`` in total, a response leave within ``WRITE_TIMEOUT``
(exporter.httpd holds what cheroot does not); optional TLS and basic auth come from
``--web.config.file`` (exporter.webconfig).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from cheroot import server as cheroot

from exporter import __version__
from exporter.config import parse_listen
from exporter.exposition import OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE, ExpositionCache
from exporter.httpd import Connection, Deadlines, DeferredHandshake
from exporter.selfmetrics import SelfMetrics, ViewState, ViewStatus
from exporter.webconfig import BasicAuth, WebSecurity

log = logging.getLogger(__name__)

READ_TIMEOUT = 10.0  # seconds for a whole request line + headers, and for an idle keep-alive
WRITE_TIMEOUT = 30.0  # seconds to send one response
HANDSHAKE_TIMEOUT = 10.0  # seconds for a TLS handshake (in the connection's worker)
MAX_CONNECTIONS = 64  # connections served at once; more wait for a free worker
ALLOW = "GET, HEAD"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Endpoints:
    """What the handlers read; every field is safe to read from any thread."""

    telemetry_path: str
    cache: ExpositionCache
    self_metrics: SelfMetrics
    statuses: Callable[[], list[ViewStatus]]
    has_data: Callable[[tuple[str, str]], bool]
    page: Callable[[], bytes]  # the status page at /


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


def readiness(e: Endpoints) -> tuple[int, bytes]:
    """Ready means "can serve /metrics", which holds as long as the process serves: the last
    good data is loaded before the port opens. No data yet, a rejected key or no key are
    said in the body (and in view_up, on the page), never by taking the exporter out of a
    Service: Prometheus must keep scraping it for OpenRouterApiKeyInvalid to fire."""
    statuses = list(e.statuses())
    waiting = [
        s
        for s in statuses
        if not e.has_data((s.dataset, s.view)) and s.state is not ViewState.MISCONFIGURED
    ]
    if not waiting:
        return 200, b"ready\n"
    body = (
        f"ready: serving {e.telemetry_path}; no data yet for {len(waiting)} of "
        f"{len(statuses)} views: " + ", ".join(f"{s.dataset}/{s.view}" for s in waiting) + "\n"
    )
    body += "".join(sorted({f"{s.error}\n" for s in waiting if s.error}))
    return 200, body.encode()


Answer = tuple[int, list[tuple[str, str]], Sequence[bytes]]


def route(e: Endpoints, path: str, header: Callable[[bytes], str]) -> Answer:
    """Status, headers and body buffers of a GET to ``path``."""
    gz = False
    if path == e.telemetry_path:
        om = wants_openmetrics(header(b"Accept"))
        gz = wants_gzip(header(b"Accept-Encoding"))
        status, ctype = 200, OPENMETRICS_CONTENT_TYPE if om else TEXT_CONTENT_TYPE
        rendered = e.cache.current
        body: Sequence[bytes] = rendered.parts(gz, e.self_metrics.recent(om, rendered.created))
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
    return status, headers, body


def with_extra(
    headers: list[tuple[str, str]], extra: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``headers`` with --web.config.file's ``http_server_config.headers``: one configured
    wins over ours of the same name, so no response carries a header twice."""
    if not extra:
        return headers
    names = {name.lower() for name, _ in extra}
    return [h for h in headers if h[0].lower() not in names] + list(extra)


def keep_alive(version: bytes, connection: str) -> bool:
    tokens = {t.strip().lower() for t in connection.split(",")}
    if version == b"HTTP/1.0":
        return "keep-alive" in tokens
    return "close" not in tokens


class Gateway(cheroot.Gateway):
    """One request → its answer, written through cheroot."""

    def respond(self) -> None:
        req: Any = self.req
        server: Server = req.server

        def header(name: bytes) -> str:
            return req.inheaders.get(name, b"").decode("latin-1")

        try:
            status, headers, body, close = self._answer(server, req, header)
        except Exception:  # a bug must cost one answer, never the connection's silence
            log.exception("error answering %s %s", req.method, req.path)
            headers = [("Content-Type", TEXT)]
            status, body, close = 500, [b"internal error\n"], True
        headers = with_extra(headers, server.extra_headers)
        size = sum(len(b) for b in body)
        headers.insert(1, ("Content-Length", str(size)))
        if close:
            headers.append(("Connection", "close"))
        elif req.request_protocol == b"HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        req.close_connection = close
        req.status = f"{status} {HTTPStatus(status).phrase}".encode()
        req.outheaders = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        req.ensure_headers_sent()
        if req.method != b"HEAD":
            # The body goes to the socket as it is, part by part: cheroot's writer copies
            # each write into a buffer (twice), and ten megabytes copied per scrape, in a
            # pool of 64 threads, stay in per-thread malloc arenas (+25 MB peak measured).
            sock = req.conn.socket
            for part in body:
                sock.sendall(part)

    @staticmethod
    def _answer(
        server: Server, req: Any, header: Callable[[bytes], str]
    ) -> tuple[int, list[tuple[str, str]], Sequence[bytes], bool]:
        """The answer, and whether the connection closes after it."""
        # A body is never read, so it must not be parsed as the next request; idle
        # keep-alives must not hold the workers of a crowded server.
        has_body = b"Transfer-Encoding" in req.inheaders or header(b"Content-Length") not in (
            "",
            "0",
        )
        close = (
            has_body
            or not keep_alive(req.request_protocol, header(b"Connection"))
            or server.crowded
            or not server.can_add_keepalive_connection
        )
        if req.method not in (b"GET", b"HEAD"):
            # Closed: its body, if any, is never read.
            return 405, [("Allow", ALLOW), ("Content-Type", TEXT)], [], True
        if server.auth is not None and not server.auth.check(header(b"Authorization")):
            challenge = 'Basic realm="openrouter-exporter", charset="UTF-8"'
            headers = [("Content-Type", TEXT), ("WWW-Authenticate", challenge)]
            return 401, headers, [b"401 Unauthorized\n"], close
        path = req.path.decode("latin-1")
        return (*route(server.endpoints, path, header), close)


class Server(cheroot.HTTPServer):
    """cheroot with ``MAX_CONNECTIONS`` workers (a connection waits for a free one) and our
    request head (exporter.httpd). While half the workers are busy, responses close their
    connection instead of keeping it alive."""

    ConnectionClass = Connection
    request_queue_size = 128  # the listen backlog
    max_connections = MAX_CONNECTIONS
    keep_alive_conn_limit = MAX_CONNECTIONS  # idle keep-alives held (no thread each)
    read_timeout = READ_TIMEOUT
    write_timeout = WRITE_TIMEOUT
    shutdown_timeout = 1.0  # seconds a request in progress gets at SIGTERM (exit within 5 s)

    def __init__(
        self, address: tuple[str, int], endpoints: Endpoints, web: WebSecurity | None = None
    ) -> None:
        web = web or WebSecurity()
        super().__init__(
            address,
            Gateway,
            minthreads=self.max_connections,
            maxthreads=self.max_connections,
            server_name=f"openrouter-exporter/{__version__}",
        )
        if web.ssl_context is not None:
            self.ssl_adapter = DeferredHandshake(web.ssl_context)
        self.endpoints = endpoints
        self.auth = BasicAuth(web.users) if web.users else None
        # Read by every answer, ours and the error answers of exporter.httpd alike.
        self.extra_headers = web.headers
        self.deadlines = Deadlines()
        self.active = 0
        self._active_lock = threading.Lock()

    @property  # type: ignore[override]
    def timeout(self) -> float:
        """cheroot's per-read timeout and idle keep-alive expiry: our head deadline."""
        return self.read_timeout

    @property
    def handshake_timeout(self) -> float:
        return HANDSHAKE_TIMEOUT  # read at each handshake (a test shortens it)

    @property
    def server_address(self) -> tuple[str, int]:
        return self.bind_addr

    @property
    def crowded(self) -> bool:
        return self.active * 2 >= self.max_connections

    @contextlib.contextmanager
    def in_service(self) -> Iterator[None]:
        with self._active_lock:
            self.active += 1
        try:
            yield
        finally:
            with self._active_lock:
                self.active -= 1

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        # cheroot writes to stderr, and reports every reset connection.
        log.log(level if level >= logging.ERROR else logging.DEBUG, "%s", msg, exc_info=traceback)

    def shutdown(self) -> None:
        # cheroot waits for its workers (shutdown_timeout, then without limit for one stuck
        # in a send): a request in progress gets a second, then its socket is shut down.
        self.deadlines.hurry(self.shutdown_timeout)
        self.stop()
        self.deadlines.stop()

    def server_close(self) -> None:
        """Nothing left to close after ``shutdown`` (kept for the socketserver-style callers)."""


def start(address: str, endpoints: Endpoints, web: WebSecurity | None = None) -> Server:
    server = Server(parse_listen(address), endpoints, web)
    try:
        server.prepare()  # binds now: a taken port fails here, in the caller
    except BaseException:
        server.deadlines.stop()
        raise
    threading.Thread(target=server.serve, name="http", daemon=True).start()
    return server
