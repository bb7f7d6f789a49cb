"""Thin Data API client: URLs, headers, auth, timeouts, typed rows or a typed error.

No retries here: the scheduler owns the budget, so it owns retry policy too. Every request
is sent inside ``spend(endpoint)`` (``Budget.spend``), which records it in the request log
*before* it is sent (a crash after sending must still count) or refuses it, and moves the
entry to the finishing time when the request is over.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from exporter import __version__
from exporter.config import AppView, Config, ModelView
from exporter.snapshot import AppRow, Meta, ModelDayRow, SessionCostRow

APP_PAGE = 100  # the API's largest limit
APP_MAX_OFFSET = 100
SESSION_PAGE = 500
SESSION_MAX_OFFSET = 5000


# --- errors ----------------------------------------------------------------------------


class ApiError(Exception):
    """Base of every failure a request can end in. ``code`` is the metrics label."""

    code = "error"

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint


class BadRequest(ApiError):
    code = "400"


class Unauthorized(ApiError):
    code = "401"


class RateLimited(ApiError):
    code = "429"

    def __init__(self, message: str, *, endpoint: str = "", retry_after: float | None = None):
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after  # seconds from now, when the API said


class ServerError(ApiError):
    def __init__(self, message: str, *, endpoint: str = "", status: int = 500) -> None:
        super().__init__(message, endpoint=endpoint)
        self.code = str(status)


class HttpError(ApiError):
    """Any other 4xx: not retried blindly, reported with the status."""

    def __init__(self, message: str, *, endpoint: str = "", status: int = 0) -> None:
        super().__init__(message, endpoint=endpoint)
        self.code = str(status)


class TransportError(ApiError):
    """Timeout, refused connection, DNS, TLS: no HTTP status at all."""


class MalformedResponse(ApiError):
    """200 whose body is not the documented shape (bad JSON, missing field, bad type)."""

    code = "200"


class UnexpectedContentType(MalformedResponse):
    """Typically an HTML page from a proxy in front of the API."""


# --- parsing helpers -------------------------------------------------------------------


_INT_RE = re.compile(r"-?[0-9]+")  # ASCII only: "--5" and "²" pass isdigit() but not int()
_INT_LIMIT = 10**39  # as the 39-digit strings allow; a 400-digit JSON integer is no float


def _int(value: Any, what: str) -> int:
    """Integers, and decimal strings (tokens come as strings so 64-bit values survive)."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{what}: expected an integer, got {value!r}")
    if isinstance(value, int) and abs(value) < _INT_LIMIT:
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()) and len(value) < 40:
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < _INT_LIMIT:
        return int(value)
    raise MalformedResponse(f"{what}: expected an integer, got {_short(value)}")


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise MalformedResponse(f"{what}: expected a string, got {_short(value)}")
    return value


def _num(value: Any, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, int) and abs(value) >= _INT_LIMIT)
    ):
        raise MalformedResponse(f"{what}: expected a number, got {_short(value)}")
    return float(value)


