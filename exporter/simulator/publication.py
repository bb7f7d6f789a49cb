"""When each day of data appears, and how the newest day settles after it does.

The live API publishes a UTC day a few hours after it closes, sometimes a day or more
late, and some days never (they are missing from the history). The day just published
keeps growing for a few hours (tens of ppm). Session cost is a weekly snapshot ending on
a Sunday, published on Monday morning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta


def day_close(day: date) -> datetime:
    """The instant a UTC day ends (00:00 of the next day)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


@dataclass(frozen=True)
class PublicationSchedule:
    """Publication time of every day: ``times`` where given, else close + ``delay``.

    Days are published in order: a day late holds back every later one (the API's
    ``end_date`` only moves forward), so the newest day served at ``now`` is the last one
    whose publication, and every earlier one's, is due. A skipped day (missing from the
    market's history) is published with the day after it, so ``end_date`` jumps over it.
    """

    times: Mapping[date, datetime] = field(default_factory=dict)
    delay: timedelta = timedelta(0)
    growth_ppm: int = 0
    """How far below its final value the newest day starts, in parts per million."""
    growth_time: timedelta = timedelta(hours=6)
    """How long a published day keeps growing until it reaches its final value."""
    session_cost_delay: timedelta = timedelta(0)
    """After the Monday 00:00 that closes a weekly session-cost window, until it is served."""

    def published_at(self, day: date) -> datetime:
        """When the day is served: its own time, or later when an earlier day is late."""
        own = self.times.get(day) or day_close(day) + self.delay
        return max([own, *(at for d, at in self.times.items() if d < day)])

    def latest_day(self, now: datetime) -> date:
        """The newest day served at ``now``: the day before the earliest one not yet due."""
        newest = now.date() - timedelta(days=1)
        pending = [d for d, at in self.times.items() if d <= newest and at > now]
        day = newest
        while day_close(day) + self.delay > now:  # close + delay only grows with the day
            if day not in self.times:
                pending.append(day)
            day -= timedelta(days=1)
        return min(pending) - timedelta(days=1) if pending else newest

    def shortfall(self, day: date, now: datetime) -> float:
        """Fraction (0 to growth_ppm / 1e6) the day's figures still lack at ``now``."""
        if self.growth_ppm <= 0:
            return 0.0
        elapsed = now - self.published_at(day)
        if elapsed >= self.growth_time:
            return 0.0
        remaining = 1.0 - max(elapsed, timedelta(0)) / self.growth_time
        return self.growth_ppm * remaining / 1e6

    def growing(
        self, latest: date, start: date, end: date, now: datetime
    ) -> list[tuple[date, float]]:
        """Published days (up to ``latest``) in [start, end] still growing at ``now``, with
        the fraction each still lacks."""
        days = (latest - timedelta(days=back) for back in range(7))
        return [
            (day, lack)
            for day in days
            if start <= day <= end and (lack := self.shortfall(day, now)) > 0
        ]

    def session_cost_window_end(self, now: datetime) -> date:
        """The Sunday ending the newest weekly window served at ``now``."""
        today = now.date()
        sunday = today - timedelta(days=(today.weekday() + 1) % 7 or 7)
        if now < day_close(sunday) + self.session_cost_delay:
            sunday -= timedelta(days=7)
        return sunday


def bucket_shortfall(
    bucket: date, period: str | None, tokens: int, growing: list[tuple[date, float]]
) -> int:
    """Tokens a rankings-daily row still lacks while a day in its bucket grows: that
    fraction of the whole row for a day, of the day's average share of a week or month."""
    lacking = 0.0
    for day, lack in growing:
        last = bucket if period in (None, "day") else _bucket_last_day(bucket, period)
        if bucket <= day <= last:
            lacking += tokens * lack / ((last - bucket).days + 1)
    return int(lacking)


def _bucket_last_day(bucket: date, period: str) -> date:
    if period == "week":
        return bucket + timedelta(days=6)
    return (bucket.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
