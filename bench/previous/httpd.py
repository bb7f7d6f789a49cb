"""`make bench` only (bench/previous/server.py): the exporter's own HTTP/1.1 code until
issue 19. HTTP/1.1 on one connection, for GET and HEAD only: a strict, bounded request-head reader
with one deadline for the whole head, and a response writer with one for the whole body.

Standard library sockets and nothing private. No request body is ever read: a request that
announces one gets its answer and the connection closed, so the body cannot be taken for
the next request.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

MAX_REQUEST_LINE = 8192  # bytes with its line end; longer → 414 (the stdlib allows 64 KiB)
MAX_HEADER_LINE = 8192  # bytes per header line; longer → 431 (stdlib: 64 KiB)
MAX_HEADERS = 50  # more → 431 (stdlib: 100)
RECV_SIZE = 65536
IOV_MAX = min(os.sysconf("SC_IOV_MAX"), 1024)  # buffers one sendmsg call may gather
TLS_BLOCK = 256 * 1024  # bytes handed to one TLS sendall

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_CONTROL = re.compile(rb"[\x00-\x20\x7f]")  # never in a request target
_FORBIDDEN_IN_VALUE = re.compile(rb"[\x00\r\n]")  # RFC 9110 5.5: reject, or two parsers differ


class HTTPError(Exception):
    """A request that gets an error status and the connection closed."""

    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class ClientGone(Exception):
    """The client closed the connection or did not send a whole request head in time."""


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: tuple[int, int]
    headers: dict[str, str]  # lower-case names; repeated fields joined with ", "

    @property
    def path(self) -> str:
        target = self.target
        if target.startswith(("http://", "https://")):  # absolute-form: drop the authority
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        return target.split("?", 1)[0]

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in self.header("connection").split(",")}
        if self.version >= (1, 1):
            return "close" not in tokens
        return "keep-alive" in tokens

    @property
    def has_body(self) -> bool:
        return "transfer-encoding" in self.headers or self.header("content-length").strip() not in (
            "",
            "0",
        )


class Connection:
    """Reads request heads from a connected socket (plain or TLS) and writes responses.

    Bytes received past a request head stay buffered: they are the next (pipelined) request.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = bytearray()

    def read_request(self, timeout: float) -> Request | None:
        """The next request head; None when the client closed cleanly before sending one.

        The whole head (request line and headers) must arrive within ``timeout`` seconds:
        a client trickling a byte at a time runs out of time too. Raises ``HTTPError`` for
        a head that breaks a limit or the syntax, ``ClientGone`` when the time is up or the
        connection drops mid-head.
        """
        deadline = time.monotonic() + timeout
        lines: list[bytes] = []
        pos = 0
        while True:
            end = self._buf.find(b"\n", pos)
            if end < 0:
                _check_partial(len(self._buf) - pos, bool(lines))
                if not self._recv(deadline):
                    if not lines and not self._buf:
                        return None
                    raise ClientGone("connection closed mid-request")
                continue
            line = bytes(self._buf[pos : end + 1])
            pos = end + 1
            if line in (b"\r\n", b"\n"):
                if lines:
                    del self._buf[:pos]
                    return _parse(lines)
                if pos > MAX_REQUEST_LINE:
                    raise HTTPError(HTTPStatus.BAD_REQUEST, "no request line")
                continue  # RFC 9112 2.2: ignore empty lines before the request line
            # lines holds the request line, so a header line is header number len(lines).
            _check_line(len(line), bool(lines), len(lines))
            lines.append(line)

    def _recv(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ClientGone("request head not received in time")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(RECV_SIZE)
        except TimeoutError:
            raise ClientGone("request head not received in time") from None
        self._buf += data
        return bool(data)

    def send(self, parts: Sequence[bytes], timeout: float) -> None:
        """Send every part within ``timeout`` seconds in total.

        On a plain socket the kernel gathers the parts (sendmsg): a body of a thousand
        chunks costs a few system calls and no copy into one buffer. TLS sockets have no
        sendmsg: the parts go out joined into blocks of ``TLS_BLOCK`` bytes.
        """
        deadline = time.monotonic() + timeout
        if isinstance(self.sock, ssl.SSLSocket):
            for block in _blocks(parts, TLS_BLOCK):
                self.sock.settimeout(_remaining(deadline))
                self.sock.sendall(block)
            return
        pending = list(parts)
        i = 0
        while i < len(pending):
            self.sock.settimeout(_remaining(deadline))
            sent = self.sock.sendmsg(pending[i : i + IOV_MAX])
            while i < len(pending) and sent >= len(pending[i]):
                sent -= len(pending[i])
                i += 1
            if sent:  # part i went out in part
                pending[i] = memoryview(pending[i])[sent:]


def _blocks(parts: Sequence[bytes], size: int) -> Iterator[bytes]:
    """Consecutive parts joined into blocks of about ``size`` bytes: a TLS record and a
    system call per block, not per small part."""
    block: list[bytes] = []
    length = 0
    for part in parts:
        block.append(part)
        length += len(part)
        if length >= size:
            yield b"".join(block)
            block, length = [], 0
    if block:
        yield b"".join(block)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("response not sent in time")
    return remaining


def _check_partial(length: int, in_headers: bool) -> None:
    """A line still arriving is refused as soon as it is too long, not when it ends."""
    if not in_headers and length > MAX_REQUEST_LINE:
        raise HTTPError(HTTPStatus.REQUEST_URI_TOO_LONG, "request line too long")
    if in_headers and length > MAX_HEADER_LINE:
        raise HTTPError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header line too long")


def _check_line(length: int, in_headers: bool, number: int) -> None:
    _check_partial(length, in_headers)
    if in_headers and number > MAX_HEADERS:
        raise HTTPError(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"more than {MAX_HEADERS} headers"
        )


def _parse(lines: list[bytes]) -> Request:
    parts = lines[0].rstrip(b"\r\n").split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise HTTPError(HTTPStatus.BAD_REQUEST, "malformed request line")
    if _CONTROL.search(parts[1]):
        raise HTTPError(HTTPStatus.BAD_REQUEST, "control character in the request target")
    method, target, version = parts
    match = _VERSION.fullmatch(version)
    if match is None:
        raise HTTPError(HTTPStatus.BAD_REQUEST, "malformed HTTP version")
    if match[1] != b"1":
        raise HTTPError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.x is served")
    headers: dict[str, str] = {}
    for raw in lines[1:]:
        name, sep, value = raw.rstrip(b"\r\n").partition(b":")
        # No whitespace before the colon, no obsolete line folding (RFC 9112 5.1, 5.2):
        # both are ways to make two parsers disagree about a header.
        if not sep or not _TOKEN.fullmatch(name) or _FORBIDDEN_IN_VALUE.search(value):
            raise HTTPError(HTTPStatus.BAD_REQUEST, "malformed header line")
        key = name.decode("ascii").lower()
        text = value.strip(b" \t").decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return Request(
        method.decode("ascii"),
        target.decode("latin-1"),
        (1, int(match[2])),
        headers,
    )


class ResponseHead:
    """Status line and headers; the Date value is formatted once per second."""

    _date = (0, "")

    def __init__(self, server: str) -> None:
        self.server = server

    def build(self, status: int, headers: Sequence[tuple[str, str]], close: bool) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, formatdate(now, usegmt=True))
        phrase = HTTPStatus(status).phrase
        lines = [f"HTTP/1.1 {status} {phrase}", f"Server: {self.server}", f"Date: {self._date[1]}"]
        lines.extend(f"{k}: {v}" for k, v in headers)
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
