"""What a dataset's history support for the backfill shares: when the live exporter showed
each period, and how many bytes a rendered instant takes in the file.

A day D is first served at 00:00 UTC of D+1 (the API never serves the current day), so a
period is on /metrics from the day after its last day until the next one replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from exporter.periods import bucket_end, day_start

STAMP_BYTES = len(" 1767225600")  # a space and a 10-digit timestamp in seconds
# Typical sizes, measured on the simulator's catalogue (modelled on the live rankings).
AS_OF = datetime(2025, 12, 2, 2, 0, 0, 123000, tzinfo=UTC)
TYPICAL_TOKENS = 123_456_789_012  # 12 significant digits, as the live counts have


def fragment_bytes(fragment: Mapping[str, str], extra: int) -> int:
    """Bytes of a rendered instant in the file: each line, ``extra`` label bytes, a stamp."""
    lines = [line for text in fragment.values() for line in text.split("\n") if line]
    return sum(len(line.encode("utf-8")) + 1 + extra + STAMP_BYTES for line in lines)


@dataclass(frozen=True)
class Shown:
    """A period and the instants [start, until) at which the live exporter showed it."""

    period: date
    start: int
    until: int


def shown_intervals(buckets: Iterable[date], period: str, hold_days: int) -> list[Shown]:
    """When each bucket is on /metrics: from 00:00 UTC of the day after its last day (when
    the API first serves that day) until the next bucket present replaces it, or until the
    bucket has left the live view's window of ``hold_days`` days, whichever is first."""
    ordered = sorted(set(buckets))
    out: list[Shown] = []
    for i, b in enumerate(ordered):
        last = bucket_end(b, period)
        until = day_start(last + timedelta(days=hold_days + 1))
        if i + 1 < len(ordered):
            until = min(until, day_start(bucket_end(ordered[i + 1], period) + timedelta(days=1)))
        out.append(Shown(b, day_start(last + timedelta(days=1)), until))
    return out
