"""The watch lists, matched against the data the exporter holds.

A watched model may be written as its dated permaslug, as the metrics carry it
(``anthropic/claude-sonnet-4-20250514``), or in the short form people use
(``anthropic/claude-sonnet-4``): a short entry matches the permaslugs that add a date to
it, with the same ``:variant`` (``:free`` ranks as its own entry). A dated entry matches
only itself. An entry no ranking contains is reported (a metric and a log line per
refresh): a typo, a model below the top 50, an app below every view's depth.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from exporter.config import Config
from exporter.datasets.apps import AppRankings, AppRow
from exporter.datasets.models import ModelRankings, matches, model_period
from exporter.metrictext import Family, Fragment, label_string, sample_line
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    """What each watched entry is in the data: its permaslugs (models), whether ranked."""

    models: dict[str, tuple[str, ...]]  # entry -> permaslugs it matches (may be empty)
    apps: dict[int, bool]  # app id -> in some app view
    models_known: bool  # some model view has data: "not ranked" means something
    apps_known: bool


def resolve(cfg: Config, snapshots: Mapping[Key, Snapshot]) -> Resolved:
    views = {v.name: v for v in cfg.model_views}
    slugs: set[str] = set()
    app_ids: set[int] = set()
    models_known = apps_known = False
    for (dataset, view), snap in snapshots.items():
        if dataset == ModelRankings.name and view in views:
            period = model_period(snap, views[view].period)
            models_known = models_known or period is not None
            slugs.update(m for m, _ in (period.rows if period else ()) if m != "other")
        elif dataset == AppRankings.name:
            apps_known = True
            app_ids.update(r.app_id for r in snap.rows if isinstance(r, AppRow))
    models = {e: tuple(sorted(s for s in slugs if matches(e, s))) for e in cfg.watch.models}
    apps = {a: a in app_ids for a in cfg.watch.apps}
    return Resolved(models, apps, models_known, apps_known)


class WatchCollector:
    """The watch lists as series to join alerts on, and whether each entry is ranked.

    Emits, for example::

        openrouter_watched_model_info{model="anthropic/claude-sonnet-4-20250514",\
watch="anthropic/claude-sonnet-4"} 1.0
        openrouter_watched_app_info{app_id="12345"} 1.0
        openrouter_watched_ranked{kind="model",watch="anthropic/claude-sonnet-4"} 1.0
    """

    WATCHED_APP = Family(
        "openrouter_watched_app_info",
        "Apps on the configured watchlist (watch.apps), for scoping alerts by join on app_id.",
        ("app_id",),
    )
    WATCHED_MODEL = Family(
        "openrouter_watched_model_info",
        "Models on the configured watchlist (watch.models) as the data names them (a short "
        "entry matches its dated permaslugs), for scoping alerts by join on model.",
        ("model", "watch"),
    )
    RANKED = Family(
        "openrouter_watched_ranked",
        "1 if the watch-list entry is in a ranking the exporter holds, 0 if in none (a typo, "
        "or below the top 50 / every app view's depth).",
        ("kind", "watch"),
    )
    families = (WATCHED_APP, WATCHED_MODEL, RANKED)

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def render(self, snapshots: Mapping[Key, Snapshot]) -> Fragment:
        r = resolve(self.cfg, snapshots)
        _log_unranked(r)
        models, ranked = [], []
        for entry, slugs in r.models.items():
            for slug in slugs or (entry,):  # unmatched: as written, for a later exact match
                labels = label_string(self.WATCHED_MODEL.labels, [slug, entry])
                models.append(sample_line(self.WATCHED_MODEL.name, labels, 1))
            if r.models_known:
                ranked.append(self._ranked("model", entry, bool(slugs)))
        if r.apps_known:
            ranked += [self._ranked("app", str(a), found) for a, found in r.apps.items()]
        apps = [sample_line(self.WATCHED_APP.name, f'app_id="{a}"', 1) for a in r.apps]
        return {
            self.WATCHED_APP.name: "".join(apps),
            self.WATCHED_MODEL.name: "".join(models),
            self.RANKED.name: "".join(ranked),
        }

    def _ranked(self, kind: str, entry: str, found: bool) -> str:
        return sample_line(self.RANKED.name, label_string(self.RANKED.labels, [kind, entry]), found)


def _log_unranked(r: Resolved) -> None:
    missing = [e for e, slugs in r.models.items() if r.models_known and not slugs]
    missing += [f"app {a}" for a, found in r.apps.items() if r.apps_known and not found]
    if missing:
        log.warning(
            "watch list: %s in no ranking the exporter holds (a typo, or below the top 50 / "
            "every app view's depth); openrouter_watched_ranked is 0 for them",
            ", ".join(missing),
        )
