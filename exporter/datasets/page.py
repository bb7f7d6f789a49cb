"""What a dataset shows in the status page's market section: a chart of its top entries
(or a board of several short ones) and the watch list's ranks in it, as plain data
(exporter.statuspage draws them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from exporter.snapshot import Snapshot

TOP_N = 10


@dataclass(frozen=True)
class Compare:
    """One earlier ranking the current one is compared with: a column of the chart."""

    label: str  # the column's heading: "Δ day", "Δ week", "Δ month"
    since: date | None  # the bucket compared with; None: none held
    depth: int = 0  # how many models that ranking held
    missing: str = ""  # why there is no comparison, when ``since`` is None


@dataclass(frozen=True)
class Move:
    """A rank against an earlier one: ``before`` None means not ranked then (NEW)."""

    now: int
    before: int | None

    @property
    def places(self) -> int:
        """Places climbed: 2 for #5 → #3, negative for a fall, 0 when unchanged."""
        return 0 if self.before is None else self.before - self.now


@dataclass(frozen=True)
class Point:
    day: date  # the bucket's first day
    share: float | None  # of that bucket's tokens, ``other`` included; None: not ranked
    held: bool = True  # False: the snapshot has no ranking for that bucket at all


@dataclass(frozen=True)
class Bar:
    rank: int
    name: str
    value: float  # exact, as on /metrics: a share 0–1 (models) or tokens (apps)
    fraction: float  # bar length relative to the first bar, 0–1
    tokens: int
    requests: int | None = None  # apps only
    moves: tuple[Move | None, ...] = ()  # one per the chart's ``compares``; None: not held
    trend: tuple[Point, ...] = ()  # share per period, oldest first (models only)
    detail: str = ""  # the line under the bar; "": tokens (share) or requests (tokens)
    exact: str = ""  # the value's tooltip; "": the tokens


@dataclass(frozen=True)
class Chart:
    title: str
    subtitle: str
    unit: str  # "share" (0-1, a percentage), "tokens", "dollars" or "number": how value reads
    bars: tuple[Bar, ...]
    as_of: datetime | None
    source: str  # openrouter.ai/…
    empty: str = ""  # why there are no bars
    compares: tuple[Compare, ...] = ()  # the earlier rankings each bar's moves are against
    trend_label: str = ""  # what the sparklines span ("7 days"); empty: none drawn
    period: str = "day"  # of one ranking compared: "day", "week", "month"
    what: str = ""  # the names' column heading; "": model (share) or app (tokens)
    heading: str = ""  # the values' column heading; "": the unit
    credit: str = ""  # a source's own attribution (API text), said instead of OpenRouter's


@dataclass(frozen=True)
class WatchRow:
    ident: str
    name: str
    ranks: tuple[int | None, ...]  # per column; None: not in that ranking


@dataclass(frozen=True)
class WatchTable:
    title: str
    columns: tuple[str, ...]
    depths: tuple[int, ...]  # how deep each column's ranking goes
    rows: tuple[WatchRow, ...]
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class Board:
    """Several short charts in one card (one per view of a dataset), each with its own slot
    (an HTML id) and citation."""

    title: str
    charts: tuple[tuple[str, Chart], ...]
    empty: str = ""  # why there are no charts


@dataclass(frozen=True)
class PageSection:
    """A dataset's part of the market section: ``slot`` is its chart's place (an HTML id)."""

    slot: str
    chart: Chart | Board
    watch: WatchTable | None = None  # None: nothing of this dataset is watched


def oldest(snaps: list[Snapshot]) -> datetime | None:
    stamps = [s.meta.as_of for s in snaps if s.meta.as_of is not None]
    return min(stamps) if stamps else None


def dollars(v: float) -> str:
    """USD as a person reads it: $12.34, $1,234.50, and two significant digits under a
    dollar ($0.42, $0.0042), never an exponent."""
    if not math.isfinite(v):
        return f"${v}"
    if v == 0 or abs(v) >= 1:
        return f"${v:,.2f}"
    places = min(8, max(2, 1 - math.floor(math.log10(abs(v)))))
    return f"${v:.{places}f}"