def _date(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(_str(value, what))
    except ValueError:
        raise MalformedResponse(f"{what}: {_short(value)} is not a date") from None


def _opt_date(value: Any, what: str) -> date | None:
    return None if value is None else _date(value, what)


def _datetime(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        # Python 3.11 accepts a trailing Z.
        parsed = datetime.fromisoformat(_str(value, what))
        parsed.timestamp()  # year 1 or 9999 near a time zone edge has none: refused here
        return parsed
    except (ValueError, OverflowError, OSError):
        raise MalformedResponse(f"{what}: {_short(value)} is not a timestamp") from None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(obj: Any, name: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise MalformedResponse(f"{where}: expected an object, got {_short(obj)}")
    if name not in obj:
        raise MalformedResponse(f"{where}: missing field {name!r}")
    return obj[name]


def parse_meta(body: dict[str, Any]) -> Meta:
    meta = _field(body, "meta", "response")
    if not isinstance(meta, dict):
        raise MalformedResponse(f"response.meta: expected an object, got {_short(meta)}")
    window_days = meta.get("window_days")
    return Meta(
        as_of=_datetime(meta.get("as_of"), "meta.as_of"),
        start_date=_opt_date(meta.get("start_date"), "meta.start_date"),
        end_date=_opt_date(meta.get("end_date", meta.get("window_end_date")), "meta.end_date"),
        window_days=None if window_days is None else _int(window_days, "meta.window_days"),
        version=meta.get("version") if isinstance(meta.get("version"), str) else None,
    )


def _data(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise MalformedResponse(f"response: expected an object, got {_short(body)}")
    data = _field(body, "data", "response")
    if not isinstance(data, list):
        raise MalformedResponse(f"response.data: expected a list, got {_short(data)}")
    return data


def parse_app_rows(body: Any) -> list[AppRow]:
    rows = []
    for i, r in enumerate(_data(body)):
        w = f"data[{i}]"
        rows.append(
            AppRow(
                app_id=_int(_field(r, "app_id", w), f"{w}.app_id"),
                app_name=_str(_field(r, "app_name", w), f"{w}.app_name"),
                rank=_int(_field(r, "rank", w), f"{w}.rank"),
                total_requests=_int(_field(r, "total_requests", w), f"{w}.total_requests"),
                total_tokens=_int(_field(r, "total_tokens", w), f"{w}.total_tokens"),
            )
        )
    return rows


def parse_model_rows(body: Any) -> list[ModelDayRow]:
    rows = []
    for i, r in enumerate(_data(body)):
        w = f"data[{i}]"
        rows.append(
            ModelDayRow(
                date=_date(_field(r, "date", w), f"{w}.date"),
                model=_str(_field(r, "model_permaslug", w), f"{w}.model_permaslug"),
                total_tokens=_int(_field(r, "total_tokens", w), f"{w}.total_tokens"),
            )
        )
    return rows


def parse_session_rows(body: Any) -> list[SessionCostRow]:
    rows = []
    for i, r in enumerate(_data(body)):
        w = f"data[{i}]"
        rows.append(
            SessionCostRow(
                app_name=_str(_field(r, "app_name", w), f"{w}.app_name"),
                app_slug=_str(_field(r, "app_slug", w), f"{w}.app_slug"),
                model=_str(_field(r, "model_permaslug", w), f"{w}.model_permaslug"),
                turn_range=_str(_field(r, "turn_range", w), f"{w}.turn_range"),
                median_cost_usd=_num(
                    _field(r, "median_session_cost_usd", w), f"{w}.median_session_cost_usd"
                ),
            )
        )
    return rows


def parse_retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds to wait, from ``Retry-After`` (seconds or HTTP date) or ``X-RateLimit-Reset``."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        if value.isascii() and value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - now)
        except (TypeError, ValueError):
            pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            n = float(reset)
        except ValueError:
            return None
        # OpenRouter's inference API sends epoch milliseconds; accept seconds and deltas too.
        if n > 1e12:
            return max(0.0, n / 1000 - now)
        if n > 1e9:
            return max(0.0, n - now)
        return max(0.0, n)
    return None


def _error_message(response: httpx.Response, secret: str | None = None) -> str:
    """The API's own message when the body is its JSON error shape, else a safe summary.

    A proxy or API that echoes the credentials must not make us log, show or store them:
    ``secret`` is cut out before anything else happens to the message."""
    ctype = response.headers.get("content-type", "")
    if "json" in ctype:
        try:
            body = response.json()
            msg = body["error"]["message"]
            if isinstance(msg, str):
                return (msg.replace(secret, "[REDACTED]") if secret else msg)[:300]
        except (ValueError, KeyError, TypeError):
            pass
    kind = ctype.split(";")[0].strip() or "no content type"
    return f"HTTP {response.status_code} with a {kind} body"


# --- client ----------------------------------------------------------------------------

Spend = Callable[[str], AbstractContextManager[object]]  # Budget.spend: around one request
Observer = Callable[[str, str, float], None]  # endpoint, code, seconds


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    meta: Meta


class Client:
    def __init__(
        self,
        cfg: Config,
        api_key: str | None,
        *,
        spend: Spend | None = None,
        observe: Observer | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        o = cfg.openrouter
        headers = {"User-Agent": f"openrouter-exporter/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if o.http_referer:
            headers["HTTP-Referer"] = o.http_referer
        if o.title:
            headers["X-OpenRouter-Title"] = o.title
        if o.categories:
            headers["X-OpenRouter-Categories"] = ",".join(o.categories)
        self._http = httpx.Client(
            base_url=o.base_url + "/",
            headers=headers,
            timeout=o.timeout,
            transport=transport,
            follow_redirects=False,
        )
        self._secret = api_key
        self._spend = spend or (lambda endpoint: nullcontext())
        self._observe = observe or (lambda endpoint, code, seconds: None)
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    def get(self, endpoint: str, params: dict[str, Any]) -> Any:
        """One request → parsed JSON body, or a typed ApiError. Spends budget first: a
        refused request (BudgetExhausted) is neither sent nor observed."""
        with self._spend(endpoint):
            started = time.perf_counter()
            code = "error"
            try:
                response = self._send(endpoint, params)
                code = str(response.status_code)
            finally:
                self._observe(endpoint, code, time.perf_counter() - started)
        return self._body(endpoint, response)

    def _send(self, endpoint: str, params: dict[str, Any]) -> httpx.Response:
        try:
            return self._http.get(f"datasets/{endpoint}", params=params)
        except httpx.TimeoutException as e:
            raise TransportError(f"timed out ({type(e).__name__})", endpoint=endpoint) from None
        except httpx.HTTPError as e:
            text = f"{type(e).__name__}: {e}"
            if self._secret:
                text = text.replace(self._secret, "[REDACTED]")
            raise TransportError(text, endpoint=endpoint) from None

    def _body(self, endpoint: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status == 200:
            ctype = response.headers.get("content-type", "")
            if "json" not in ctype:
                raise UnexpectedContentType(
                    f"expected JSON, got {ctype.split(';')[0] or 'no content type'}",
                    endpoint=endpoint,
                )
            try:
                return json.loads(response.content)
            except (ValueError, RecursionError) as e:  # RecursionError: nested too deep
                raise MalformedResponse(f"invalid JSON: {e}", endpoint=endpoint) from None
        message = _error_message(response, self._secret)
        if status == 400:
            raise BadRequest(message, endpoint=endpoint)
        if status in (401, 403):
            raise Unauthorized(message, endpoint=endpoint)
        if status == 429:
            raise RateLimited(
                message,
                endpoint=endpoint,
                retry_after=parse_retry_after(response.headers, self._clock()),
            )
        if status >= 500:
            raise ServerError(message, endpoint=endpoint, status=status)
        raise HttpError(message, endpoint=endpoint, status=status)

    def _parsed(
        self, endpoint: str, params: dict[str, Any], parse: Callable[[Any], list[Any]]
    ) -> Page:
        body = self.get(endpoint, params)
        try:
            return Page(parse(body), parse_meta(body))
        except MalformedResponse as e:
            e.endpoint = endpoint
            raise

    # --- endpoints -----------------------------------------------------------------

    def app_rankings_pages(self, view: AppView, end: date) -> Iterator[Page]:
        """Pages of one app view, window ending at ``end``; stops at depth or a short page."""
        base: dict[str, Any] = {
            "sort": view.sort,
            "start_date": (end - timedelta(days=view.window_days - 1)).isoformat(),
            "end_date": end.isoformat(),
        }
        if view.category_param:
            base["category"] = view.category_param
        if view.subcategory_param:
            base["subcategory"] = view.subcategory_param
        offset = 0
        while offset < view.depth and offset <= APP_MAX_OFFSET:
            limit = min(APP_PAGE, view.depth - offset)
            page = self._parsed(
                "app-rankings", {**base, "limit": limit, "offset": offset}, parse_app_rows
            )
            yield page
            if len(page.rows) < limit:
                return
            offset += limit

    def app_rankings(self, view: AppView, end: date) -> tuple[list[AppRow], Meta, int]:
        rows: list[AppRow] = []
        meta = Meta()
        pages = 0
        for page in self.app_rankings_pages(view, end):
            rows.extend(page.rows)
            meta = page.meta
            pages += 1
        return rows, meta, pages

    def rankings_daily(
        self, view: ModelView, start: date | None = None, end: date | None = None
    ) -> tuple[list[ModelDayRow], Meta]:
        params: dict[str, Any] = dict(view.params())
        if params.get("period") == "day":
            del params["period"]  # the default; keeps the request identical to the docs' form
        if start:
            params["start_date"] = start.isoformat()
        if end:
            params["end_date"] = end.isoformat()
        page = self._parsed("rankings-daily", params, parse_model_rows)
        return page.rows, page.meta

    def session_cost(self) -> tuple[list[SessionCostRow], Meta, int]:
        rows: list[SessionCostRow] = []
        meta = Meta()
        offset = pages = 0
        while offset <= SESSION_MAX_OFFSET:
            page = self._parsed(
                "session-cost", {"limit": SESSION_PAGE, "offset": offset}, parse_session_rows
            )
            pages += 1
            rows.extend(page.rows)
            meta = page.meta
            if len(page.rows) < SESSION_PAGE:
                break
            offset += SESSION_PAGE
        return rows, meta, pages
