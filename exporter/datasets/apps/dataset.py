"""app-rankings: one ranking per window × sort × filter, fetched to the configured depth.

An app view's window ends at the newest published day, so it waits for the detector.
When the budget cannot refresh every app view each day, they rotate: each view refreshes
on the published days of its group (day ordinal modulo the rotation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from exporter.config import Config
from exporter.datasets.apps import config, page, watch
from exporter.datasets.apps.config import AppView, app_views
from exporter.datasets.apps.history import AppHistory
from exporter.datasets.apps.metrics import AppRankingsCollector
from exporter.datasets.apps.requests import ENDPOINT, app_rankings
from exporter.datasets.apps.rows import AppRow
from exporter.datasets.base import Collector, Dataset, PlannedView, Publication, View, Watched
from exporter.datasets.page import PageSection
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

if TYPE_CHECKING:
    from exporter.client import Client


def _wide_first(indexed: tuple[int, AppView]) -> tuple[bool, bool, bool, int]:
    """ "all" before categories before subcategories, popular first, then config order."""
    i, v = indexed
    return (v.filter != "all", v.subcategory_param is not None, v.sort != "popular", i)


class AppRankings(Dataset):
    name = ENDPOINT
    row_type = AppRow
    source = page.SOURCE
    history = AppHistory()
    watch_families = (watch.WATCHED,)
    rotates = True
    config_key = config.KEY
    config_section = config.SECTION
    watch_setting = config.WATCH

    def collector(self, cfg: Config) -> Collector:
        return AppRankingsCollector(cfg)

    def watch(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> Watched:
        return watch.watched(cfg, snaps)

    def page(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection:
        return page.section(cfg, snaps)

    def summary(self, cfg: Config) -> str:
        return f"{len(app_views(cfg))} app"

    def planned(self, cfg: Config) -> list[PlannedView]:
        ordered = sorted(enumerate(app_views(cfg)), key=_wide_first)
        return [PlannedView(self.name, v.name, v.pages, 2) for _, v in ordered]

    def spec(self, cfg: Config, planned: PlannedView) -> AppView | None:
        return next((v for v in app_views(cfg) if v.name == planned.view), None)

    def ready(self, view: View, days: Publication) -> bool:
        return days.latest is not None

    def fetch(
        self, client: Client, view: View, days: Publication, today: date
    ) -> tuple[Sequence[Any], Meta]:
        assert days.latest is not None
        rows, meta, _pages = app_rankings(client, view.spec, days.latest)
        return rows, meta

    def missed(self, view: View, day: date, days: Publication) -> bool:
        """The view lacks a day its turns ask for, up to ``day``. Days published together
        (one was late) or a turn lost to a failure and a restart count too."""
        if view.end_date is None:
            return True
        if view.end_date >= day:
            return False
        span = days.rotation_days
        if span == 1 or (day - view.end_date).days >= span:
            return True
        turns = range(view.end_date.toordinal() + 1, day.toordinal() + 1)
        return any(d % span == view.planned.group for d in turns)

    def current(self, view: View, days: Publication) -> bool:
        return days.latest is not None and not self.missed(view, days.latest, days)

    def wants(self, view: View, day: date, days: Publication) -> bool:
        return self.missed(view, day, days)

    def next_day(self, view: View, days: Publication) -> date | None:
        if days.latest is None:
            return None
        d = days.latest + timedelta(days=1)
        while days.rotation_days > 1 and d.toordinal() % days.rotation_days != view.planned.group:
            d += timedelta(days=1)
        return d
