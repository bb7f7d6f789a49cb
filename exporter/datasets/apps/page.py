"""The app rankings on the status page: top apps by tokens of the most popular-looking
view, and the watched apps' ranks. Rows are the collector's (``unique_apps``)."""

from __future__ import annotations

from collections.abc import Mapping

from exporter.config import Config
from exporter.datasets.apps.config import AppView, app_views, watched_apps
from exporter.datasets.apps.metrics import unique_apps
from exporter.datasets.apps.requests import ENDPOINT as NAME
from exporter.datasets.apps.rows import AppRow
from exporter.datasets.page import (
    TOP_N,
    Bar,
    Chart,
    Compare,
    PageSection,
    WatchRow,
    WatchTable,
    oldest,
)
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

SOURCE = "openrouter.ai/apps"
# An app view's snapshot holds one window's ranking and the store keeps only the newest,
# so app ranks have nothing to be compared with.
NOT_HELD_APPS = "no previous day held: the exporter keeps only the newest ranking of each app view"


def section(cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection:
    return PageSection("apps", _app_chart(cfg, snaps), _watched_apps(cfg, snaps))


def _app_rows(snap: Snapshot) -> list[AppRow]:
    return sorted(unique_apps(snap), key=lambda r: r.rank)


def _popularity(v: AppView) -> tuple[bool, bool, int]:
    """The most popular-looking view first: all apps, sorted by tokens, shortest window."""
    return (v.filter != "all", v.sort != "popular", v.window_days)


def _app_chart(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Chart:
    views = sorted((v for v in app_views(cfg) if (NAME, v.name) in snaps), key=_popularity)
    source = SOURCE
    if not views:
        why = "No app rankings yet." if app_views(cfg) else "No app view is configured."
        return Chart("Top apps by tokens", "", "tokens", (), None, source, why)
    view = views[0]
    snap = snaps[(NAME, view.name)]
    top = _app_rows(snap)[:TOP_N]
    first = max((r.total_tokens for r in top), default=0)
    bars = tuple(
        Bar(
            r.rank,
            r.app_name,
            float(r.total_tokens),
            r.total_tokens / first if first else 0.0,
            r.total_tokens,
            r.total_requests,
            moves=(None,),
        )
        for r in top
    )
    end = snap.meta.end_date.isoformat() if snap.meta.end_date else "?"
    window = end if view.window_days == 1 else f"{view.window_days} days to {end}"
    return Chart(
        "Top apps by tokens",
        f"{window} · view {view.name}",
        "tokens",
        bars,
        snap.meta.as_of,
        source,
        "" if bars else "This ranking is empty.",
        compares=(Compare("Δ day", None, 0, NOT_HELD_APPS),),
    )


def _watched_apps(cfg: Config, snaps: Mapping[Key, Snapshot]) -> WatchTable | None:
    if not watched_apps(cfg):
        return None
    views = sorted(
        (
            v
            for v in app_views(cfg)
            if v.filter == "all" and v.sort == "popular" and (NAME, v.name) in snaps
        ),
        key=lambda v: v.window_days,
    )
    held = [snaps[(NAME, v.name)] for v in views]
    ranks = [{r.app_id: r for r in _app_rows(s)} for s in held]
    names: dict[int, str] = {}
    for snap in snaps.values():  # a name from any view, if the app is ranked anywhere
        if snap.dataset == NAME:
            for r in snap.rows:
                names.setdefault(r.app_id, r.app_name)
    rows = tuple(
        WatchRow(
            str(app_id),
            names.get(app_id, f"app {app_id}"),
            tuple(r[app_id].rank if app_id in r else None for r in ranks),
        )
        for app_id in watched_apps(cfg)
    )
    return WatchTable(
        "Watched apps: rank among all apps, by tokens",
        tuple(v.window for v in views),
        tuple(v.depth for v in views),
        rows,
        oldest(held),
        SOURCE,
    )
