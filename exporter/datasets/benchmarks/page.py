"""Benchmarks on the status page: per configured view, the top models by its main score,
each view credited to its source in the API's own words (``meta.citation``). The figures
are the rows /metrics renders.

The main score of a view: Artificial Analysis' intelligence index; for OpenRouter's
benchmarks and Design Arena's categories, which are several scales side by side, the
benchmark (or arena and category) that ranks the most models, named in the chart's title.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from exporter.config import Config
from exporter.datasets.benchmarks.config import benchmarks_config
from exporter.datasets.benchmarks.requests import ENDPOINT, VIEWS
from exporter.datasets.benchmarks.rows import AA, ARENA, SOURCE, BenchmarkRow
from exporter.datasets.page import Bar, Board, Chart, PageSection
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

SLOT = "benchmarks"
SITE = "openrouter.ai/benchmarks"
TOP = 5  # models per view: several views share one card


@dataclass(frozen=True)
class _Ranked:
    title: str  # what is ranked: "Artificial Analysis: intelligence index"
    unit: str  # Chart.unit
    heading: str
    rows: list[BenchmarkRow]  # the main score's rows, one per model
    more: str  # what else the view holds, for the subtitle
    detail: Callable[[BenchmarkRow], str]  # the line under a model's bar


def section(cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
    b = benchmarks_config(cfg)
    if not b.enabled:
        return None
    views = list(dict.fromkeys(b.views))
    charts = tuple((f"{SLOT}-{v}", _chart(v, snaps.get((ENDPOINT, v)))) for v in views)
    board = Board("Top models by benchmark", charts, "No benchmarks view is configured.")
    return PageSection(SLOT, board)


def _chart(view: str, snap: Snapshot | None) -> Chart:
    if snap is None:
        return Chart(view, "", "number", (), None, SITE, "No scores yet.")
    rows: list[BenchmarkRow] = list(snap.rows)
    ranked = _ranked(view, rows)
    # One bar per model, the first row of a model as on /metrics (duplicates are dropped).
    firsts = {r.model: r for r in reversed(ranked.rows)}
    order = sorted(firsts.values(), key=lambda r: (-r.value, r.model))
    top = order[:TOP]
    first = top[0].value if top else 0.0
    bars = tuple(
        Bar(
            i,
            r.model,
            r.value,
            r.value / first if first > 0 else 0.0,
            0,
            detail=ranked.detail(r),
            exact=f"{ranked.heading} {r.value}",
        )
        for i, r in enumerate(top, 1)
    )
    subtitle = f"view {view} · top {len(top)} of {len(order)} models" + ranked.more
    return Chart(
        ranked.title,
        subtitle,
        ranked.unit,
        bars,
        snap.meta.as_of,
        SITE,
        "" if bars else "This view holds no score.",
        what="model",
        heading=ranked.heading,
        credit=_credit(rows),
    )


def _credit(rows: list[BenchmarkRow]) -> str:
    """meta.citation verbatim; without one, what the SDK says to do (credit each score to
    its source), never a citation made up here."""
    source = next((r for r in rows if r.family == SOURCE), None)
    if source is not None and source.citation:
        return source.citation
    site = f" ({source.category})" if source is not None and source.category else ""
    return f"Attribute each score to its source{site}."


def _ranked(view: str, rows: list[BenchmarkRow]) -> _Ranked:
    source = VIEWS[view].source if view in VIEWS else ""
    if source == AA:
        return _aa(rows)
    if source == ARENA:
        return _arena(rows)
    return _openrouter(rows)


def _aa(rows: list[BenchmarkRow]) -> _Ranked:
    others: dict[str, list[str]] = {}
    for r in rows:
        if r.family == "index" and r.index != "intelligence":
            others.setdefault(r.model, []).append(f"{r.index} {r.value:.1f}")
    return _Ranked(
        "Artificial Analysis: intelligence index",
        "number",
        "index",
        [r for r in rows if r.family == "index" and r.index == "intelligence"],
        "",
        lambda r: " · ".join(sorted(others.get(r.model, []))),
    )


def _most_models(groups: dict[tuple[str, ...], list[BenchmarkRow]]) -> tuple[str, ...]:
    """The group ranking the most models; ties by name, so every render picks the same."""
    return min(groups, key=lambda g: (-len(groups[g]), g)) if groups else ("", "")


def _more(groups: dict[tuple[str, ...], list[BenchmarkRow]], one: str, many: str) -> str:
    n = len(groups) - 1
    return f" · {n} more {one if n == 1 else many} on /metrics" if n > 0 else ""


def _openrouter(rows: list[BenchmarkRow]) -> _Ranked:
    groups: dict[tuple[str, ...], list[BenchmarkRow]] = {}
    for r in rows:
        if r.family == "score":
            groups.setdefault((r.benchmark, r.metric), []).append(r)
    benchmark, metric = _most_models(groups)
    cost = {
        r.model: r.value for r in rows if r.family == "cost_per_task" and r.benchmark == benchmark
    }
    return _Ranked(
        f"OpenRouter benchmark: {benchmark or 'none'}",
        "share",
        metric or "score",
        groups.get((benchmark, metric), []),
        _more(groups, "benchmark", "benchmarks"),
        lambda r: f"${cost[r.model]:.4f} per task" if r.model in cost else "",
    )


def _arena(rows: list[BenchmarkRow]) -> _Ranked:
    groups: dict[tuple[str, ...], list[BenchmarkRow]] = {}
    for r in rows:
        if r.family == "elo":
            groups.setdefault((r.arena, r.category), []).append(r)
    arena, category = _most_models(groups)
    win = {
        r.model: r.value
        for r in rows
        if r.family == "win" and (r.arena, r.category) == (arena, category)
    }
    played = {
        r.model: r.value
        for r in rows
        if r.family == "tournaments" and (r.arena, r.category) == (arena, category)
    }

    def detail(r: BenchmarkRow) -> str:
        parts = []
        if r.model in win:
            parts.append(f"{win[r.model] * 100:.0f}% wins")
        if r.model in played:
            parts.append(f"{played[r.model]:,.0f} tournaments")
        return " · ".join(parts)

    return _Ranked(
        f"Design Arena: {arena or 'none'} arena, {category or 'none'}",
        "number",
        "Elo",
        groups.get((arena, category), []),
        _more(groups, "category", "categories"),
        detail,
    )
