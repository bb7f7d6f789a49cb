"""The model rankings' history for the backfill: each complete period of a view as the
live exporter showed it, and the bytes one instant takes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from exporter.collector import MetaCollector
from exporter.config import Config, ModelView
from exporter.datasets.history import (
    AS_OF,
    TYPICAL_TOKENS,
    Shown,
    fragment_bytes,
    shown_intervals,
)
from exporter.datasets.models.metrics import ModelRankingsCollector
from exporter.datasets.models.requests import ENDPOINT
from exporter.datasets.models.rows import ModelDayRow
from exporter.metrictext import Fragment
from exporter.periods import bucket_end, bucket_start, complete_buckets
from exporter.snapshot import Meta, Snapshot


@dataclass(frozen=True)
class ModelFetch:
    """A model view's fetched rows, the last day they cover, and the newest meta.as_of."""

    rows: list[ModelDayRow]
    data_end: date
    as_of: datetime | None


def model_history(
    cfg: Config, view: ModelView, fetched: ModelFetch
) -> Iterator[tuple[Shown, Fragment]]:
    """Each complete period of a model view, rendered by the live collectors (rankings, and
    the view's end date and as_of that the citation and data-age panels read)."""
    by_bucket: dict[date, list[ModelDayRow]] = {}
    for r in fetched.rows:
        by_bucket.setdefault(r.date, []).append(r)
    complete = complete_buckets(by_bucket, view.period, fetched.data_end)
    collector, meta = ModelRankingsCollector(cfg), MetaCollector()
    for shown in shown_intervals(complete, view.period, view.days):
        end = bucket_end(shown.period, view.period)
        rows = tuple(by_bucket[shown.period])
        snap = Snapshot(ENDPOINT, view.name, rows, Meta(end_date=end, as_of=fetched.as_of), 0.0)
        yield shown, collector.render(snap) | meta.render(snap)


def _typical_models(view: ModelView, day: date) -> tuple[ModelDayRow, ...]:
    # Permaslugs average 28-29 characters ("openai/gpt-4o-2024-05-13" is 24).
    rows = [
        ModelDayRow(day, f"provider/model-name-{i:02d}-202501", TYPICAL_TOKENS - i)
        for i in range(50)
    ]
    return (*rows, ModelDayRow(day, "other", TYPICAL_TOKENS * 7))


def model_instant_bytes(cfg: Config, view: ModelView, stored: Snapshot | None, extra: int) -> int:
    """One instant of a model view: its ranking, end date and as_of lines."""
    start = bucket_start(date(2025, 12, 1), view.period)  # a complete bucket, as live shows
    snap = stored or Snapshot(
        ENDPOINT,
        view.name,
        _typical_models(view, start),
        Meta(end_date=bucket_end(start, view.period), as_of=AS_OF),
        0.0,
    )
    rendered = ModelRankingsCollector(cfg).render(snap)
    if not rendered and stored is not None:  # no complete bucket stored yet: typical rows
        return model_instant_bytes(cfg, view, None, extra)
    meta = MetaCollector().render(snap)
    return fragment_bytes(rendered | meta, extra)
