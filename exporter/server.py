"""HTTP endpoints: ``/metrics`` (cached dataset part + live self-metrics), ``/``, ``/healthz``,
``/readyz``. Stdlib server, one thread per connection, GET and HEAD only."""

from __future__ import annotations

import html
import logging
import socket
import threading
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
from exporter.selfmetrics import SelfMetrics, ViewStatus

log = logging.getLogger(__name__)


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


class Handler(BaseHTTPRequestHandler):
    server_version = f"openrouter-exporter/{__version__}"
    protocol_version = "HTTP/1.1"
    timeout = 30  # a slow or silent client gives up its thread after this
    endpoints: Endpoints  # set on the subclass built per server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        path = self.path.split("?", 1)[0]
        e = self.endpoints
        if path == e.telemetry_path:
            self._metrics(head)
        elif path == "/":
            self._send(200, "text/html; charset=utf-8", self._landing().encode(), head)
        elif path == "/healthz":
            self._send(200, "text/plain; charset=utf-8", b"ok\n", head)
        elif path == "/readyz":
            missing = [f"{s.dataset}/{s.view}" for s in e.statuses()
                       if not e.has_data((s.dataset, s.view))
                       and not (s.error or "").startswith("misconfigured")]
            if missing:
                body = "not ready: no data yet for " + ", ".join(missing) + "\n"
                self._send(503, "text/plain; charset=utf-8", body.encode(), head)
            else:
                self._send(200, "text/plain; charset=utf-8", b"ready\n", head)
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", head)

    def _refuse(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse

    def _metrics(self, head: bool) -> None:
        om = wants_openmetrics(self.headers.get("Accept", ""))
        gz = wants_gzip(self.headers.get("Accept-Encoding", ""))
        rendered = self.endpoints.cache.current  # one consistent snapshot set
        body = rendered.body(gz, self_exposition(self.endpoints.self_metrics.registry, om))
        self._send(200, OPENMETRICS_CONTENT_TYPE if om else TEXT_CONTENT_TYPE, body, head,
                   gzip=gz)

    def _send(self, code: int, ctype: str, body: bytes, head: bool, gzip: bool = False) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if gzip:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept, Accept-Encoding")
        self.send_header("X-Content-Type-Options", "nosniff")
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
                f"<td>{esc(s.error or '')}</td></tr>")
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
{''.join(rows)}
</table>
<h2>Plan</h2><pre>{esc(e.plan_text())}</pre>
<p>Data: Source: OpenRouter (openrouter.ai/apps, openrouter.ai/rankings), CC BY 4.0.</p>
</body></html>
"""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], endpoints: Endpoints) -> None:
        handler = type("BoundHandler", (Handler,), {"endpoints": endpoints})
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)


def parse_listen(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    return host or "0.0.0.0", int(port)


def start(address: str, endpoints: Endpoints) -> Server:
    server = Server(parse_listen(address), endpoints)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
