"""Clocks for the simulator's notion of "now": a settable one for tests, and the real one
shifted to the day after a replayed history."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta


class ManualClock:
    """Callable clock that only moves when told to: pass it as `Simulator(now=clock)`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def timestamp(self) -> float:
        """Unix seconds, for code that takes a float clock (the exporter's scheduler and
        budget), so one clock drives both sides."""
        return self().timestamp()

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move forward by `delta` or by timedelta keyword arguments; returns the new time."""
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("when must be timezone-aware")
        with self._lock:
            self._now = when.astimezone(UTC)


class ShiftedClock:
    """The real clock moved by whole days so that "today" is ``today`` when it is built:
    time of day, and the time between two calls, stay real (rate-limit windows work)."""

    def __init__(self, today: date, real: Callable[[], datetime] | None = None) -> None:
        self._real = real or (lambda: datetime.now(UTC))
        self._shift = timedelta(days=(today - self._real().date()).days)

    def __call__(self) -> datetime:
        return self._real() + self._shift
