"""What moved: rank changes and share trends of the top models, from the days a model
view's snapshot already holds.

A rankings-daily response covers its whole date window (the detector's plain daily view
fetches about two weeks), so one snapshot holds every day's top 50 and ``other``. Each
earlier day is ranked with the collector's own ``period_at``, so a rank here is the rank
/metrics had on that day. Nothing is estimated: a model absent from a day's top 50 has no
rank and no share that day (its tokens are inside ``other``), and a day the snapshot does
not hold is not compared with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from exporter.datasets.models.metrics import ModelPeriod, period_at
from exporter.datasets.models.rows import ModelDayRow
from exporter.datasets.page import Compare, Move, Point
from exporter.periods import complete_buckets

TREND_POINTS = 7  # the sparkline's length: a week of days (or 7 weeks, 7 months)


@dataclass(frozen=True)
class Moves:
    """Per model: its moves (one per comparison) and its share trend."""

    compares: tuple[Compare, ...]
    trend_label: str  # "7 days", "7 weeks"
    moves: dict[str, tuple[Move | None, ...]]
    trends: dict[str, tuple[Point, ...]]


def ranks(period: ModelPeriod) -> dict[str, int]:
    """Rank by model as the collector numbers them: ``other`` has none."""
    ranked = [m for m, _ in period.rows if m != "other"]
    return {m: i for i, m in enumerate(ranked, 1)}


class _Held:
    """The complete buckets of one snapshot up to the latest, each ranked once on demand."""

    def __init__(
        self, rows: Iterable[ModelDayRow], period: str, latest: ModelPeriod, end: date | None
    ) -> None:
        self.by_day: dict[date, list[ModelDayRow]] = defaultdict(list)
        for r in rows:
            self.by_day[r.date].append(r)
        # Complete by the snapshot's end_date, as the collector's latest_complete_period.
        held = complete_buckets(self.by_day, period, end or max(self.by_day))
        self.buckets = [b for b in held if b <= latest.period_start]
        self.held = set(self.buckets)
        self.periods: dict[date, ModelPeriod] = {}
        self.ranks: dict[date, dict[str, int]] = {}
        self.tokens: dict[date, dict[str, int]] = {}
        self._keep(latest)

    def _keep(self, p: ModelPeriod) -> ModelPeriod:
        self.periods[p.period_start] = p
        self.ranks[p.period_start] = ranks(p)
        self.tokens[p.period_start] = dict(p.rows)
        return p

    def at(self, day: date) -> ModelPeriod:
        return self.periods.get(day) or self._keep(period_at(self.by_day[day], day))

    def compare(self, label: str, since: date | None, missing: str) -> Compare:
        if since is None or since not in self.held:
            return Compare(label, None, 0, missing)
        self.at(since)
        return Compare(label, since, len(self.ranks[since]))


def _compares(held: _Held, period: str, latest: date) -> tuple[Compare, ...]:
    """The previous bucket held (a day never published is skipped: the one before it is
    the previous published day) and, for days, the day a week before."""
    earlier = [b for b in held.buckets if b < latest]
    out = [
        held.compare(
            f"Δ {period}", earlier[-1] if earlier else None, f"no earlier {period} held by the view"
        )
    ]
    if period == "day":
        week = latest - timedelta(days=7)
        out.append(held.compare("Δ week", week, f"{week.isoformat()} is not held by the view"))
    return tuple(out)


def _trend_days(held: _Held, period: str, latest: date) -> list[date]:
    """The sparkline's buckets: for days, the calendar days to ``latest`` (a day not
    published is a gap, not a skipped point); coarser periods use the buckets held."""
    if period != "day":
        return held.buckets[-TREND_POINTS:]
    days = [latest - timedelta(days=n) for n in range(TREND_POINTS - 1, -1, -1)]
    first = held.buckets[0] if held.buckets else latest
    return [d for d in days if d >= first]  # before the first day held: not fetched


def _trend(held: _Held, days: list[date], model: str) -> tuple[Point, ...]:
    points = []
    for day in days:
        if day not in held.held:
            points.append(Point(day, None, held=False))
            continue
        p = held.at(day)
        ranked = model in held.ranks[day] and p.total > 0
        points.append(Point(day, held.tokens[day][model] / p.total if ranked else None))
    return tuple(points)


def model_moves(
    rows: Iterable[ModelDayRow],
    period: str,
    latest: ModelPeriod,
    end: date | None,
    top: list[str],
) -> Moves:
    """Moves and trends of the ``top`` models of ``latest``: a snapshot's ``rows`` and
    ``meta.end_date``, ``latest`` its ``model_period``."""
    held = _Held(rows, period, latest, end)
    start = latest.period_start
    compares = _compares(held, period, start)
    now = held.ranks[start]
    moves = {
        m: tuple(
            None if c.since is None else Move(now[m], held.ranks[c.since].get(m)) for c in compares
        )
        for m in top
    }
    days = _trend_days(held, period, start)
    return Moves(
        compares,
        f"{len(days)} {period}{'s' if len(days) != 1 else ''}",
        moves,
        {m: _trend(held, days, m) for m in top},
    )
