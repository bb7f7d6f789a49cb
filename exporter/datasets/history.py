"""A dataset's history support for the backfill: the small protocol every dataset's
``history`` follows, and what those histories share (when the live exporter showed each
period, date windows of the API's size, how many bytes a rendered instant takes).

``Dataset.history`` is a ``History`` or a ``NoHistory`` saying why there is none; the
backfill iterates the registry and never names a dataset. One run goes: ``History.plan``
(what it costs and which requests it needs, for the estimate), ``HistoryPlan.fetch`` (its
requests, through the ``HistoryRun`` the backfill gives it: the shared budget, its waits and
stops, progress lines), ``HistoryPlan.shown`` (each view's periods as the live exporter
showed them, rendered by the live collectors: the file).

A day D is first served at 00:00 UTC of D+1 (the API never serves the current day), so a
period is on /metrics from the day after its last day until the next one replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from exporter.config import MAX_WINDOW_DAYS
from exporter.metrictext import Family, Fragment
from exporter.periods import bucket_end, bucket_start, day_start
from exporter.viewstatus import Key

if TYPE_CHECKING:
    from exporter.client import Client
    from exporter.config import Config
    from exporter.snapshot import Snapshot

FLOOR = date(2025, 1, 1)  # the first day the Data API has
STAMP_BYTES = len(" 1767225600")  # a space and a 10-digit timestamp in seconds
# Typical sizes, measured on the simulator's catalogue (modelled on the live rankings).
AS_OF = datetime(2025, 12, 2, 2, 0, 0, 123000, tzinfo=UTC)
TYPICAL_TOKENS = 123_456_789_012  # 12 significant digits, as the live counts have

T = TypeVar("T")


# --- the protocol -------------------------------------------------------------------------


@dataclass(frozen=True)
class NoHistory:
    """The declared "no history": why the backfill has nothing to fetch for a dataset."""

    reason: str  # what the estimate says, e.g. "the API serves only the current scores"


@dataclass(frozen=True)
class Switch:
    """The flag that asks for a history too costly to fetch unasked (``--apps``)."""

    flag: str
    help: str


class AlreadyRunning(Exception):
    """Another backfill holds this state directory."""


class Progress(Protocol):
    """What a resumable history keeps across runs, in ``dir``; one backfill at a time."""

    dir: Path
    what: str  # what is kept, in the run's messages ("app rankings")
    requests: str  # its requests, in the closing line ("app requests")

    def lock(self) -> None:
        """Raises ``AlreadyRunning`` while another backfill holds ``dir``."""

    def unlock(self) -> None: ...


class HistoryRun(Protocol):
    """What the backfill gives a history while it fetches."""

    client: Client
    sent: int  # requests sent so far in this run, pages included

    @property
    def published(self) -> date | None:
        """The newest day the API served in this run (None: not known yet)."""

    def note_published(self, end: date | None) -> None:
        """An answer's ``meta.end_date`` (the API clamps it to its newest day)."""

    def call(self, fn: Callable[[], T], what: str) -> T:
        """One API call on the shared budget, sitting out its short waits; raises the
        backfill's stop (exit 1 or 3) when it cannot go on."""

    def say(self, msg: str) -> None: ...

    def report(self, what: str, done: int, total: int, *, force: bool = False) -> None:
        """A progress line (at most every few seconds unless forced): requests done and
        left, the budget used, the estimated finish."""


class HistoryPlan(Protocol):
    """One run's share of a dataset's history: its cost, its requests, what it writes."""

    total: int  # requests for the whole range
    needs_published: bool  # its requests need the newest published day first
    reveals_published: bool  # its own requests tell the newest published day
    progress: Progress | None  # where a resumable history keeps what it fetched

    @property
    def remaining(self) -> int:
        """Of ``total``, what is still to send (the rest was kept by earlier runs)."""

    def describe(self, asked: bool) -> list[str]:
        """Its lines in the estimate; ``asked`` False: its switch was not given."""

    def instant_bytes(self, stored: Mapping[Key, Snapshot], extra: int) -> int:
        """Bytes of one instant of its views in the file (``fragment_bytes``), rendered from
        the exporter's stored snapshot of a view when there is one, else typical rows."""

    def fetch(self, run: HistoryRun) -> set[date]:
        """Its requests; returns the days the API does not serve yet (fetched next run)."""

    def shown(self) -> Iterator[Iterable[tuple[Shown, Fragment]]]:
        """Each view's history, one view at a time: its periods, rendered, and when each
        was on /metrics."""


class History(Protocol):
    """A dataset's history support for the backfill (``Dataset.history``)."""

    switch: Switch | None  # None: always fetched; else only when its flag is given
    labels: tuple[str, ...]  # its metrics' label names: a --label may not reuse one
    families: tuple[Family, ...]  # its own families in the file, in file order
    detects: bool  # one request of its own can find the newest published day

    def plan(self, cfg: Config, first: date, last: date) -> HistoryPlan: ...

    def detect(self, run: HistoryRun, last: date) -> None:
        """One request that tells ``run`` the newest published day up to ``last``."""


# --- what the histories share ---------------------------------------------------------------


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


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def split_windows(
    start: date, end: date, period: str = "day", max_days: int = MAX_WINDOW_DAYS
) -> list[Window]:
    """[start, end] in as few windows of at most ``max_days`` as fit, cut only at bucket
    boundaries, and of about equal length.

    A week or month cut in two would come back as two partial buckets with the same date.
    Equal lengths keep the newest window long: a few-day window after a late publication
    would start after the API's newest day, which is a 400.
    """
    windows: list[Window] = []
    cursor = start
    while cursor <= end:
        left = (end - cursor).days + 1
        parts = -(-left // max_days)
        stop = cursor + timedelta(days=-(-left // parts) - 1)
        if stop >= end:
            stop = end
        elif bucket_end(bucket_start(stop, period), period) != stop:
            stop = bucket_start(stop, period) - timedelta(days=1)
        windows.append(Window(cursor, stop))
        cursor = stop + timedelta(days=1)
    return windows
