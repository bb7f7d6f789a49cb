"""What cheroot (the HTTP server library, exporter.server) does not hold of our hardening
table, and only that: a strict, bounded request head; one deadline for a whole request head
and one for a whole response; the TLS handshake in the connection's own worker thread.

cheroot reads lines of any length up to one total head size, answers 413 for headers too
large, accepts whitespace before a header's colon and folded lines, lets any method name
through, refuses absolute-form targets, and times each ``recv`` separately (a client that
trickles a byte at a time is never cut off); its TLS adapter runs the handshake in the
thread that accepts every connection. The classes here are cheroot's documented extension
points (``HTTPConnection.RequestHandlerClass``, ``HTTPRequest.header_reader``,
``ssl.Adapter``), overriding the methods named in its API documentation.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import socket
import ssl
import threading
import time
from typing import Any

from cheroot import server as cheroot
from cheroot.makefile import MakeFile
from cheroot.ssl import Adapter

log = logging.getLogger(__name__)

MAX_REQUEST_LINE = 8192  # bytes with its line end; longer → 414 (cheroot: no own limit)
MAX_HEADER_LINE = 8192  # bytes per header line; longer → 431 (cheroot: 413, total only)
MAX_HEADERS = 50  # more → 431 (cheroot: no limit)

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_CONTROL = re.compile(rb"[\x00-\x20\x7f]")  # never in a request target
_FORBIDDEN_IN_VALUE = re.compile(rb"[\x00\r\n]")  # RFC 9110 5.5: reject, or two parsers differ


class TooLarge(Exception):
    """A header line or the number of headers over its limit: 431."""


class Gone(Exception):
    """The client closed the connection, or its time ran out, mid-head: no answer."""


class StrictHeaderReader(cheroot.HeaderReader):
    """Header lines bounded in length and number, refused as soon as one outgrows its
    limit; no whitespace before a colon, no obsolete folding (RFC 9112 5.1, 5.2): both are
    ways to make two parsers disagree about a header. Repeated fields are joined with ", "
    (two Content-Lengths then fail to parse)."""

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> dict:
        headers = {} if hdict is None else hdict
        for number in range(MAX_HEADERS + 1):
            # readline(size) may return more than size bytes (the pure-Python io that
            # cheroot uses), never fewer before a line end: the length is checked first.
            line = rfile.readline(MAX_HEADER_LINE + 1)
            if len(line) > MAX_HEADER_LINE:
                raise TooLarge("header line too long")
            if not line.endswith(b"\n"):
                raise Gone("connection closed mid-head")
            if line in (b"\r\n", b"\n"):
                return headers
            if number == MAX_HEADERS:
                raise TooLarge(f"more than {MAX_HEADERS} headers")
            name, sep, value = line.rstrip(b"\r\n").partition(b":")
            if not sep or not _TOKEN.fullmatch(name) or _FORBIDDEN_IN_VALUE.search(value):
                raise ValueError("malformed header line")  # cheroot answers 400
            key, text = name.title(), value.strip(b" \t")
            headers[key] = headers[key] + b", " + text if key in headers else text
        raise AssertionError("unreachable")  # pragma: no cover


class StrictRequest(cheroot.HTTPRequest):
    """cheroot's request with our request line and header reader; every error answer
    closes the connection, and nothing is answered once the client's time ran out."""

    header_reader = StrictHeaderReader()
    expired = False  # set by the deadline watcher: the client is cut off, not answered

    def parse_request(self) -> None:
        server: Any = self.server
        with server.deadlines.watch(self, server.read_timeout):
            super().parse_request()

    def respond(self) -> None:
        server: Any = self.server
        with server.deadlines.watch(self, server.write_timeout):
            super().respond()

    def read_request_line(self) -> bool:
        line = self.rfile.readline(MAX_REQUEST_LINE + 1)
        self.started_request = True
        while line in (b"\r\n", b"\n"):  # RFC 9112 2.2: ignore empty lines before it
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if len(line) > MAX_REQUEST_LINE:  # may be longer than asked for: see the header reader
            self.simple_response("414 URI Too Long", "request line too long")
            return False
        if not line.endswith(b"\n"):
            return False  # the client closed or ran out of time: no answer
        parts = line.rstrip(b"\r\n").split(b" ")
        if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or _CONTROL.search(parts[1]):
            self.simple_response("400 Bad Request", "malformed request line")
            return False
        method, target, version = parts
        match = _VERSION.fullmatch(version)
        if match is None or not target:
            self.simple_response("400 Bad Request", "malformed request line")
            return False
        if match[1] != b"1":
            self.simple_response("505 HTTP Version Not Supported", "only HTTP/1.x is served")
            return False
        if target.startswith((b"http://", b"https://")):  # absolute-form: drop the authority
            target = b"/" + target.split(b"/", 3)[3] if target.count(b"/") >= 3 else b"/"
        self.uri, self.method = target, method
        self.path, _, self.qs = target.partition(b"?")
        self.request_protocol = version
        self.response_protocol = f"HTTP/1.{match[2].decode()}"
        return True

    def read_request_headers(self) -> bool:
        try:
            return super().read_request_headers()
        except TooLarge as e:
            self.simple_response("431 Request Header Fields Too Large", str(e))
        except Gone:
            pass
        return False

    def simple_response(self, status: Any, msg: Any = "") -> None:
        """An error answer (cheroot's leaves some connections open and turns a 414 on the
        request line into 400): always ``Connection: close``."""
        self.close_connection = True
        if self.expired:
            return
        text = str(status)
        body = f"{text}: {msg}\n" if msg else f"{text}\n"
        # --web.config.file's headers go on error answers too (exporter-toolkit sets them
        # before anything else runs); values were checked to be one line at load time.
        server: Any = self.server
        extra = "".join(f"{k}: {v}\r\n" for k, v in server.extra_headers)
        head = (
            f"HTTP/1.1 {text}\r\nContent-Length: {len(body)}\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n{extra}Connection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            self.conn.wfile.write((head + body).encode("latin-1"))


class Connection(cheroot.HTTPConnection):
    """Counts connections in service and runs the TLS handshake here, in the worker thread
    (cheroot's adapter would run it in the one thread that accepts every connection)."""

    RequestHandlerClass = StrictRequest
    handshaken = False

    def communicate(self) -> bool:
        server: Any = self.server
        with server.in_service():
            if isinstance(self.socket, ssl.SSLSocket) and not self.handshaken:
                if not _handshake(self.socket, server.handshake_timeout, server.read_timeout):
                    return False
                self.handshaken = True
            return bool(super().communicate())


def _handshake(sock: ssl.SSLSocket, handshake_timeout: float, timeout: float) -> bool:
    sock.settimeout(handshake_timeout)
    try:
        sock.do_handshake()
    except (OSError, ValueError) as e:  # ssl.SSLError and TimeoutError are OSErrors
        log.debug("TLS handshake failed: %s", e)
        return False
    sock.settimeout(timeout)
    return True


class DeferredHandshake(Adapter):
    """cheroot's TLS adapter interface over our context (built and checked from
    --web.config.file), with the handshake left to the worker (``Connection.communicate``)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(None, None)
        self.context = context

    def bind(self, sock: socket.socket) -> socket.socket:
        return sock

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict]:
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls, self.get_environ()

    def get_environ(self) -> dict:
        return {"wsgi.url_scheme": "https"}

    def makefile(self, sock: socket.socket, mode: str = "r", bufsize: int = -1) -> Any:
        return MakeFile(sock, mode, io.DEFAULT_BUFFER_SIZE if bufsize < 0 else bufsize)


class Deadlines:
    """One thread that cuts off a request whose head or response overruns its time:
    cheroot's timeout is per ``recv``/``send``, which a client trickling a byte at a time
    never trips. Cutting off is shutting the socket down: the worker's blocked read or
    write returns at once and the connection is closed without an answer."""

    TICK = 0.1  # seconds between checks: a deadline is kept to within this

    def __init__(self) -> None:
        self._due: dict[StrictRequest, float] = {}
        # Set by hurry(): no deadline, even of a watch that starts later, goes past it (a
        # response that starts while shutting down must not get its full time).
        self._cap = math.inf
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="http-deadlines", daemon=True).start()

    @contextlib.contextmanager
    def watch(self, req: StrictRequest, seconds: float) -> Any:
        with self._lock:
            self._due[req] = min(time.monotonic() + seconds, self._cap)
        try:
            yield
        finally:
            with self._lock:
                self._due.pop(req, None)

    def _run(self) -> None:
        while not self._stop.wait(self.TICK):
            now = time.monotonic()
            with self._lock:
                late = [r for r, due in self._due.items() if due <= now]
                for req in late:
                    del self._due[req]
            for req in late:
                req.expired = True
                log.debug("request head or response not done in time: connection cut off")
                with contextlib.suppress(OSError):
                    # The plain socket's shutdown: ssl.SSLSocket's would first drop its
                    # TLS state under the worker's feet.
                    socket.socket.shutdown(req.conn.socket, socket.SHUT_RDWR)

    def hurry(self, seconds: float) -> None:
        """Every request in progress gets at most ``seconds`` more (shutting down)."""
        latest = time.monotonic() + seconds
        with self._lock:
            self._cap = min(self._cap, latest)
            for req, due in self._due.items():
                self._due[req] = min(due, latest)

    def stop(self) -> None:
        self._stop.set()
