"""Figures `make bench` measures in its own process, beside the scrape: the status page's
render at the maximal config, and the simulator building its market and answering a 30-day
app-rankings query. Each is a median of several runs (the machine is shared, and one GC
pause is not what a person or a test waits for), printed beside its target.

    python -m bench.inprocess    # these figures alone
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

# Each generation is a snapshot change, after which the page's market part is rendered
# again (cold); the renders after it reuse that part (warm), as every visit until the next
# change does.
PAGE_GENERATIONS = 5
PAGE_WARM_RENDERS = 10
MARKET_BUILDS = 3
MARKET_QUERIES = 7
# A fixed last day: a market that grew with the calendar would make the figure drift.
MARKET_UNTIL = date(2026, 5, 11)

TARGET_PAGE_COLD_MS = 50
TARGET_PAGE_WARM_MS = 10
TARGET_MARKET_BUILD_S = 1.0
TARGET_QUERY_MS = 20


@dataclass(frozen=True)
class Figures:
    page_cold_s: float
    page_warm_s: float
    market_build_s: float
    query_s: float


def page_times() -> tuple[list[float], list[float]]:
    """Seconds per render of ``/``, cold and warm, at the maximal config with a watchlist."""
    import httpx

    from exporter.app import build
    from exporter.statuspage import StatusPage
    from testsupport.maximal import maximal_config, maximal_snapshots

    cfg = maximal_config()
    cfg = replace(cfg, watch={**cfg.watch, "apps": (1, 2, 3), "models": ("openai/gpt-4o",)})
    cold: list[float] = []
    warm: list[float] = []
    # The watched entries are in no ranking of these snapshots (as in the test this figure
    # came from): its warning on every snapshot change is not bench output.
    logging.getLogger("exporter.watchlist").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="openrouter-bench-page-") as state:
        exporter = build(
            cfg,
            "sk-or-v1-bench",
            # Never called: the scheduler does not run, the snapshots are put directly.
            transport=httpx.MockTransport(lambda r: httpx.Response(500)),
            state_dir=Path(state),
        )
        page = StatusPage(exporter)
        for generation in range(PAGE_GENERATIONS):
            exporter.store.put_many(maximal_snapshots(cfg, generation))
            t = time.perf_counter()
            page()
            cold.append(time.perf_counter() - t)
            for _ in range(PAGE_WARM_RENDERS):
                t = time.perf_counter()
                page()
                warm.append(time.perf_counter() - t)
        exporter.client.close()
    return cold, warm


def simulator_times() -> tuple[list[float], list[float]]:
    """Seconds to build the simulator's market, and per 30-day trending app-rankings query."""
    from exporter.simulator import Market

    builds: list[float] = []
    queries: list[float] = []
    for n in range(MARKET_BUILDS):
        t = time.perf_counter()
        market = Market(1234 + n, until=MARKET_UNTIL)
        builds.append(time.perf_counter() - t)
        for _ in range(MARKET_QUERIES):
            t = time.perf_counter()
            market.app_rankings(MARKET_UNTIL - timedelta(days=29), MARKET_UNTIL, sort="trending")
            queries.append(time.perf_counter() - t)
    return builds, queries


def measure() -> Figures:
    cold, warm = page_times()
    builds, queries = simulator_times()
    return Figures(
        statistics.median(cold),
        statistics.median(warm),
        statistics.median(builds),
        statistics.median(queries),
    )


def report(f: Figures) -> None:
    print(
        f"status page at the maximal config: render {f.page_cold_s * 1e3:.1f} ms after a "
        f"snapshot change (median of {PAGE_GENERATIONS}), "
        f"{f.page_warm_s * 1e3:.1f} ms otherwise (median of "
        f"{PAGE_GENERATIONS * PAGE_WARM_RENDERS})"
    )
    print(
        f"simulator: market built in {f.market_build_s:.2f} s (median of {MARKET_BUILDS}), "
        f"a 30-day trending app-rankings query {f.query_s * 1e3:.1f} ms (median of "
        f"{MARKET_BUILDS * MARKET_QUERIES})"
    )


def checks(f: Figures) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for bench.run's target lines."""
    cold, warm, query = f.page_cold_s * 1e3, f.page_warm_s * 1e3, f.query_s * 1e3
    return [
        (
            f"status page render after a change <= {TARGET_PAGE_COLD_MS} ms",
            f"{cold:.1f} ms",
            cold <= TARGET_PAGE_COLD_MS,
        ),
        (
            f"status page render otherwise <= {TARGET_PAGE_WARM_MS} ms",
            f"{warm:.1f} ms",
            warm <= TARGET_PAGE_WARM_MS,
        ),
        (
            f"simulator market built <= {TARGET_MARKET_BUILD_S:.0f} s",
            f"{f.market_build_s:.2f} s",
            f.market_build_s <= TARGET_MARKET_BUILD_S,
        ),
        (
            f"simulator 30-day app-rankings query <= {TARGET_QUERY_MS} ms",
            f"{query:.1f} ms",
            query <= TARGET_QUERY_MS,
        ),
    ]


def print_targets(results: list[tuple[str, str, bool]]) -> None:
    for name, value, ok in results:
        print(f"target {name}: {value} {'met' if ok else 'NOT met'}")


def main() -> int:
    figures = measure()
    report(figures)
    print_targets(checks(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
