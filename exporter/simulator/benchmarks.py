"""What /benchmarks answers: the scores of ``benchmark_scores`` filtered, ordered and cut
as the SDK describes the parameters, with the response's ``meta``.

The SDK's descriptions leave room; where they do, the simulator chooses (*inferred*):

- Without ``source`` the items of every source come back, in the order Artificial Analysis,
  OpenRouter, Design Arena; search items only when asked for (``task_type=search`` or a
  ``search_*`` ``benchmark_type``), and then nothing else.
- ``task_type`` keeps Artificial Analysis models with that index (ordered by it), the
  OpenRouter benchmark of that kind (intelligence: GPQA, agentic: tau-bench, coding: none)
  and Design Arena's categories of that kind.
- Design Arena items are one arena's (``arena``, default ``models``) whatever the source.
- A search item is the model's best lane among those ``search_engine``/``search_surface``
  keep.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from exporter.simulator import benchmark_scores as scores
from exporter.simulator.catalog import (
    BENCHMARK_CITATIONS,
    BENCHMARK_SOURCES,
    SEARCH_BENCHMARKS,
    TASK_TYPE_AA_INDEX,
    TASK_TYPE_ARENA_CATEGORIES,
    TASK_TYPE_BENCHMARK,
    VERSION,
)
from exporter.simulator.entities import Model
from exporter.simulator.params import BenchmarksQuery

Row = dict[str, Any]


def as_of(day: date) -> str:
    """When the benchmark data was last updated: the scores move once a day, with the
    newest published day (*inferred*), so this is 00:00 UTC after it."""
    updated = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return updated.strftime("%Y-%m-%dT%H:%M:%SZ")


def body(seed: int, models: list[Model], day: date, q: BenchmarksQuery) -> dict[str, Any]:
    """The 200 body for the benchmarks of ``day`` (the newest published day)."""
    listed = scores.benchmarked(models, day)
    searching = q.task_type == "search" or q.benchmark_type in SEARCH_BENCHMARKS
    sources = (q.source,) if q.source is not None else BENCHMARK_SOURCES
    rows: list[Row] = []
    if searching:
        if "openrouter" in sources:
            rows = _search(seed, listed, day, q)
    else:
        if "artificial-analysis" in sources:
            rows += _artificial_analysis(seed, listed, q)
        if "openrouter" in sources:
            rows += _classic(seed, listed, day, q)
        if "design-arena" in sources:
            rows += _design_arena(seed, listed, q)
    if q.max_results is not None:
        rows = rows[: q.max_results]
    return {"data": rows, "meta": meta(q, day, rows)}


def meta(q: BenchmarksQuery, day: date, rows: list[Row]) -> dict[str, Any]:
    citation, url = BENCHMARK_CITATIONS.get(q.source or "", (None, None))
    return {
        "as_of": as_of(day),
        "citation": citation,
        "model_count": len({r["model_permaslug"] for r in rows}),
        "source": q.source,
        "source_url": url,
        "task_type": q.task_type,
        "version": VERSION,
    }


def _artificial_analysis(seed: int, models: list[Model], q: BenchmarksQuery) -> list[Row]:
    index = TASK_TYPE_AA_INDEX.get(q.task_type or "", "intelligence_index")
    rows = scores.artificial_analysis(seed, models)
    if q.task_type is not None:
        rows = [r for r in rows if r[index] is not None]
    return sorted(rows, key=lambda r: (-(r[index] or 0.0), r["model_permaslug"]))


def _classic(seed: int, models: list[Model], day: date, q: BenchmarksQuery) -> list[Row]:
    rows = scores.openrouter_classic(seed, models, day)
    if q.benchmark_type is not None:
        rows = [r for r in rows if r["benchmark_type"] == q.benchmark_type]
    if q.task_type is not None:
        wanted = TASK_TYPE_BENCHMARK.get(q.task_type)
        rows = [r for r in rows if r["benchmark_type"] == wanted]
    return sorted(rows, key=lambda r: (r["benchmark_type"], -r["accuracy"], r["model_permaslug"]))


def _design_arena(seed: int, models: list[Model], q: BenchmarksQuery) -> list[Row]:
    arena = q.arena or "models"
    rows = [r for r in scores.design_arena(seed, models) if r["arena"] == arena]
    if q.category is not None:
        rows = [r for r in rows if r["category"] == q.category]
    if q.task_type is not None:
        kept = TASK_TYPE_ARENA_CATEGORIES.get(q.task_type, ())
        rows = [r for r in rows if r["category"] in kept]
    return sorted(rows, key=lambda r: (r["category"], -r["elo"], r["model_permaslug"]))


def _search(seed: int, models: list[Model], day: date, q: BenchmarksQuery) -> list[Row]:
    best: dict[tuple[str, str], Row] = {}
    for lane in scores.search_lanes(seed, models, day):
        if q.benchmark_type is not None and lane["benchmark_type"] != q.benchmark_type:
            continue
        if q.search_engine is not None and lane["search_engine"] != q.search_engine:
            continue
        if q.search_surface is not None and lane["search_surface"] != q.search_surface:
            continue
        key = (lane["model_permaslug"], lane["benchmark_type"])
        if key not in best or lane["primary_score"] > best[key]["primary_score"]:
            best[key] = lane
    rows = sorted(
        best.values(),
        key=lambda r: (r["benchmark_type"], -r["primary_score"], r["model_permaslug"]),
    )
    if not q.include_run_config:
        rows = [{k: v for k, v in r.items() if k != "run_config"} for r in rows]
    return rows
