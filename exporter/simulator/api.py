"""The fake Data API's front door: authentication, rate limits, routing, faults and the
record of every request. What the endpoints answer is ``endpoints``; their parameter rules
``params``; the limits ``ratelimit``; the bytes on the wire ``responses``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx

from exporter.simulator.catalog import (
    API_PREFIX,
    CACHE_CONTROL,
    ENDPOINT_PATHS,
    REPORTED_MISSING_DAYS,
)
from exporter.simulator.clock import ShiftedClock
from exporter.simulator.endpoints import SESSION_WINDOW_DAYS, PublishedData, served
from exporter.simulator.faults import MANGLING_KINDS, REPLACING_KINDS, Fault, FaultQueue
from exporter.simulator.market import Market
from exporter.simulator.params import BadRequest
from exporter.simulator.publication import PublicationSchedule
from exporter.simulator.ratelimit import RateLimiter
from exporter.simulator.replay import Replay
from exporter.simulator.responses import error_response, fault_response, json_response, mangle

MISSING_KEY_MESSAGE = "No cookie auth credentials found"
# What the live API says for a well-formed but unknown key (*inferred*).
INVALID_KEY_MESSAGE = "User not found."

__all__ = [
    "INVALID_KEY_MESSAGE",
    "MISSING_KEY_MESSAGE",
    "SESSION_WINDOW_DAYS",
    "RequestRecord",
    "Simulator",
]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request seen by the simulator."""

    time: datetime
    path: str
    """Path relative to the API base ("/datasets/app-rankings"), or the raw path when it is
    outside "/api/v1"."""
    params: dict[str, str]
    key: str | None
    status: int
    fault: str | None = None
    method: str = "GET"
    as_of: str | None = None
    """meta.as_of of a 200 (unique per response of the /datasets endpoints: it identifies
    what a client serves); /benchmarks' data update time; /classifications/task's day."""
    rows: int | None = None
    """How many rows a 200 carried (/classifications/task: tags)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Simulator(PublishedData):
    """A deterministic fake of OpenRouter's Data API endpoints: the published data
    (``PublishedData``) behind the API's keys, limits and faults.

    Thread-safe: `handle` may be called from many threads (the HTTP server does).
    """

    def __init__(
        self,
        seed: int = 42,
        now: Callable[[], datetime] | None = None,
        requests_per_minute: int = 30,
        requests_per_day: int = 500,
        api_keys: Collection[str] | None = None,
        *,
        publication_lag_days: int = 0,
        missing_days: Iterable[date] = REPORTED_MISSING_DAYS,
        rate_limit_headers: bool = False,
        market: Market | None = None,
        publication: PublicationSchedule | None = None,
        replay: Replay | None = None,
    ) -> None:
        """
        now: clock (tz-aware UTC); drives "today", `as_of` and the rate-limit windows.
        api_keys: None accepts any non-empty bearer token; otherwise only these.
        publication_lag_days: extra days the newest data lags behind yesterday (the live
            API is "sometimes delayed by a day or more"); settable later as an attribute.
        missing_days: days absent from the whole history (default: the two reported ones).
        rate_limit_headers: send Retry-After and X-RateLimit-* on the simulator's own 429s
            (undocumented for the live API, so off by default).
        market: the data to serve. By default a process-wide market shared by every
            Simulator with the same seed and missing days (built once, ~0.2 s); treat it as
            read-only, or pass `Market(seed)` for a private copy you may alter.
        publication: when each day (and each weekly session-cost window) is served, and
            how the newest day grows after that; publication_lag_days still applies on top.
            Default: every day at 00:00 after it closes, final at once.
        replay: a recorded rankings-daily history served instead of the market's model rows;
            without ``now``, the real clock moved to the day after its last day.
        """
        shared = market if market is not None else Market.shared(seed, missing_days)
        clock = now or (ShiftedClock(replay.last + timedelta(days=1)) if replay else _utc_now)
        super().__init__(clock, shared, publication, publication_lag_days, replay)
        self.seed = seed
        self.requests_per_minute = requests_per_minute
        self.requests_per_day = requests_per_day
        self.api_keys: frozenset[str] | None = None if api_keys is None else frozenset(api_keys)
        self.rate_limit_headers = rate_limit_headers
        self.key_outages: list[tuple[datetime, datetime]] = []
        """Windows [start, end) in which every key is refused with 401 (see reject_keys)."""
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._limits = RateLimiter()
        self.market.ensure(self.today())

    @property
    def log(self) -> list[RequestRecord]:
        """Snapshot of every request seen so far, oldest first."""
        with self._lock:
            return list(self._log)

    def arrivals(self, since: int = 0) -> list[RequestRecord]:
        """The requests seen after the first ``since``, in order of arrival (cheaper than
        ``log`` for a caller that follows it as it grows)."""
        with self._lock:
            return self._log[since:]

    def transport(self) -> httpx.MockTransport:
        """For in-process clients: httpx.Client(transport=sim.transport(), base_url=...)."""
        return httpx.MockTransport(self.handle)

    def reject_keys(self, start: datetime, end: datetime) -> None:
        """Refuse every key with 401 from ``start`` until ``end`` (a revoked, then restored
        key, or an auth outage upstream)."""
        self.key_outages.append((start, end))

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the Data API would (plus any queued fault)."""
        started = self.now()
        path, known = _route(request.url.path)
        params = {k: request.url.params[k] for k in request.url.params}
        key = _bearer_token(request)
        fault = self.faults.take(path) if known and request.method == "GET" else None
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)
        served: tuple[str | None, int | None] = (None, None)
        if not known:
            response = error_response(404, f"Not Found: {request.url.path}")
        elif request.method != "GET":
            response = error_response(405, f"Method {request.method} not allowed")
        else:
            response, served = self._answer(path, params, key, fault, started)
        response.request = request
        as_of, rows = served
        record = RequestRecord(
            time=started,
            path=path,
            params=params,
            key=key,
            status=response.status_code,
            fault=fault.kind if fault is not None else None,
            method=request.method,
            as_of=as_of,
            rows=rows,
        )
        with self._lock:
            self._log.append(record)
        return response

    def _answer(
        self, path: str, params: dict[str, str], key: str | None, fault: Fault | None, at: datetime
    ) -> tuple[httpx.Response, tuple[str | None, int | None]]:
        """The answer, and the ``as_of`` and row count it served (None when it served none)."""
        if fault is not None and fault.kind in REPLACING_KINDS:
            if key is not None and self._key_valid(key):
                self._count(key, at)  # the upstream still saw it
            return fault_response(fault), (None, None)
        response = self._api_response(path, params, key, at)
        # Kept from the intact answer: a mangled one may still be accepted.
        served = response.extensions.get("simulator_served", (None, None))
        if fault is not None and fault.kind in MANGLING_KINDS:
            response = mangle(response, fault)
        return response, served

    def _key_valid(self, key: str | None) -> bool:
        return key is not None and (self.api_keys is None or key in self.api_keys)

    def _count(self, key: str, at: datetime) -> httpx.Response | None:
        return self._limits.refusal(
            key, at, self.requests_per_minute, self.requests_per_day, self.rate_limit_headers
        )

    def _api_response(
        self, path: str, params: dict[str, str], key: str | None, at: datetime
    ) -> httpx.Response:
        if key is None:
            # The live body has no metadata and lists message first.
            return json_response(401, {"error": {"message": MISSING_KEY_MESSAGE, "code": 401}})
        if not self._key_valid(key) or any(a <= at < b for a, b in self.key_outages):
            return json_response(401, {"error": {"message": INVALID_KEY_MESSAGE, "code": 401}})
        refused = self._count(key, at)
        if refused is not None:
            return refused
        try:
            payload = self.body(path, params, at)
        except BadRequest as exc:
            return error_response(400, exc.message)
        response = json_response(200, payload, {"cache-control": CACHE_CONTROL})
        response.extensions["simulator_served"] = served(payload)
        return response


def _route(raw_path: str) -> tuple[str, bool]:
    """The path relative to the API base (the raw path when outside it), and whether it is
    one of the endpoints."""
    under_api = raw_path.startswith(API_PREFIX + "/")
    path = raw_path[len(API_PREFIX) :] if under_api else raw_path
    return path, under_api and path in ENDPOINT_PATHS


def _bearer_token(request: httpx.Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token
