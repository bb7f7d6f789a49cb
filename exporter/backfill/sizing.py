"""How big a backfill file will be, before anything is fetched.

The file is one line per sample: ``name{labels,--label…} value timestamp``. The bytes of one
instant of each view are measured by rendering it with the live collectors (the same code
that writes the file), from the exporter's stored snapshot of that view when there is one
(the running exporter shares ``state_dir``, so names and values are the real ones), else
from rows of typical size. Multiplied by the number of instants, that is the file.
"""

from __future__ import annotations

from collections.abc import Mapping

from exporter.collector import MetaCollector
from exporter.config import AppView, Config
from exporter.datasets import sources
from exporter.datasets.apps import AppRankings, AppRankingsCollector
from exporter.datasets.apps.history import app_instant_bytes
from exporter.datasets.history import fragment_bytes
from exporter.datasets.models import ModelRankings
from exporter.datasets.models.history import model_instant_bytes
from exporter.metrictext import escape_label
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key


def static_bytes(cfg: Config, apps: bool, extra: int) -> int:
    datasets = [ModelRankings.name, *([AppRankings.name] if apps else [])]
    static = MetaCollector().static(sources(datasets)) | AppRankingsCollector(cfg).info()
    keep = {MetaCollector.INFO.name, *([AppRankingsCollector.VIEW_INFO.name] if apps else [])}
    return fragment_bytes({k: v for k, v in static.items() if k in keep}, extra)


def instant_bytes(
    cfg: Config,
    labels: tuple[tuple[str, str], ...],
    apps: tuple[AppView, ...],
    stored: Mapping[Key, Snapshot],
) -> tuple[int, int]:
    """Bytes of one instant: (model views and citation facts, app views)."""
    extra = sum(len(f',{n}="{escape_label(v)}"'.encode()) for n, v in labels)
    models = static_bytes(cfg, bool(apps), extra) + sum(
        model_instant_bytes(cfg, v, stored.get((ModelRankings.name, v.name)), extra)
        for v in cfg.model_views
    )
    app_bytes = sum(
        app_instant_bytes(cfg, v, stored.get((AppRankings.name, v.name)), extra) for v in apps
    )
    return models, app_bytes
