"""Request parameters as the Data API checks them: formats, ranges, enums, combinations and
the date window. A bad one raises ``BadRequest`` with the API's message (a 400).

Each endpoint's parameters are checked in the order the live API reports them, so a
request with several mistakes gets the same message as there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from exporter.simulator.catalog import (
    APP_CATEGORIES,
    APP_SORTS,
    ARENAS,
    BENCHMARK_SOURCES,
    BENCHMARK_TASK_TYPES,
    BENCHMARK_TYPES,
    CLASSIFICATION_WINDOWS,
    CONTEXT_BUCKETS,
    DATASET_FLOOR,
    DEFAULT_WINDOW_DAYS,
    LANGUAGE_TYPES,
    MAX_WINDOW_DAYS,
    MODALITIES,
    PERIODS,
    RANKING_CATEGORIES,
    SEARCH_SURFACES,
    SUBCATEGORIES,
    SUBCATEGORY_TO_CATEGORY,
    TURN_RANGES,
)

Params = dict[str, str]

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_RE = re.compile(r"-?\d+")


class BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class AppQuery:
    sort: str
    category: str | None
    subcategory: str | None
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class RankingsQuery:
    period: str | None
    modality: str | None
    context_bucket: str | None
    category: str | None
    language_type: str | None


@dataclass(frozen=True, slots=True)
class SessionQuery:
    turn_range: str | None
    limit: int
    offset: int
    app_slug: str | None
    model: str | None


@dataclass(frozen=True, slots=True)
class BenchmarksQuery:
    source: str | None
    task_type: str | None
    benchmark_type: str | None
    include_run_config: bool
    search_engine: str | None
    search_surface: str | None
    arena: str | None
    category: str | None
    max_results: int | None


# No upper bound is documented for max_results; ours is above any response's length.
MAX_BENCHMARK_RESULTS = 1000


def app_query(params: Params) -> AppQuery:
    sort = enum_param(params, "sort", APP_SORTS) or "popular"
    category = enum_param(params, "category", APP_CATEGORIES)
    subcategory = enum_param(params, "subcategory", SUBCATEGORIES)
    if category and subcategory and SUBCATEGORY_TO_CATEGORY[subcategory] != category:
        raise BadRequest(f"subcategory '{subcategory}' does not belong to category '{category}'.")
    limit = int_param(params, "limit", 50, 1, 100)
    offset = int_param(params, "offset", 0, 0, 100)
    return AppQuery(sort, category, subcategory, limit, offset)


def rankings_query(params: Params) -> RankingsQuery:
    period = enum_param(params, "period", PERIODS)
    modality = enum_param(params, "modality", MODALITIES)
    context_bucket = enum_param(params, "context_bucket", CONTEXT_BUCKETS)
    category = enum_param(params, "category", RANKING_CATEGORIES)
    language_type = enum_param(params, "language_type", LANGUAGE_TYPES)
    if category and language_type:
        raise BadRequest("category and language_type cannot be combined.")
    if category or language_type:
        name = "category" if category else "language_type"
        if modality or context_bucket:
            raise BadRequest(f"{name} cannot be combined with modality or context_bucket.")
        # The SDK: "only `week` (default) and `month` are available — `day` is rejected".
        if period == "day":
            raise BadRequest(f"{name} is aggregated weekly: period must be week or month, not day.")
    if modality and context_bucket:
        raise BadRequest("modality and context_bucket cannot be combined.")
    return RankingsQuery(period, modality, context_bucket, category, language_type)


def session_query(params: Params) -> SessionQuery:
    turn_range = enum_param(params, "turn_range", TURN_RANGES)
    limit = int_param(params, "limit", 100, 1, 500)
    offset = int_param(params, "offset", 0, 0, 5000)
    return SessionQuery(turn_range, limit, offset, params.get("app_slug"), params.get("model"))


def classification_window(params: Params) -> int:
    """Days of the trailing window (/classifications/task): only 7d exists."""
    window = enum_param(params, "window", tuple(CLASSIFICATION_WINDOWS)) or "7d"
    return CLASSIFICATION_WINDOWS[window]


def benchmarks_query(params: Params) -> BenchmarksQuery:
    """/benchmarks: the enums are closed here (the live API's are *inferred* to reject an
    unknown value like the dataset endpoints do); ``search_engine`` and ``category`` are
    free text that match nothing when unknown."""
    source = enum_param(params, "source", BENCHMARK_SOURCES)
    task_type = enum_param(params, "task_type", BENCHMARK_TASK_TYPES)
    benchmark_type = enum_param(params, "benchmark_type", BENCHMARK_TYPES)
    include_run_config = bool_param(params, "include_run_config")
    search_surface = enum_param(params, "search_surface", SEARCH_SURFACES)
    arena = enum_param(params, "arena", ARENAS)
    max_results = None
    if "max_results" in params:
        max_results = int_param(params, "max_results", 0, 1, MAX_BENCHMARK_RESULTS)
    return BenchmarksQuery(
        source,
        task_type,
        benchmark_type,
        include_run_config,
        params.get("search_engine"),
        search_surface,
        arena,
        params.get("category"),
        max_results,
    )


def resolve_window(params: Params, latest: date, floor: date = DATASET_FLOOR) -> tuple[date, date]:
    """The [start, end] a request asks for, clamped to what exists: ``end`` defaults to
    (and is capped at) the newest published day ``latest``, ``start`` is clamped forward
    to the dataset's first day ``floor``."""
    start = date_param(params, "start_date")
    end = date_param(params, "end_date")
    if end is None:
        end = latest
    elif end < floor:
        raise BadRequest(f"end_date must be on or after {floor.isoformat()}.")
    end = min(end, latest)
    if start is None:
        start = end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    start = max(start, floor)
    if start > end:
        raise BadRequest("start_date must be on or before end_date.")
    span = (end - start).days + 1
    if span > MAX_WINDOW_DAYS:
        raise BadRequest(f"Date range cannot exceed {MAX_WINDOW_DAYS} days (requested {span}).")
    return start, end


def date_param(params: Params, name: str) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _DATE_RE.fullmatch(raw):
        raise BadRequest(f"Invalid {name} '{raw}': expected YYYY-MM-DD.")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"Invalid {name} '{raw}': not a calendar date.") from None


def enum_param(params: Params, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        raise BadRequest(f"Invalid {name} '{raw}': expected one of {', '.join(allowed)}.")
    return raw


def bool_param(params: Params, name: str) -> bool:
    # The SDK sends booleans as "true"/"false" (form style).
    raw = params.get(name, "false")
    if raw not in ("true", "false"):
        raise BadRequest(f"Invalid {name} '{raw}': expected true or false.")
    return raw == "true"


def int_param(params: Params, name: str, default: int, lo: int, hi: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INT_RE.fullmatch(raw) or not lo <= int(raw) <= hi:
        raise BadRequest(f"Invalid {name} '{raw}': expected an integer from {lo} to {hi}.")
    return int(raw)
