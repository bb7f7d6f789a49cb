"""Injectable faults: what a flaky upstream, proxy or network does to a Data API request."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, get_args

from exporter.simulator.catalog import API_PREFIX

FaultKind = Literal[
    "latency",
    "server_error",
    "rate_limited",
    "html",
    "malformed_json",
    "truncated",
    "missing_field",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
# Kinds answered in front of the API (like a proxy or an upstream limiter): the request is
# not authenticated or validated, the canned response replaces the real one.
REPLACING_KINDS = frozenset({"server_error", "rate_limited", "html"})
# Kinds that damage the response the API would have sent.
MANGLING_KINDS = frozenset({"malformed_json", "truncated", "missing_field"})


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour. Prefer the named constructors.

    `delay` applies to every kind: the answer (faulty or not) is sent after that many
    seconds, really slept, so over HTTP a client's read timeout can fire.
    """

    kind: FaultKind = "latency"
    delay: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    field: str = "rank"
    first_row_only: bool = False
    incomplete: bool = False
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.delay < 0:
            raise ValueError("delay must be >= 0")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be a 4xx or 5xx code")

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Answer normally, `seconds` late."""
        return cls("latency", delay=seconds)

    @classmethod
    def server_error(
        cls, status: int = 500, *, message: str | None = None, delay: float = 0.0
    ) -> Fault:
        """A 5xx (or any 4xx/5xx) with the documented JSON error body."""
        return cls("server_error", status=status, message=message, delay=delay)

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = None, *, delay: float = 0.0) -> Fault:
        """A 429 with JSON error body; `Retry-After` is sent only when given (seconds, or a
        verbatim string such as an HTTP-date)."""
        value = None if retry_after is None else _header_value(retry_after)
        return cls("rate_limited", retry_after=value, delay=delay)

    @classmethod
    def html(cls, status: int = 502, *, delay: float = 0.0) -> Fault:
        """An HTML error page (text/html), as a proxy or CDN would send."""
        return cls("html", status=status, delay=delay)

    @classmethod
    def malformed_json(cls, *, delay: float = 0.0) -> Fault:
        """The real status and headers, but the body is not valid JSON."""
        return cls("malformed_json", delay=delay)

    @classmethod
    def truncated(cls, *, incomplete: bool = False, delay: float = 0.0) -> Fault:
        """The body cut in the middle of the JSON.

        incomplete=False: a consistent, shorter Content-Length (client sees bad JSON).
        incomplete=True: the full Content-Length is announced and the connection drops
        mid-body (httpx raises RemoteProtocolError while reading).
        """
        return cls("truncated", incomplete=incomplete, delay=delay)

    @classmethod
    def missing_field(
        cls, field: str = "rank", *, first_row_only: bool = False, delay: float = 0.0
    ) -> Fault:
        """Valid JSON with `field` removed: from the top level, from `meta`, and from every
        row of `data` (or only the first row)."""
        return cls("missing_field", field=field, first_row_only=first_row_only, delay=delay)


def _header_value(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def normalise_path(path: str) -> str:
    """Endpoint path relative to the API base: "/api/v1/datasets/x" -> "/datasets/x"."""
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :]
    return path if path.startswith("/") else "/" + path


@dataclass(slots=True)
class _Entry:
    fault: Fault
    remaining: int | None
    path: str | None


class FaultQueue:
    """FIFO of pending faults; each request consumes the first entry matching its path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def add(self, fault: Fault, times: int | None = 1, path: str | None = None) -> None:
        """Queue `fault` for the next `times` matching requests (None: every one, forever).

        `path` limits it to one endpoint, e.g. "/datasets/app-rankings" (the "/api/v1"
        prefix is optional); None matches every endpoint.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        entry = _Entry(fault, times, None if path is None else normalise_path(path))
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def take(self, path: str) -> Fault | None:
        with self._lock:
            for i, entry in enumerate(self._entries):
                if entry.path is not None and entry.path != path:
                    continue
                if entry.remaining is not None:
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        del self._entries[i]
                return entry.fault
        return None

    def pending(self) -> list[tuple[Fault, int | None, str | None]]:
        """Snapshot of the queue: (fault, remaining uses or None, path or None)."""
        with self._lock:
            return [(e.fault, e.remaining, e.path) for e in self._entries]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
