"""The API's own rate limits: a sliding minute per key and a sliding day per account.

Refused requests count too (the reference: they "should still be assumed to count"), so a
client that keeps asking while refused stays refused.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime, timedelta

import httpx

from exporter.simulator.responses import error_response

_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


class RateLimiter:
    """Thread-safe: the HTTP server calls it from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._per_key: dict[str, deque[datetime]] = {}
        self._per_account: deque[datetime] = deque()

    def count(
        self, key: str, at: datetime, per_minute: int, per_day: int
    ) -> tuple[bool, bool, float]:
        """Record one request; report (over minute limit, over day limit, retry-after s)."""
        with self._lock:
            minute = self._per_key.setdefault(key, deque())
            while minute and minute[0] <= at - _MINUTE:
                minute.popleft()
            day = self._per_account
            while day and day[0] <= at - _DAY:
                day.popleft()
            over_minute = len(minute) >= per_minute
            over_day = len(day) >= per_day
            minute.append(at)
            day.append(at)
            # The next request is admitted once enough of the (now longer) window has expired.
            retry = 0.0
            if over_minute:
                oldest = minute[max(0, len(minute) - max(1, per_minute))]
                retry = max(retry, (oldest + _MINUTE - at).total_seconds())
            if over_day:
                oldest = day[max(0, len(day) - max(1, per_day))]
                retry = max(retry, (oldest + _DAY - at).total_seconds())
        return over_minute, over_day, retry

    def refusal(
        self, key: str, at: datetime, per_minute: int, per_day: int, headers: bool
    ) -> httpx.Response | None:
        """Count one request; the 429 to answer when it is over a limit, else None.
        ``headers``: send Retry-After and X-RateLimit-* (undocumented for the live API)."""
        over_minute, over_day, retry = self.count(key, at, per_minute, per_day)
        if not (over_minute or over_day):
            return None
        if over_day:
            message = f"Rate limit exceeded: {per_day} requests per day per account"
        else:
            message = f"Rate limit exceeded: {per_minute} requests per minute per key"
        sent: dict[str, str] = {}
        if headers:
            reset = at + timedelta(seconds=retry)
            sent = {
                "retry-after": str(max(1, math.ceil(retry))),
                "x-ratelimit-limit": str(per_day if over_day else per_minute),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(reset.timestamp() * 1000)),
            }
        return error_response(429, message, sent)
