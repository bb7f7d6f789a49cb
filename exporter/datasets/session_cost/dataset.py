"""session-cost: median cost per session by harness, model and turn range.

Only the current snapshot exists (a 30-day window published weekly), so it is checked
about daily, on its own cadence, not for each published day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from exporter.config import Config
from exporter.datasets.base import Cadence, Collector, FixedCadence, PlannedView, Publication, View
from exporter.datasets.history import NoHistory
from exporter.datasets.page import PageSection
from exporter.datasets.session_cost import config, page
from exporter.datasets.session_cost.config import session_cost_config
from exporter.datasets.session_cost.metrics import SessionCostCollector
from exporter.datasets.session_cost.requests import ENDPOINT, VIEW, session_cost
from exporter.datasets.session_cost.rows import SessionCostRow
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key

if TYPE_CHECKING:
    from exporter.client import Client

PAGES = 2  # ~650 cells at 500 a page


class SessionCost(FixedCadence):
    name = ENDPOINT
    row_type = SessionCostRow
    source = "openrouter.ai/apps"
    history = NoHistory("the endpoint takes no date: only the current 30-day window exists")
    config_key = config.KEY
    config_section = config.SECTION
    every = 86400.0  # weekly data: one check a day finds a new week within a day
    end_date_from = "meta.window_end_date"

    def page(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
        return page.section(cfg, snaps)

    def collector(self, cfg: Config) -> Collector:
        return SessionCostCollector(cfg)

    def summary(self, cfg: Config) -> str:
        return f"session cost {'on' if session_cost_config(cfg).enabled else 'off'}"

    def planned(self, cfg: Config) -> list[PlannedView]:
        return [PlannedView(self.name, VIEW, PAGES, 1)] if session_cost_config(cfg).enabled else []

    def when(self, planned: PlannedView, cadence: Cadence) -> str:
        return "about daily, until a new weekly window appears"

    def rhythm(self, cadence: Cadence) -> str:
        return "about once a day, until a new weekly window appears"

    def fetch(
        self, client: Client, view: View, days: Publication, today: date
    ) -> tuple[Sequence[Any], Meta]:
        rows, meta, _pages = session_cost(client)
        return rows, meta
