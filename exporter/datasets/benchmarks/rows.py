"""Benchmark rows: one exported value each (a null field is no row), and the parser.

The items of the three sources have different fields (Artificial Analysis: indexes;
OpenRouter: a classic benchmark's accuracy or a search benchmark's primary score; Design
Arena: Elo, win rate, tournaments and their placements). The store keeps one row type per
dataset, so a row is one sample: its family, its identifying labels, its value. Items are
told apart by their ``source`` field; an item of another source, and any field not
exported, is skipped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exporter.responses import MalformedResponse, data_of, field, string

AA, OPENROUTER, ARENA = "artificial-analysis", "openrouter", "design-arena"
INDEXES = {
    "intelligence_index": "intelligence",
    "coding_index": "coding",
    "agentic_index": "agentic",
}
SOURCE = "source_info"  # the row that carries the view's citation site and text
# tournament_stats' placement counts → the ``place`` label: four fixed values, so four
# series per arena item at most (``total`` is its own family, tournaments).
PLACES = {
    "first_place": "first",
    "second_place": "second",
    "third_place": "third",
    "fourth_place": "fourth",
}


@dataclass(frozen=True, slots=True)
class BenchmarkRow:
    family: str  # the metric family's short name: "index", "elo", SOURCE...
    model: str
    index: str = ""  # AA: intelligence, coding, agentic
    benchmark: str = ""  # OpenRouter: benchmark_type
    metric: str = ""  # OpenRouter: what the score measures
    arena: str = ""  # Design Arena
    category: str = ""  # Design Arena; the citation site for SOURCE
    search_engine: str = ""
    search_surface: str = ""
    place: str = ""  # Design Arena placements: first … fourth
    citation: str = ""  # SOURCE: meta.citation verbatim, for the status page
    value: float = 1.0


def _value(item: dict[str, Any], name: str, per: float = 1.0) -> float | None:
    """A number, or None for a null, a missing, non-numeric or non-finite field: the value
    is dropped (no series), never the item."""
    v = item.get(name)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    # Rounded past the wire's digits: 110196.3 ms / 1000 is 110.19630000000001 in floats.
    return float(v) if per == 1 else round(float(v) / per, 9)


def _timestamp(item: dict[str, Any], name: str) -> float | None:
    v = item.get(name)
    try:
        return datetime.fromisoformat(v).timestamp() if isinstance(v, str) else None
    except (ValueError, OverflowError, OSError):
        return None


def _rows(base: dict[str, str], values: dict[str, float | None]) -> list[BenchmarkRow]:
    return [BenchmarkRow(family, value=v, **base) for family, v in values.items() if v is not None]


def _aa(item: dict[str, Any], model: str) -> list[BenchmarkRow]:
    return [
        BenchmarkRow("index", model, index=name, value=v)
        for key, name in INDEXES.items()
        if (v := _value(item, key)) is not None
    ]


def _openrouter(item: dict[str, Any], model: str, w: str) -> list[BenchmarkRow]:
    benchmark = string(field(item, "benchmark_type", w), f"{w}.benchmark_type")
    base = {"model": model, "benchmark": benchmark}
    search = "primary_score" in item
    metric = item.get("primary_metric") if search else "accuracy"
    score = _value(item, "primary_score" if search else "accuracy")
    rows = _rows({**base, "metric": metric if isinstance(metric, str) else ""}, {"score": score})
    rows += _rows(
        base,
        {
            "score_stddev": _value(item, "accuracy_stddev"),
            "cost_per_task": _value(item, "avg_cost_per_task"),
            "latency_per_task": _value(item, "avg_latency_per_task_ms", 1000),
            "tasks": _value(item, "total_tasks"),
            "last_run": _timestamp(item, "last_run_timestamp"),
        },
    )
    engine, surface = item.get("search_engine"), item.get("search_surface")
    if search and isinstance(engine, str) and isinstance(surface, str):
        rows.append(
            BenchmarkRow("search_lane", search_engine=engine, search_surface=surface, **base)
        )
    return rows


def _arena(item: dict[str, Any], model: str, w: str) -> list[BenchmarkRow]:
    base = {
        "model": model,
        "arena": string(field(item, "arena", w), f"{w}.arena"),
        "category": string(field(item, "category", w), f"{w}.category"),
    }
    stats = item.get("tournament_stats")
    stats = stats if isinstance(stats, dict) else {}
    rows = _rows(
        base,
        {
            "elo": _value(item, "elo"),
            "win": _value(item, "win_rate", 100),
            "generation": _value(item, "avg_generation_time_ms", 1000),
            "tournaments": _value(stats, "total"),
        },
    )
    return rows + [
        BenchmarkRow("placements", place=place, value=v, **base)
        for key, place in PLACES.items()
        if (v := _value(stats, key)) is not None
    ]


def parse_items(body: Any, source: str, search: bool = False) -> list[BenchmarkRow]:
    """The rows of a view that asked for ``source`` (OpenRouter: its search benchmarks or
    its classic ones): items of another kind are skipped, so no family is doubled."""
    rows: list[BenchmarkRow] = []
    for i, item in enumerate(data_of(body)):
        w = f"data[{i}]"
        if not isinstance(item, dict):
            raise MalformedResponse(f"{w}: expected an object")
        if item.get("source") != source:
            continue  # the source list is open; a view keeps only what it asked for
        if source == OPENROUTER and ("primary_score" in item) != search:
            continue
        model = string(field(item, "model_permaslug", w), f"{w}.model_permaslug")
        if source == AA:
            rows += _aa(item, model)
        elif source == OPENROUTER:
            rows += _openrouter(item, model, w)
        else:
            rows += _arena(item, model, w)
    return rows


def citation_text(body: Any) -> str:
    """meta.citation, the attribution the API requires when republishing, "" if none."""
    meta = body.get("meta") if isinstance(body, dict) else None
    text = meta.get("citation") if isinstance(meta, dict) else None
    return text if isinstance(text, str) else ""


def citation_site(body: Any) -> str:
    """meta.source_url without scheme and www. (``artificialanalysis.ai``), "" if none."""
    meta = body.get("meta") if isinstance(body, dict) else None
    url = meta.get("source_url") if isinstance(meta, dict) else None
    if not isinstance(url, str):
        return ""
    site = url.split("://", 1)[-1].rstrip("/")
    return site.removeprefix("www.")
