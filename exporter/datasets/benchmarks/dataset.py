"""benchmarks: benchmark scores by model, from three sources (GET /benchmarks).

Only the current scores exist (no date parameter), so each view is checked about daily on
its own cadence, one request each, and has no history to backfill.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from exporter.config import Config
from exporter.datasets.base import Cadence, Collector, FixedCadence, PlannedView, Publication, View
from exporter.datasets.benchmarks import config, page
from exporter.datasets.benchmarks.config import benchmarks_config
from exporter.datasets.benchmarks.metrics import BenchmarksCollector
from exporter.datasets.benchmarks.requests import ENDPOINT, benchmarks
from exporter.datasets.benchmarks.rows import BenchmarkRow
from exporter.datasets.history import NoHistory
from exporter.datasets.page import PageSection
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

if TYPE_CHECKING:
    from exporter.client import Client


class Benchmarks(FixedCadence):
    name = ENDPOINT
    row_type = BenchmarkRow
    source = "openrouter.ai/benchmarks"
    history = NoHistory("the endpoint takes no date: only the current scores exist")
    config_key = config.KEY
    config_section = config.SECTION
    # Scores change slowly (new models, new runs, Elo drift): one check a day is plenty.
    every = 86400.0
    end_date_from = "the UTC day of meta.as_of, current scores without a window"

    def page(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
        return page.section(cfg, snaps)

    def collector(self, cfg: Config) -> Collector:
        return BenchmarksCollector(cfg)

    def summary(self, cfg: Config) -> str:
        b = benchmarks_config(cfg)
        return f"benchmarks {len(b.views) if b.enabled else 'off'}"

    def planned(self, cfg: Config) -> list[PlannedView]:
        b = benchmarks_config(cfg)
        if not b.enabled:
            return []
        return [PlannedView(self.name, v, 1, 1) for v in dict.fromkeys(b.views)]

    def when(self, planned: PlannedView, cadence: Cadence) -> str:
        return "about daily (current scores)"

    def rhythm(self, cadence: Cadence) -> str:
        return "about once a day (current scores)"

    def fetch(
        self, client: Client, view: View, days: Publication, today: date
    ) -> tuple[Sequence[Any], Meta]:
        return benchmarks(client, view.name)
