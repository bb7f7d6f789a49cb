"""The app rankings' history for the backfill, asked for with ``--apps``: one request per
view and day (per 100 rows of depth), because each answer is one window; newest day first,
each answer kept in ``progress`` as it arrives so a stopped run resumes. Each fetched day as
the live exporter showed it, and the bytes one instant takes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

from exporter.collector import MetaCollector
from exporter.config import Config
from exporter.datasets.apps.config import AppView, app_views
from exporter.datasets.apps.metrics import AppRankingsCollector
from exporter.datasets.apps.progress import AppDay, AppProgress
from exporter.datasets.apps.requests import ENDPOINT, app_rankings
from exporter.datasets.apps.rows import AppRow
from exporter.datasets.history import (
    AS_OF,
    TYPICAL_TOKENS,
    HistoryRun,
    Shown,
    Switch,
    fragment_bytes,
    shown_intervals,
)
from exporter.metrictext import Fragment
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

SWITCH = Switch(
    "--apps",
    "also app rankings: one request per app view and day, on the "
    "shared budget, resumable (progress in state_dir)",
)


def views(cfg: Config) -> tuple[AppView, ...]:
    """The configured app views: the history's one read of the config's views."""
    return app_views(cfg)


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


@dataclass
class AppPlan:
    """One run's app history: every view × day, less what earlier runs kept."""

    cfg: Config
    days: list[date]
    views: tuple[AppView, ...]
    progress: AppProgress
    reveals_published = False

    @cached_property
    def done(self) -> dict[str, set[date]]:
        # Read only when asked for: the kept answers of a long history are large.
        return {v.name: self.progress.done_days(v) for v in self.views}

    @property
    def needs_published(self) -> bool:
        """A 1-day window on an unpublished day is a 400: know the newest day first."""
        return bool(self.views)

    @property
    def total(self) -> int:
        return sum(v.pages for v in self.views) * len(self.days)

    @property
    def remaining(self) -> int:
        wanted = set(self.days)
        return sum(v.pages * len(wanted - self.done.get(v.name, set())) for v in self.views)

    def describe(self, asked: bool) -> list[str]:
        n = len(self.views)
        if not asked:
            return [
                f"app views: not requested ({SWITCH.flag} would add up to {self.total} "
                f"requests for {n} views)"
            ]
        pages = sum(v.pages for v in self.views)
        per_day = f" ({pages} pages)" if pages != n else ""
        return [
            f"app views ({ENDPOINT}, one request per view, day and 100 rows): "
            f"{n} views{per_day} × {len(self.days)} days = {self.total} requests; "
            f"{self.total - self.remaining} done in earlier runs, {self.remaining} left"
        ]

    def instant_bytes(self, stored: Mapping[Key, Snapshot], extra: int) -> int:
        return sum(
            app_instant_bytes(self.cfg, v, stored.get((ENDPOINT, v.name)), extra)
            for v in self.views
        )

    def fetch(self, run: HistoryRun) -> set[date]:
        """Newest day first, every view per day: a partial history is the recent one.
        Returns the days the API does not serve yet (publication is sometimes late)."""
        if not self.views:
            return set()
        total = self.total
        done = total - self.remaining
        # A 1-day window on an unpublished day is a 400 (its start is after the clamped end).
        newest = run.published
        unpublished = {d for d in self.days if newest and d > newest}
        for day in reversed(self.days):
            for view in self.views:
                if day in self.done.get(view.name, set()) or day in unpublished:
                    continue
                run.report("apps", done, total)
                before = run.sent
                rows, meta, _pages = run.call(
                    lambda v=view, d=day: app_rankings(run.client, v, d),
                    f"{ENDPOINT} {view.name} {day}",
                )
                done += run.sent - before
                if meta.end_date is not None and meta.end_date < day:
                    # Not published yet (the API clamped end_date): fetched again next run.
                    unpublished.add(day)
                    run.say(f"apps: {day} is not published yet; skipped")
                    continue
                self.progress.record(view, day, rows, meta.as_of)
                self.done.setdefault(view.name, set()).add(day)
        run.report("apps", done, total, force=True)
        return unpublished

    def shown(self) -> Iterator[Iterable[tuple[Shown, Fragment]]]:
        first, last = self.days[0], self.days[-1]
        for view in self.views:
            days = {d: r for d, r in self.progress.load(view).items() if first <= d <= last}
            yield app_history(self.cfg, view, days)


class AppHistory:
    """app-rankings' history: costly, so only with its switch; resumable across runs."""

    switch = SWITCH
    labels = AppRankingsCollector.LABELS
    # The view info joins view-level series to app series, as on /metrics.
    families = (*AppRankingsCollector.families, *AppRankingsCollector.info_families)
    detects = False

    def plan(self, cfg: Config, first: date, last: date) -> AppPlan:
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return AppPlan(cfg, days, views(cfg), AppProgress(Path(cfg.state_dir)))

    def detect(self, run: HistoryRun, last: date) -> None:
        raise NotImplementedError("an app ranking tells no newest day of its own")
