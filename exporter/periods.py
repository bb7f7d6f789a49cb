"""UTC days, period buckets and sliding windows: the calendar arithmetic every part shares.

The Data API speaks in UTC days. A day D is served from 00:00 UTC of D+1; rows of a
``week`` view are ISO weeks (Monday to Sunday), rows of a ``month`` view calendar months,
each dated by its first day. The request budget counts requests in sliding windows
(the last 60 s, the last 24 h).
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

DAY_SECONDS = 86400


def utc_day(ts: float) -> date:
    """The UTC day an instant falls on."""
    return datetime.fromtimestamp(ts, UTC).date()


def utc_minute(ts: float) -> str:
    """An instant as people read it in logs and on the page: ``2026-05-12 02:00 UTC``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def day_start(d: date) -> int:
    """00:00 UTC of ``d``, in Unix seconds."""
    return calendar.timegm(d.timetuple())


def bucket_start(d: date, period: str) -> date:
    """First day of the ``day``/``week``/``month`` bucket holding ``d``."""
    if period == "week":
        return d - timedelta(days=d.weekday())  # the API buckets by ISO week (Monday)
    if period == "month":
        return d.replace(day=1)
    return d


def bucket_end(start: date, period: str) -> date:
    """Last day of the bucket that starts on ``start``."""
    if period == "week":
        return start + timedelta(days=6)
    if period == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return start


def latest_complete(day: date, period: str) -> date:
    """Start of the newest bucket whose last day is on or before ``day``."""
    b = bucket_start(day, period)
    if bucket_end(b, period) <= day:
        return b
    return bucket_start(b - timedelta(days=1), period)


def complete_buckets(starts: Iterable[date], period: str, last_day: date) -> list[date]:
    """The buckets among ``starts`` that are complete by ``last_day``, oldest first.

    The API returns a partial trailing week or month without marking it: a bucket is
    complete when its last day is on or before the last published day.
    """
    return sorted({s for s in starts if bucket_end(s, period) <= last_day})


def within(times: Sequence[float], now: float, span: float) -> Sequence[float]:
    """The instants of sorted ``times`` inside the sliding window (now - span, now]."""
    return times[bisect.bisect_right(times, now - span) :]


def count_within(times: Sequence[float], now: float, span: float) -> int:
    """How many of sorted ``times`` fall inside the sliding window (now - span, now]."""
    return len(times) - bisect.bisect_right(times, now - span)
