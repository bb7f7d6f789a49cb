"""The fake Data API: authentication, rate limits, parameter rules, faults, request log."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Any

import httpx

from exporter.simulator.catalog import (
    API_PREFIX,
    APP_CATEGORIES,
    APP_RANKINGS_PATH,
    APP_SORTS,
    CACHE_CONTROL,
    CONTEXT_BUCKETS,
    DATASET_FLOOR,
    DEFAULT_WINDOW_DAYS,
    ENDPOINT_PATHS,
    LANGUAGE_TYPES,
    MAX_WINDOW_DAYS,
    MODALITIES,
    PERIODS,
    RANKING_CATEGORIES,
    RANKINGS_DAILY_PATH,
    REPORTED_MISSING_DAYS,
    SUBCATEGORIES,
    SUBCATEGORY_TO_CATEGORY,
    TURN_RANGES,
    VERSION,
)
from exporter.simulator.faults import MANGLING_KINDS, REPLACING_KINDS, Fault, FaultQueue
from exporter.simulator.market import Market
from exporter.simulator.publication import PublicationSchedule, bucket_shortfall

SESSION_WINDOW_DAYS = 30
MISSING_KEY_MESSAGE = "No cookie auth credentials found"
# What the live API says for a well-formed but unknown key (*inferred*).
INVALID_KEY_MESSAGE = "User not found."
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_RE = re.compile(r"-?\d+")
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
_HTML_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)


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
    """meta.as_of of a 200 (unique per response: it identifies what a client serves)."""
    rows: int | None = None
    """How many rows a 200 carried."""


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _json_bytes(payload: Any) -> bytes:
    # Compact and raw UTF-8, as the live API (JSON.stringify) sends it.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _error_body(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "metadata": None}}


class _IncompleteBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops early, the way a dropped connection looks to httpx."""

    def __init__(self, prefix: bytes, declared: int) -> None:
        self.prefix = prefix
        self.declared = declared

    def _error(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body "
            f"(received {len(self.prefix)} bytes, expected {self.declared})"
        )

    def __iter__(self) -> Iterator[bytes]:
        yield self.prefix
        raise self._error()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.prefix
        raise self._error()


