"""task-classifications: how classified, sampled traffic splits by task (/classifications/task).

Only the trailing window ending yesterday exists (no date parameter), so it is checked about
daily on its own cadence, one request per window, and has no history to backfill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from exporter.config import Config
from exporter.datasets.base import Cadence, Collector, FixedCadence, PlannedView, Publication, View
from exporter.datasets.history import NoHistory
from exporter.datasets.page import PageSection
from exporter.datasets.task_classifications import config, page
from exporter.datasets.task_classifications.config import task_classifications_config
from exporter.datasets.task_classifications.metrics import TaskClassificationsCollector
from exporter.datasets.task_classifications.requests import ENDPOINT, WINDOWS, task_classifications
from exporter.datasets.task_classifications.rows import TaskShareRow
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

if TYPE_CHECKING:
    from exporter.client import Client


class TaskClassifications(FixedCadence):
    name = ENDPOINT
    row_type = TaskShareRow
    source = "openrouter.ai/rankings"
    history = NoHistory("the endpoint takes no date: only the trailing 7 days exist")
    config_key = config.KEY
    config_section = config.SECTION
    # The window moves once a day: one check a day finds it within a day, for 1 request/day.
    every = 86400.0
    # The body has no meta: its one date is the window's last day.
    as_of_from = "data.as_of at 00:00 UTC"
    end_date_from = "data.as_of, the window's last day"

    def page(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
        return page.section(cfg, snaps)

    def collector(self, cfg: Config) -> Collector:
        return TaskClassificationsCollector(cfg)

    def summary(self, cfg: Config) -> str:
        return f"task classifications {'on' if task_classifications_config(cfg).enabled else 'off'}"

    def planned(self, cfg: Config) -> list[PlannedView]:
        if not task_classifications_config(cfg).enabled:
            return []
        return [PlannedView(self.name, w, 1, 1) for w in WINDOWS]

    def when(self, planned: PlannedView, cadence: Cadence) -> str:
        return "about daily (a trailing window ending yesterday)"

    def rhythm(self, cadence: Cadence) -> str:
        return "about once a day (a trailing window ending yesterday)"

    def fetch(
        self, client: Client, view: View, days: Publication, today: date
    ) -> tuple[Sequence[Any], Meta]:
        return task_classifications(client, view.name)
