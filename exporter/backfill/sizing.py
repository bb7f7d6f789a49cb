"""How big a backfill file will be, before anything is fetched.

The file is one line per sample: ``name{labels,--label…} value timestamp``. The bytes of one
instant of each view are measured by rendering it with the live collectors (the same code
that writes the file), from the exporter's stored snapshot of that view when there is one
(the running exporter shares ``state_dir``, so names and values are the real ones), else
from rows of typical size. Multiplied by the number of instants, that is the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from exporter.collector import MetaCollector
from exporter.config import AppView, Config, ModelView
from exporter.datasets.apps import AppRankings, AppRankingsCollector, AppRow
from exporter.datasets.models import ModelDayRow, ModelRankings, ModelRankingsCollector
from exporter.metrictext import escape_label
from exporter.periods import bucket_end, bucket_start
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

STAMP_BYTES = len(" 1767225600")  # a space and a 10-digit timestamp in seconds
# Typical sizes, measured on the simulator's catalogue (modelled on the live rankings).
AS_OF = datetime(2025, 12, 2, 2, 0, 0, 123000, tzinfo=UTC)
TYPICAL_TOKENS = 123_456_789_012  # 12 significant digits, as the live counts have


def _bytes(fragment: Mapping[str, str], extra: int) -> int:
    lines = [line for text in fragment.values() for line in text.split("\n") if line]
    return sum(len(line.encode("utf-8")) + 1 + extra + STAMP_BYTES for line in lines)


def _typical_models(view: ModelView, day: date) -> tuple[ModelDayRow, ...]:
    # Permaslugs average 28-29 characters ("openai/gpt-4o-2024-05-13" is 24).
    rows = [
        ModelDayRow(day, f"provider/model-name-{i:02d}-202501", TYPICAL_TOKENS - i)
        for i in range(50)
    ]
    return (*rows, ModelDayRow(day, "other", TYPICAL_TOKENS * 7))


def _typical_apps(view: AppView) -> tuple[AppRow, ...]:
    return tuple(
        # App names average about 20 characters.
        AppRow(100000 + i, f"Typical app name {i:02d}", i + 1, 1_234_567 - i, TYPICAL_TOKENS - i)
        for i in range(view.depth)
    )


def model_instant_bytes(cfg: Config, view: ModelView, stored: Snapshot | None, extra: int) -> int:
    """One instant of a model view: its ranking, end date and as_of lines."""
    start = bucket_start(date(2025, 12, 1), view.period)  # a complete bucket, as live shows
    snap = stored or Snapshot(
        ModelRankings.name,
        view.name,
        _typical_models(view, start),
        Meta(end_date=bucket_end(start, view.period), as_of=AS_OF),
        0.0,
    )
    rendered = ModelRankingsCollector(cfg).render(snap)
    if not rendered and stored is not None:  # no complete bucket stored yet: typical rows
        return model_instant_bytes(cfg, view, None, extra)
    meta = MetaCollector().render(snap)
    return _bytes(rendered | meta, extra)


def app_instant_bytes(cfg: Config, view: AppView, stored: Snapshot | None, extra: int) -> int:
    snap = stored or Snapshot(
        AppRankings.name,
        view.name,
        _typical_apps(view),
        Meta(end_date=date(2025, 12, 1), as_of=AS_OF),
        0.0,
    )
    return _bytes(AppRankingsCollector(cfg).render(snap) | MetaCollector().render(snap), extra)


def static_bytes(cfg: Config, apps: bool, extra: int) -> int:
    datasets = [ModelRankings.name, *([AppRankings.name] if apps else [])]
    static = MetaCollector().static(datasets) | AppRankingsCollector(cfg).info()
    keep = {MetaCollector.INFO.name, *([AppRankingsCollector.VIEW_INFO.name] if apps else [])}
    return _bytes({k: v for k, v in static.items() if k in keep}, extra)


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
