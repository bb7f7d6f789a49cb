"""The largest sensible config and its snapshot set: what `make bench` measures, the soak
runs as its "maximal" config, and tests check at the limit.

Every filter (all, 4 categories, 15 subcategories) × both sorts × 1d/7d/30d at depth 200:
120 app views, 24,000 rows, 72,000 app series, plus the default model views; every other
dataset is on as by default (the snapshot set holds app and model views only). The
simulator's market has ~300 apps, fewer than a subcategory view could list at depth 200
in a real market, so each view is filled to 200 rows from the whole catalogue (hostile
names included), as the largest real rankings would be.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exporter.config import Config
from exporter.configfile import parse_config
from exporter.datasets.apps import AppRow, app_views
from exporter.datasets.models import ModelDayRow, model_views
from exporter.datasets.session_cost import SessionCostRow
from exporter.snapshot import Meta, Snapshot

# The apps section alone: the plan's and the scheduler's tests measure the app views
# without session cost, whose weekly requests would blur the counts they assert.
MAXIMAL_APPS = {
    "windows": ["1d", "7d", "30d"],
    "sorts": ["popular", "trending"],
    "filters": ["every"],
    "depth": 200,
}
MAXIMAL_CONFIG = {"apps": MAXIMAL_APPS, "session_cost": {"enabled": True}}


def maximal_config() -> Config:
    return parse_config(MAXIMAL_CONFIG)


def maximal_snapshots(cfg: Config, generation: int = 0, seed: int = 42) -> list[Snapshot]:
    """Deterministic; ``generation`` changes every value, as a new published day would."""
    # Imported here: the bench's exporter process builds its config from this module and
    # must not carry the simulator's catalogue in the memory it reports.
    from exporter.simulator import Simulator

    sim = Simulator(seed=seed)
    end = sim.latest_day()
    as_of = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(
        days=1, hours=2, seconds=generation
    )
    apps = sim.market.apps
    snaps: list[Snapshot] = []
    for n, view in enumerate(app_views(cfg)):
        rows = []
        for rank in range(1, view.depth + 1):
            app = apps[(n * 7 + rank) % len(apps)]
            tokens = 10**12 // (rank + n) + generation
            rows.append(AppRow(app.id, app.name, rank, tokens // 1000 + 1, tokens))
        meta = Meta(as_of=as_of, end_date=end)
        snaps.append(Snapshot("app-rankings", view.name, tuple(rows), meta, 0.0))
    daily = sim.market.rankings_daily(end - timedelta(days=62), end)
    for mv in model_views(cfg):
        rows_m = tuple(
            ModelDayRow(r.date, r.model_permaslug, r.total_tokens + generation) for r in daily
        )
        snaps.append(
            Snapshot("rankings-daily", mv.name, rows_m, Meta(as_of=as_of, end_date=end), 0.0)
        )
    cells = sim.market.session_cost(sim.session_cost_window_end())
    rows_s = tuple(
        SessionCostRow(
            c.app_name, c.app_slug, c.model_permaslug, c.turn_range, c.median_session_cost_usd
        )
        for c in cells
    )
    snaps.append(
        Snapshot(
            "session-cost",
            "default",
            rows_s,
            Meta(as_of=as_of, end_date=sim.session_cost_window_end()),
            0.0,
        )
    )
    return snaps
