"""Watched apps (``watch.apps``: app ids) against the app views held. An app in no view is
reported (``openrouter_watched_ranked`` 0 and a log line): a typo, or below every view's
depth."""

from __future__ import annotations

from collections.abc import Mapping

from exporter.config import Config
from exporter.datasets.apps.config import watched_apps
from exporter.datasets.apps.requests import ENDPOINT
from exporter.datasets.apps.rows import AppRow
from exporter.datasets.base import Watched
from exporter.metrictext import Family, sample_line
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

WATCHED = Family(
    "openrouter_watched_app_info",
    "Apps on the configured watchlist (watch.apps), for scoping alerts by join on app_id.",
    ("app_id",),
)


def watched(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Watched:
    app_ids: set[int] = set()
    known = False  # some app view has data: "not ranked" means something
    for (dataset, _view), snap in snaps.items():
        if dataset == ENDPOINT:
            known = True
            app_ids.update(r.app_id for r in snap.rows if isinstance(r, AppRow))
    found = {a: a in app_ids for a in watched_apps(cfg)}
    lines = [sample_line(WATCHED.name, f'app_id="{a}"', 1) for a in found]
    ranked = tuple(("app", str(a), f) for a, f in found.items()) if known else ()
    missing = tuple(f"app {a}" for a, f in found.items() if known and not f)
    return Watched({WATCHED.name: "".join(lines)}, ranked, missing)
