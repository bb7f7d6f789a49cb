"""The model rankings' history for the backfill: each view's days in windows of up to 366
days (one request each, fetched again on every run: a year costs one request per view), each
complete period as the live exporter showed it, and the bytes one instant takes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from exporter.collector import MetaCollector
from exporter.config import MAX_WINDOW_DAYS, Config
from exporter.datasets.history import (
    AS_OF,
    FLOOR,
    TYPICAL_TOKENS,
    HistoryRun,
    Shown,
    Window,
    fragment_bytes,
    shown_intervals,
    split_windows,
)
from exporter.datasets.models.config import ModelView, model_views
from exporter.datasets.models.metrics import ModelRankingsCollector
from exporter.datasets.models.requests import ENDPOINT, rankings_daily
from exporter.datasets.models.rows import ModelDayRow
from exporter.metrictext import Fragment
from exporter.periods import bucket_end, bucket_start, complete_buckets, latest_complete
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key


def views(cfg: Config) -> tuple[ModelView, ...]:
    """The configured model views: the history's one read of the config's views."""
    return model_views(cfg)


@dataclass(frozen=True)
class ModelFetch:
    """A model view's fetched rows, the last day they cover, and the newest meta.as_of."""

    rows: list[ModelDayRow]
    data_end: date
    as_of: datetime | None


def model_range(view: ModelView, first: date, last: date) -> tuple[date, date]:
    """Days to fetch so every instant from ``first``+1 on has its latest complete period."""
    return max(FLOOR, latest_complete(first, view.period)), last


def model_windows(view: ModelView, first: date, last: date) -> list[Window]:
    start, end = model_range(view, first, last)
    return split_windows(start, end, view.period)


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


@dataclass
class ModelPlan:
    """One run's model history: every view's windows, fetched whole on each run (a year is
    one request per view, so keeping them across runs would save little)."""

    cfg: Config
    last: date
    views: tuple[ModelView, ...]
    windows: dict[str, list[Window]]
    fetched: dict[str, ModelFetch] = field(default_factory=dict)
    needs_published = False
    progress = None  # nothing kept across runs: each run fetches the whole range again

    @property
    def total(self) -> int:
        return sum(len(w) for w in self.windows.values())

    @property
    def remaining(self) -> int:
        return self.total

    @property
    def reveals_published(self) -> bool:
        return bool(self.windows)

    def describe(self, asked: bool) -> list[str]:
        lines = [
            f"model views ({ENDPOINT}, windows of at most {MAX_WINDOW_DAYS} days): "
            f"{self.total} requests"
        ]
        for v in self.views:
            windows = self.windows[v.name]
            spans = ", ".join(f"{w.start}…{w.end}" for w in windows)
            n = len(windows)
            lines.append(f"  {v.name:<16} {v.period:<6} {n} request{'s' * (n != 1)}: {spans}")
        return lines

    def instant_bytes(self, stored: Mapping[Key, Snapshot], extra: int) -> int:
        return sum(
            model_instant_bytes(self.cfg, v, stored.get((ENDPOINT, v.name)), extra)
            for v in self.views
        )

    def fetch(self, run: HistoryRun) -> set[date]:
        """Every view's rows and data end; the answers also tell the newest published day."""
        n = 0
        for view in self.views:
            rows: list[ModelDayRow] = []
            data_end, as_of = self.last, None
            for w in self.windows[view.name]:
                n += 1
                run.say(f"models: {view.name} {w.start} … {w.end} ({n}/{self.total})")
                page, meta = run.call(
                    lambda v=view, w=w: rankings_daily(run.client, v, w.start, w.end),
                    f"{ENDPOINT} {view.name}",
                )
                rows.extend(page)
                as_of = meta.as_of or as_of
                if meta.end_date is not None:
                    data_end = min(self.last, meta.end_date)
                run.note_published(meta.end_date)
            self.fetched[view.name] = ModelFetch(rows, data_end, as_of)
        return set()

    def shown(self) -> Iterator[Iterable[tuple[Shown, Fragment]]]:
        for view in self.views:
            if view.name in self.fetched:
                yield model_history(self.cfg, view, self.fetched[view.name])


class ModelHistory:
    """rankings-daily's history: always written; its first request tells the newest day."""

    switch = None
    labels = ModelRankingsCollector.LABELS
    families = ModelRankingsCollector.families
    detects = True

    def plan(self, cfg: Config, first: date, last: date) -> ModelPlan:
        configured = views(cfg)
        windows = {v.name: model_windows(v, first, last) for v in configured}
        return ModelPlan(cfg, last, configured, windows)

    def detect(self, run: HistoryRun, last: date) -> None:
        """The newest published day in one request over the last week, for histories that
        need it when no model view is configured (no request is spent on a day the API
        does not serve yet)."""
        start = max(FLOOR, last - timedelta(days=6))
        _rows, meta = run.call(
            lambda: rankings_daily(run.client, ModelView("detect"), start, last),
            f"{ENDPOINT} (newest published day)",
        )
        run.note_published(meta.end_date)
