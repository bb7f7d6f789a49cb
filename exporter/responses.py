"""Data API responses → typed rows and meta, or a typed error.

Every response is untrusted input: whatever the body (any JSON value, invalid JSON, JSON
nested too deep, numbers of 400 digits, timestamps in year 1, any bytes), it ends in rows
or an ``ApiError`` whose ``code`` is the metrics label, never an exception that escapes.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from exporter.snapshot import Meta

log = logging.getLogger(__name__)

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
    try:
        text = repr(value)
    except RecursionError:  # JSON nested as deep as the decoder allows, repr'd deeper
        return "a value nested too deep"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(obj: Any, name: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise MalformedResponse(f"{where}: expected an object, got {_short(obj)}")
    if name not in obj:
        raise MalformedResponse(f"{where}: missing field {name!r}")
    return obj[name]


def parse_meta(body: dict[str, Any]) -> Meta:
    """What is read of ``meta``: ``as_of`` and ``end_date`` (``window_end_date`` for
    session-cost). The other documented fields are never validated (see ``_note_unread``)."""
    meta = _field(body, "meta", "response")
    if not isinstance(meta, dict):
        raise MalformedResponse(f"response.meta: expected an object, got {_short(meta)}")
    _note_unread(meta)
    return Meta(
        as_of=_datetime(meta.get("as_of"), "meta.as_of"),
        end_date=_opt_date(meta.get("end_date", meta.get("window_end_date")), "meta.end_date"),
    )


def _iso_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
        return True
    except (TypeError, ValueError):
        return False


# Documented meta fields (the SDK's RankingsDailyMeta, SessionCostMeta) that nothing reads:
# an odd value there must not fail a refresh. One unlike the documentation is logged once,
# at debug: a hint that the API changed, not an error.
_UNREAD_META: dict[str, Callable[[Any], bool]] = {
    "start_date": _iso_date,
    "window_days": lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
    "version": lambda v: isinstance(v, str),
}
_NOTED: set[str] = set()


def _note_unread(meta: dict[str, Any]) -> None:
    for name, as_documented in _UNREAD_META.items():
        if name in meta and name not in _NOTED and not as_documented(meta[name]):
            _NOTED.add(name)
            log.debug(
                "meta.%s: %s is not what the API documents; not read by this exporter, so ignored",
                name,
                _short(meta[name]),
            )


def _data(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise MalformedResponse(f"response: expected an object, got {_short(body)}")
    data = _field(body, "data", "response")
    if not isinstance(data, list):
        raise MalformedResponse(f"response.data: expected a list, got {_short(data)}")
    return data


# The readers a dataset's row parser (exporter/datasets/*/rows.py) declares its fields with.
data_of, field, integer, string, number, day = _data, _field, _int, _str, _num, _date

Read = Callable[[Any, str], Any]
R = TypeVar("R")


def rows_from(body: Any, row: Callable[..., R], fields: dict[str, tuple[str, Read]]) -> list[R]:
    """One ``row`` per item of the body's ``data``, each keyword read from its wire field
    (``{keyword: (wire name, reader)}``); an error names the item and the field. Only the
    declared fields are read: anything else in an item is ignored."""
    rows = []
    for i, item in enumerate(_data(body)):
        where = f"data[{i}]"
        values = {
            k: read(_field(item, wire, where), f"{where}.{wire}")
            for k, (wire, read) in fields.items()
        }
        rows.append(row(**values))
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


def read_body(endpoint: str, response: httpx.Response, secret: str | None, now: float) -> Any:
    """A response → its parsed JSON body, or the ApiError its status stands for."""
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
    message = _error_message(response, secret)
    if status == 400:
        raise BadRequest(message, endpoint=endpoint)
    if status in (401, 403):
        raise Unauthorized(message, endpoint=endpoint)
    if status == 429:
        raise RateLimited(
            message, endpoint=endpoint, retry_after=parse_retry_after(response.headers, now)
        )
    if status >= 500:
        raise ServerError(message, endpoint=endpoint, status=status)
    raise HttpError(message, endpoint=endpoint, status=status)
