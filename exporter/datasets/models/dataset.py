"""rankings-daily: daily model rankings, and the detector of newly published days.

One request is the cheap detector for "a new day was published"
(``meta.end_date`` moved). A plain daily view, if configured, is the detector; otherwise
an internal one is fetched for its ``end_date`` and never exported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from exporter.config import Config
from exporter.datasets.base import (
    Cadence,
    Collector,
    Dataset,
    PlannedView,
    Publication,
    View,
    Watched,
)
from exporter.datasets.models import config, page, watch
from exporter.datasets.models.config import ModelView, model_views
from exporter.datasets.models.history import ModelHistory
from exporter.datasets.models.metrics import ModelRankingsCollector
from exporter.datasets.models.requests import ENDPOINT, rankings_daily
from exporter.datasets.models.rows import ModelDayRow
from exporter.datasets.page import PageSection
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

if TYPE_CHECKING:
    from exporter.client import Client

INTERNAL_DETECTOR = "_detector"
DETECTION_SLACK_DAYS = 7  # a start after the (delayed) newest day would be a 400


def detector_view(cfg: Config) -> str:
    """The model view whose end_date reveals a new day: a plain daily view if configured."""
    for v in model_views(cfg):
        if v.period == "day" and not any(
            (v.modality, v.context_bucket, v.category, v.language_type)
        ):
            return v.name
    return INTERNAL_DETECTOR


class ModelRankings(Dataset):
    name = ENDPOINT
    row_type = ModelDayRow
    source = page.SOURCE
    history = ModelHistory()
    watch_families = (watch.WATCHED,)
    config_key = config.KEY
    config_section = config.SECTION
    watch_setting = config.WATCH

    def collector(self, cfg: Config) -> Collector:
        return ModelRankingsCollector(cfg)

    def watch(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> Watched:
        return watch.watched(cfg, snaps)

    def page(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection:
        return page.section(cfg, snaps)

    def summary(self, cfg: Config) -> str:
        return f"{len(model_views(cfg))} model"

    def planned(self, cfg: Config) -> list[PlannedView]:
        detector = detector_view(cfg)
        views = [
            PlannedView(
                self.name, detector, 1, 0, detector=True, exported=detector != INTERNAL_DETECTOR
            )
        ]
        others = [v for v in model_views(cfg) if v.name != detector]
        return views + [PlannedView(self.name, v.name, 1, 1) for v in others]

    def spec(self, cfg: Config, planned: PlannedView) -> ModelView:
        for v in model_views(cfg):
            if v.name == planned.view:
                return v
        return ModelView(planned.view, "day", 7)  # the internal detector

    def when(self, planned: PlannedView, cadence: Cadence) -> str:
        if planned.detector:
            return f"detects a new day: every {cadence.detect_every / 60:.0f} min while one is due"
        return super().when(planned, cadence)

    def fetch(
        self, client: Client, view: View, days: Publication, today: date
    ) -> tuple[Sequence[Any], Meta]:
        spec: ModelView = view.spec
        if view.planned.detector or days.latest is None:
            start = today - timedelta(days=spec.days + DETECTION_SLACK_DAYS)
            return rankings_daily(client, spec, start=start)
        start = days.latest - timedelta(days=spec.days - 1)
        return rankings_daily(client, spec, start=start, end=days.latest)

    def announces(self, view: View, meta: Meta) -> date | None:
        return meta.end_date if view.planned.detector else None

    # The detector's own timing: it polls only while a new day can be due.

    def first_due(self, view: View, now: float, days: Publication) -> float:
        if view.planned.detector:
            return days.next_detect(now) if view.end_date else now
        return super().first_due(view, now, days)

    def wants(self, view: View, day: date, days: Publication) -> bool:
        return not view.planned.detector and super().wants(view, day, days)

    def after_success(self, view: View, now: float, days: Publication) -> float:
        if view.planned.detector:
            return days.next_detect(now)
        return super().after_success(view, now, days)