class Simulator:
    """A deterministic fake of OpenRouter's three Data API endpoints.

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
        """
        self.seed = seed
        self._clock = now or _utc_now
        self.requests_per_minute = requests_per_minute
        self.requests_per_day = requests_per_day
        self.api_keys: frozenset[str] | None = None if api_keys is None else frozenset(api_keys)
        self.publication_lag_days = publication_lag_days
        self.rate_limit_headers = rate_limit_headers
        self.publication = publication
        self.key_outages: list[tuple[datetime, datetime]] = []
        """Windows [start, end) in which every key is refused with 401 (see reject_keys)."""
        self.session_cost_published = True
        """False: session-cost answers with no rows and null window fields, as the live API
        does while no snapshot is published."""
        self.faults = FaultQueue()
        self._lock = threading.Lock()
        self._log: list[RequestRecord] = []
        self._per_key: dict[str, deque[datetime]] = {}
        self._per_account: deque[datetime] = deque()
        self._last_as_of: datetime | None = None
        self.market = market if market is not None else Market.shared(seed, missing_days)
        self.market.ensure(self.today())

    # ----------------------------------------------------------------- clock

    def now(self) -> datetime:
        current = self._clock()
        if current.tzinfo is None:
            return current.replace(tzinfo=UTC)
        return current.astimezone(UTC)

    def today(self) -> date:
        return self.now().date()

    def latest_day(self) -> date:
        """The newest day served: yesterday (UTC) minus any publication lag, or what the
        publication schedule has published by now."""
        lag = timedelta(days=self.publication_lag_days)
        if self.publication is not None:
            return self.publication.latest_day(self.now()) - lag
        return self.today() - timedelta(days=1) - lag

    def session_cost_window_end(self) -> date:
        """The most recent Sunday strictly before today (once published, with a schedule)."""
        if self.publication is not None:
            return self.publication.session_cost_window_end(self.now())
        today = self.today()
        back = (today.weekday() + 1) % 7 or 7
        return today - timedelta(days=back)

    # ----------------------------------------------------------------- public surface

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

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the Data API would (plus any queued fault)."""
        started = self.now()
        raw_path = request.url.path
        under_api = raw_path.startswith(API_PREFIX + "/")
        path = raw_path[len(API_PREFIX) :] if under_api else raw_path
        known = under_api and path in ENDPOINT_PATHS
        params = {k: request.url.params[k] for k in request.url.params}
        key = _bearer_token(request)
        fault = self.faults.take(path) if known and request.method == "GET" else None
        served: tuple[str | None, int | None] = (None, None)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)

        if not known:
            response = self._error(404, f"Not Found: {raw_path}")
        elif request.method != "GET":
            response = self._error(405, f"Method {request.method} not allowed")
        elif fault is not None and fault.kind in REPLACING_KINDS:
            if self._key_valid(key):
                self._count(key, started)  # the upstream still saw it
            response = _fault_response(fault)
        else:
            response = self._api_response(path, params, key, started)
            # Kept from the intact answer: a mangled one may still be accepted.
            served = response.extensions.get("simulator_served", served)
            if fault is not None and fault.kind in MANGLING_KINDS:
                response = _mangle(response, fault)
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

    def reject_keys(self, start: datetime, end: datetime) -> None:
        """Refuse every key with 401 from ``start`` until ``end`` (a revoked, then restored
        key, or an auth outage upstream)."""
        self.key_outages.append((start, end))

    # ----------------------------------------------------------------- auth and limits

    def _key_valid(self, key: str | None) -> bool:
        return key is not None and (self.api_keys is None or key in self.api_keys)

    def _keys_rejected(self, at: datetime) -> bool:
        return any(start <= at < end for start, end in self.key_outages)

    def _count(self, key: str, at: datetime) -> tuple[bool, bool, float]:
        """Record one request; report (over minute limit, over day limit, retry-after s)."""
        with self._lock:
            minute = self._per_key.setdefault(key, deque())
            while minute and minute[0] <= at - _MINUTE:
                minute.popleft()
            day = self._per_account
            while day and day[0] <= at - _DAY:
                day.popleft()
            over_minute = len(minute) >= self.requests_per_minute
            over_day = len(day) >= self.requests_per_day
            # Refused requests count too (reference: "should still be assumed to count").
            minute.append(at)
            day.append(at)
            # The next request is admitted once enough of the (now longer) window has expired.
            retry = 0.0
            if over_minute:
                oldest = minute[max(0, len(minute) - max(1, self.requests_per_minute))]
                retry = max(retry, (oldest + _MINUTE - at).total_seconds())
            if over_day:
                oldest = day[max(0, len(day) - max(1, self.requests_per_day))]
                retry = max(retry, (oldest + _DAY - at).total_seconds())
        return over_minute, over_day, retry

    def _api_response(
        self, path: str, params: dict[str, str], key: str | None, at: datetime
    ) -> httpx.Response:
        if key is None:
            # The live body has no metadata and lists message first.
            return _json_response(401, {"error": {"message": MISSING_KEY_MESSAGE, "code": 401}})
        if not self._key_valid(key) or self._keys_rejected(at):
            return _json_response(401, {"error": {"message": INVALID_KEY_MESSAGE, "code": 401}})
        over_minute, over_day, retry = self._count(key, at)
        if over_minute or over_day:
            if over_day:
                message = (
                    f"Rate limit exceeded: {self.requests_per_day} requests per day per account"
                )
            else:
                message = (
                    f"Rate limit exceeded: {self.requests_per_minute} requests per minute per key"
                )
            headers: dict[str, str] = {}
            if self.rate_limit_headers:
                limit = self.requests_per_day if over_day else self.requests_per_minute
                reset = at + timedelta(seconds=retry)
                headers = {
                    "retry-after": str(max(1, math.ceil(retry))),
                    "x-ratelimit-limit": str(limit),
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(int(reset.timestamp() * 1000)),
                }
            return _json_response(429, _error_body(429, message), headers)
        try:
            if path == APP_RANKINGS_PATH:
                payload = self._app_rankings(params, at)
            elif path == RANKINGS_DAILY_PATH:
                payload = self._rankings_daily(params, at)
            else:
                payload = self._session_cost(params, at)
        except _BadRequest as exc:
            return _json_response(400, _error_body(400, exc.message))
        response = _json_response(200, payload, {"cache-control": CACHE_CONTROL})
        response.extensions["simulator_served"] = (payload["meta"]["as_of"], len(payload["data"]))
        return response

    def _error(self, code: int, message: str) -> httpx.Response:
        return _json_response(code, _error_body(code, message))

    # ----------------------------------------------------------------- endpoints

    def _as_of(self, at: datetime) -> str:
        # Strictly increasing even under a frozen test clock: the live value moves on every
        # request.
        with self._lock:
            last = self._last_as_of
            stamp = at if last is None or at > last else last + timedelta(milliseconds=1)
            self._last_as_of = stamp
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"

    def _resolve_window(self, params: dict[str, str]) -> tuple[date, date]:
        start = _date_param(params, "start_date")
        end = _date_param(params, "end_date")
        latest = self.latest_day()
        if end is None:
            end = latest
        elif end < DATASET_FLOOR:
            raise _BadRequest(f"end_date must be on or after {DATASET_FLOOR.isoformat()}.")
        end = min(end, latest)
        if start is None:
            start = end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
        start = max(start, DATASET_FLOOR)
        if start > end:
            raise _BadRequest("start_date must be on or before end_date.")
        span = (end - start).days + 1
        if span > MAX_WINDOW_DAYS:
            raise _BadRequest(
                f"Date range cannot exceed {MAX_WINDOW_DAYS} days (requested {span})."
            )
        return start, end

    def _growing(self, start: date, end: date, at: datetime) -> list[tuple[date, float]]:
        if self.publication is None:
            return []
        return self.publication.growing(self.latest_day(), start, end, at)

    def _meta(self, start: date, end: date, at: datetime) -> dict[str, Any]:
        return {
            "as_of": self._as_of(at),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "version": VERSION,
        }

    def _app_rankings(self, params: dict[str, str], at: datetime) -> dict[str, Any]:
        sort = _enum_param(params, "sort", APP_SORTS) or "popular"
        category = _enum_param(params, "category", APP_CATEGORIES)
        subcategory = _enum_param(params, "subcategory", SUBCATEGORIES)
        if category and subcategory and SUBCATEGORY_TO_CATEGORY[subcategory] != category:
            raise _BadRequest(
                f"subcategory '{subcategory}' does not belong to category '{category}'."
            )
        limit = _int_param(params, "limit", 50, 1, 100)
        offset = _int_param(params, "offset", 0, 0, 100)
        start, end = self._resolve_window(params)
        ranking = self.market.app_rankings(
            start, end, sort=sort, category=category, subcategory=subcategory
        )
        growing = self._growing(start, end, at)
        rows = [
            {
                "app_id": r.app.id,
                "app_name": r.app.name,
                "rank": r.rank,
                "total_requests": r.total_requests,
                "total_tokens": str(
                    r.total_tokens
                    - sum(int(self.market.app_tokens(r.app.id, g) * f) for g, f in growing)
                ),
            }
            for r in ranking[offset : offset + limit]
        ]
        return {"data": rows, "meta": self._meta(start, end, at)}

    def _rankings_daily(self, params: dict[str, str], at: datetime) -> dict[str, Any]:
        period = _enum_param(params, "period", PERIODS)
        modality = _enum_param(params, "modality", MODALITIES)
        context_bucket = _enum_param(params, "context_bucket", CONTEXT_BUCKETS)
        category = _enum_param(params, "category", RANKING_CATEGORIES)
        language_type = _enum_param(params, "language_type", LANGUAGE_TYPES)
        if category and language_type:
            raise _BadRequest("category and language_type cannot be combined.")
        if category or language_type:
            name = "category" if category else "language_type"
            if modality or context_bucket:
                raise _BadRequest(f"{name} cannot be combined with modality or context_bucket.")
            # The SDK: "only `week` (default) and `month` are available — `day` is rejected".
            if period == "day":
                raise _BadRequest(
                    f"{name} is aggregated weekly: period must be week or month, not day."
                )
        if modality and context_bucket:
            raise _BadRequest("modality and context_bucket cannot be combined.")
        start, end = self._resolve_window(params)
        rows = self.market.rankings_daily(
            start,
            end,
            period=period,
            modality=modality,
            context_bucket=context_bucket,
            category=category,
            language_type=language_type,
            data_end=self.latest_day(),
        )
        growing = self._growing(start, end, at)
        data = [
            {
                "date": r.date.isoformat(),
                "model_permaslug": r.model_permaslug,
                "total_tokens": str(
                    r.total_tokens - bucket_shortfall(r.date, period, r.total_tokens, growing)
                ),
            }
            for r in rows
        ]
        return {"data": data, "meta": self._meta(start, end, at)}

    def _session_cost(self, params: dict[str, str], at: datetime) -> dict[str, Any]:
        turn_range = _enum_param(params, "turn_range", TURN_RANGES)
        limit = _int_param(params, "limit", 100, 1, 500)
        offset = _int_param(params, "offset", 0, 0, 5000)
        app_slug = params.get("app_slug")
        model = params.get("model")
        if not self.session_cost_published:
            meta = {"as_of": self._as_of(at), "version": VERSION}
            return {"data": [], "meta": meta | {"window_days": None, "window_end_date": None}}
        window_end = self.session_cost_window_end()
        cells = [
            c
            for c in self.market.session_cost(window_end)
            if (app_slug is None or c.app_slug == app_slug)
            and (model is None or c.model_permaslug == model)
            and (turn_range is None or c.turn_range == turn_range)
        ]
        data = [
            {
                "app_name": c.app_name,
                "app_slug": c.app_slug,
                "model_permaslug": c.model_permaslug,
                "turn_range": c.turn_range,
                "median_session_cost_usd": c.median_session_cost_usd,
            }
            for c in cells[offset : offset + limit]
        ]
        meta = {
            "as_of": self._as_of(at),
            "version": VERSION,
            "window_days": SESSION_WINDOW_DAYS,
            "window_end_date": window_end.isoformat(),
        }
        return {"data": data, "meta": meta}


# --------------------------------------------------------------------- helpers


def _bearer_token(request: httpx.Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _date_param(params: dict[str, str], name: str) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _DATE_RE.fullmatch(raw):
        raise _BadRequest(f"Invalid {name} '{raw}': expected YYYY-MM-DD.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _BadRequest(f"Invalid {name} '{raw}': not a calendar date.") from None


def _enum_param(params: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise _BadRequest(f"Invalid {name} '{raw}': expected one of {', '.join(allowed)}.")
    return raw


def _int_param(params: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INT_RE.fullmatch(raw) or not lo <= int(raw) <= hi:
        raise _BadRequest(f"Invalid {name} '{raw}': expected an integer from {lo} to {hi}.")
    return int(raw)


def _json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "application/json", **(headers or {})},
        content=_json_bytes(payload),
    )


def _fault_response(fault: Fault) -> httpx.Response:
    if fault.kind == "rate_limited":
        headers = {} if fault.retry_after is None else {"retry-after": fault.retry_after}
        message = fault.message or "Rate limit exceeded"
        return _json_response(429, _error_body(429, message), headers)
    status = fault.status or (502 if fault.kind == "html" else 500)
    phrase = _phrase(status)
    if fault.kind == "html":
        page = _HTML_PAGE.format(code=status, phrase=phrase)
        return httpx.Response(
            status, headers={"content-type": "text/html; charset=utf-8"}, content=page.encode()
        )
    return _json_response(status, _error_body(status, fault.message or phrase))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _mangle(response: httpx.Response, fault: Fault) -> httpx.Response:
    body = response.content
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    if fault.kind == "malformed_json":
        # Complete but invalid: a trailing comma before the closing brace.
        return httpx.Response(response.status_code, headers=headers, content=body[:-1] + b",}")
    if fault.kind == "truncated":
        prefix = body[: len(body) // 2]
        if not fault.incomplete:
            return httpx.Response(response.status_code, headers=headers, content=prefix)
        headers["content-length"] = str(len(body))
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_IncompleteBody(prefix, len(body)),
            extensions={"simulator_incomplete_body": (prefix, len(body))},
        )
    payload = json.loads(body)
    _remove_field(payload, fault.field, fault.first_row_only)
    return httpx.Response(response.status_code, headers=headers, content=_json_bytes(payload))


def _remove_field(payload: Any, field: str, first_row_only: bool) -> None:
    if not isinstance(payload, dict):
        return
    payload.pop(field, None)
    for value in payload.values():
        if isinstance(value, dict):
            value.pop(field, None)
    rows = payload.get("data")
    if isinstance(rows, list):
        for row in rows[:1] if first_row_only else rows:
            if isinstance(row, dict):
                row.pop(field, None)
