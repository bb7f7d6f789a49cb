"""The figures a soak prints: per run, and over every run of a config."""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from soak.harness import Result
from soak.invariants import iso


def _minutes(seconds: Iterable[float]) -> str:
    values = sorted(seconds)
    if not values:
        return "-"
    return f"p50 {statistics.median(values) / 60:.0f} min, max {values[-1] / 60:.0f} min"


def run_line(r: Result) -> str:
    state = "ok" if r.failure is None else f"FAILED ({r.failure.invariant})"
    return (
        f"{r.config:<9} seed {r.seed:<6} {state:<8} {r.wall:5.1f} s wall ({r.cpu:4.1f} s CPU), "
        f"{r.steps} steps, "
        f"{r.restarts} restarts, worst minute {r.worst_minute}, worst 24 h {r.worst_day}"
    )


def failure_text(r: Result, days: float) -> str:
    f = r.failure
    assert f is not None
    return (
        f"invariant broken: {f.invariant}\n"
        f"  config {r.config}, seed {r.seed}, step {f.step}, simulated time {iso(f.at)} UTC\n"
        f"  {f.detail}\n"
        f"  reproduce: make soak CONFIGS={r.config} SEED={r.seed} DAYS={days:g}"
    )


def summary(config: str, results: list[Result]) -> str:
    """Figures over every run of one config."""
    per_day = [n for r in results for n in list(r.requests_per_day.values())[1:-1]]
    delays: dict[str, list[float]] = {}
    for r in results:
        for dataset, values in r.delays.items():
            delays.setdefault(dataset, []).extend(values)
    injected: dict[str, int] = {}
    for r in results:
        for kind, n in r.injected.items():
            injected[kind] = injected.get(kind, 0) + n
    walls = [r.wall for r in results]
    cpus = [r.cpu for r in results]
    lines = [
        f"== {config}: {len(results)} runs, "
        f"{sum(1 for r in results if r.failure is None)} without a violation",
        "  requests per simulated day (whole days): "
        + (
            f"min {min(per_day)}, median {statistics.median(per_day):.0f}, max {max(per_day)}"
            if per_day
            else "-"
        ),
        f"  worst minute: {max(r.worst_minute for r in results)} "
        f"(limit {results[0].limit_minute}); worst 24 h: {max(r.worst_day for r in results)} "
        f"(limit {results[0].limit_day}); 24 h budget all used for "
        f"{sum(r.budget_spent for r in results) / 3600:.0f} h in total",
        f"  429s received: {sum(r.injected_429 for r in results)} injected, "
        f"{sum(r.own_429 for r in results)} caused by us",
        *(
            f"  publication to visible, {dataset}: {_minutes(values)} ({len(values)} view-days)"
            for dataset, values in sorted(delays.items())
        ),
        f"  restarts survived: {sum(r.restarts for r in results)} "
        f"(median {statistics.median(r.restarts for r in results):.0f} a run)",
        "  faults injected: " + ", ".join(f"{k} {n}" for k, n in sorted(injected.items())),
        f"  time per run: wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s; "
        f"CPU median {statistics.median(cpus):.1f} s, max {max(cpus):.1f} s",
    ]
    return "\n".join(lines)
