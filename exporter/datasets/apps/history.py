"""The app rankings' history for the backfill: each fetched day of a view as the live
exporter showed it, and the bytes one instant takes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from exporter.collector import MetaCollector
from exporter.config import AppView, Config
from exporter.datasets.apps.metrics import AppRankingsCollector
from exporter.datasets.apps.requests import ENDPOINT
from exporter.datasets.apps.rows import AppRow
from exporter.datasets.history import (
    AS_OF,
    TYPICAL_TOKENS,
    Shown,
    fragment_bytes,
    shown_intervals,
)
from exporter.metrictext import Fragment
from exporter.snapshot import Meta, Snapshot


@dataclass(frozen=True)
class AppDay:
    """One fetched day of an app view: its rows and the response's meta.as_of."""

    rows: list[AppRow]
    as_of: datetime | None


def app_history(
    cfg: Config, view: AppView, days: dict[date, AppDay]
) -> Iterator[tuple[Shown, Fragment]]:
    """Each fetched day of an app view: the window ending D, shown during D+1."""
    collector, meta = AppRankingsCollector(cfg), MetaCollector()
    for shown in shown_intervals(days, "day", 1):
        day = days[shown.period]
        info = Meta(end_date=shown.period, as_of=day.as_of)
        snap = Snapshot(ENDPOINT, view.name, tuple(day.rows), info, 0.0)
        yield shown, collector.render(snap) | meta.render(snap)


def _typical_apps(view: AppView) -> tuple[AppRow, ...]:
    return tuple(
        # App names average about 20 characters.
        AppRow(100000 + i, f"Typical app name {i:02d}", i + 1, 1_234_567 - i, TYPICAL_TOKENS - i)
        for i in range(view.depth)
    )


def app_instant_bytes(cfg: Config, view: AppView, stored: Snapshot | None, extra: int) -> int:
    snap = stored or Snapshot(
        ENDPOINT,
        view.name,
        _typical_apps(view),
        Meta(end_date=date(2025, 12, 1), as_of=AS_OF),
        0.0,
    )
    return fragment_bytes(
        AppRankingsCollector(cfg).render(snap) | MetaCollector().render(snap), extra
    )
