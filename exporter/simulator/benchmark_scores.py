"""Benchmark scores of the market's models (/benchmarks), one table per source: Artificial
Analysis's indices, Design Arena's Elo ratings, OpenRouter's own benchmarks and its search
lanes. Rows are wire-shaped dicts with the SDK's field names.

Every model gets one latent strength (newer and flagship models stronger, small and "mini"
ones weaker, a seeded wobble); each score is that strength mapped into its benchmark's
range, so one model's scores agree with each other the way real ones roughly do. A model
is scored once it has launched (the day served is the newest published day).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from exporter.simulator.catalog import (
    ARENA_CATEGORIES,
    ARENA_ENTRANTS,
    BENCHMARK_SCORE_RANGES,
    BENCHMARK_TASKS_PER_RUN,
    CLASSIC_BENCHMARKS,
    SEARCH_BENCHMARKS,
    SEARCH_ENGINES,
    SEARCH_SURFACES,
)
from exporter.simulator.entities import Model
from exporter.simulator.series import unit_hash

Row = dict[str, Any]

_BENCHMARKED_AUTHORS = frozenset(
    {
        "openai", "anthropic", "google", "deepseek", "x-ai", "qwen", "meta-llama",
        "mistralai", "moonshotai", "z-ai", "minimax", "amazon", "cohere", "microsoft",
    }
)  # fmt: skip
_AUTHOR_EDGE = {"anthropic": 0.08, "openai": 0.08, "google": 0.07, "x-ai": 0.04}
_WEAK_WORDS = {"nano": 0.25, "8b": 0.3, "7b": 0.3, "mini": 0.12, "lite": 0.1, "small": 0.12}
# $ per million prompt tokens at full strength; completion costs four times as much.
_AUTHOR_PRICE = {"anthropic": 6.0, "openai": 5.0, "google": 2.5, "x-ai": 3.0}
_AUTHOR_NAMES = {
    "openai": "OpenAI", "x-ai": "xAI", "meta-llama": "Meta", "mistralai": "Mistral",
    "z-ai": "Z.ai", "deepseek": "DeepSeek", "moonshotai": "MoonshotAI", "minimax": "MiniMax",
}  # fmt: skip
_PRE_FLOOR_LAUNCH = date(2024, 9, 1)
_STRENGTH_ORIGIN = date(2024, 1, 1)


def _h(seed: int, *parts: object) -> float:
    return unit_hash(seed, "bench", *parts)


def benchmarked(models: list[Model], day: date) -> list[Model]:
    """The models the benchmark sources list on ``day``: launched, not retired, no variant,
    by a lab the sources follow."""
    return [
        m
        for m in models
        if m.variant is None
        and not m.zero_token
        and m.author in _BENCHMARKED_AUTHORS
        and (m.launch is None or m.launch <= day)
        and (m.retired_after is None or m.retired_after >= day)
    ]


def strength(seed: int, model: Model) -> float:
    """The model's latent strength in [0.02, 0.98]."""
    launch = model.launch or _PRE_FLOOR_LAUNCH
    s = (launch - _STRENGTH_ORIGIN).days / 760 + _AUTHOR_EDGE.get(model.author, 0.0)
    name = model.permaslug.split("/", 1)[1]
    s -= max((v for w, v in _WEAK_WORDS.items() if w in name), default=0.0)
    s += (_h(seed, "strength", model.permaslug) - 0.5) * 0.15
    return min(0.98, max(0.02, s))


def display_name(slug: str) -> str:
    author, _, name = slug.partition("/")
    words = [w.upper() if w in {"gpt", "glm", "r1", "v3"} else w for w in name.split("-")]
    return f"{_AUTHOR_NAMES.get(author, author.title())}: {' '.join(words)}"


def pricing(seed: int, model: Model) -> Row | None:
    """Price per token as decimal strings; None for a few models (*inferred* 5 %)."""
    if _h(seed, "unpriced", model.permaslug) < 0.05:
        return None
    per_million = _AUTHOR_PRICE.get(model.author, 0.8) * (0.1 + strength(seed, model) ** 2)
    prompt = round(per_million, 4) / 1e6
    return {"completion": _decimal(prompt * 4), "prompt": _decimal(prompt)}


def _decimal(value: float) -> str:
    return f"{value:.12f}".rstrip("0").rstrip(".") or "0"


def artificial_analysis(seed: int, models: list[Model]) -> list[Row]:
    """One row per model: three indices on a 0-100 scale; agentic from 2025 launches only."""
    rows = []
    for m in models:
        q = strength(seed, m)
        coding_lean = 1.1 if m.kind == "code" else 0.9
        agentic = None
        if m.launch is not None and m.launch >= date(2025, 3, 1):
            agentic = round(5 + 60 * q + 6 * (_h(seed, "aa-agentic", m.permaslug) - 0.5), 1)
        rows.append(
            {
                "agentic_index": agentic,
                "coding_index": round(min(80.0, 5 + 62 * q * coding_lean), 1),
                "display_name": display_name(m.permaslug),
                "intelligence_index": round(
                    10 + 65 * q + 4 * (_h(seed, "aa", m.permaslug) - 0.5), 1
                ),
                "model_permaslug": m.permaslug,
                "pricing": pricing(seed, m),
                "source": "artificial-analysis",
            }
        )
    return rows


def _score(seed: int, benchmark: str, q: float, *lane: object) -> float:
    low, high = BENCHMARK_SCORE_RANGES[benchmark]
    wobble = 0.85 + 0.25 * _h(seed, "score", benchmark, *lane)
    return round(min(1.0, max(0.0, low + (high - low) * q * wobble)), 4)


def _last_run(seed: int, model: Model, benchmark: str, day: date) -> str:
    back = int(_h(seed, "last-run", model.permaslug, benchmark) * 21)
    run_day = max(day - timedelta(days=back), model.launch or day - timedelta(days=back))
    hour = int(_h(seed, "run-hour", model.permaslug, benchmark) * 24)
    return f"{run_day.isoformat()}T{hour:02d}:00:00Z"


def _cost(price: Row | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    if price is None:
        return None
    dollars = (
        float(price["prompt"]) * prompt_tokens + float(price["completion"]) * completion_tokens
    )
    return round(dollars, 6)


def openrouter_classic(seed: int, models: list[Model], day: date) -> list[Row]:
    """GPQA Diamond and tau-bench for the models OpenRouter evaluates (*inferred* 60 %)."""
    rows = []
    for m in models:
        if _h(seed, "or-evaluated", m.permaslug) >= 0.6:
            continue
        q = strength(seed, m)
        for benchmark in CLASSIC_BENCHMARKS:
            runs = 1 + int(_h(seed, "runs", m.permaslug, benchmark) * 3)
            stddev = round(0.01 + 0.03 * _h(seed, "sd", m.permaslug, benchmark), 4)
            tokens = (3_000, 2_000) if benchmark == "gpqa_diamond" else (40_000, 3_000)
            rows.append(
                {
                    "accuracy": _score(seed, benchmark, q, m.permaslug),
                    "accuracy_stddev": None if runs == 1 else stddev,
                    "avg_cost_per_task": _cost(pricing(seed, m), *tokens),
                    "benchmark_type": benchmark,
                    "display_name": display_name(m.permaslug),
                    "last_run_timestamp": _last_run(seed, m, benchmark, day),
                    "model_permaslug": m.permaslug,
                    "source": "openrouter",
                    "total_tasks": runs * BENCHMARK_TASKS_PER_RUN[benchmark],
                }
            )
    return rows


def search_lanes(seed: int, models: list[Model], day: date) -> list[Row]:
    """Every evaluated lane (model x benchmark x engine x surface) of the search benchmarks
    for the tool-calling models evaluated (*inferred* 40 %); the endpoint publishes each
    model's best lane among those a request's filters keep."""
    rows = []
    for m in models:
        if "tool_calling" not in m.capabilities or _h(seed, "search", m.permaslug) >= 0.4:
            continue
        q = strength(seed, m)
        for benchmark in SEARCH_BENCHMARKS:
            for engine in SEARCH_ENGINES:
                for surface in SEARCH_SURFACES:
                    lane = (m.permaslug, benchmark, engine, surface)
                    rows.append(_search_row(seed, m, q, day, lane))
    return rows


def _search_row(seed: int, m: Model, q: float, day: date, lane: tuple[str, ...]) -> Row:
    _, benchmark, engine, surface = lane
    runs = 1 + int(_h(seed, "search-runs", *lane) * 3)
    effort = ("low", "medium", "high", None)[int(_h(seed, "effort", *lane) * 4)]
    return {
        "avg_cost_per_task": _cost(pricing(seed, m), 60_000, 4_000),
        "avg_latency_per_task_ms": round(20_000 + 100_000 * _h(seed, "latency", *lane), 1),
        "benchmark_type": benchmark,
        "display_name": display_name(m.permaslug),
        "last_run_timestamp": _last_run(seed, m, benchmark, day),
        "model_permaslug": m.permaslug,
        "primary_metric": "f1_by_item" if benchmark == "search_widesearch" else "accuracy",
        "primary_score": _score(seed, benchmark, q, *lane),
        "search_engine": engine,
        "search_surface": surface,
        "source": "openrouter",
        "total_tasks": runs * BENCHMARK_TASKS_PER_RUN[benchmark],
        "run_config": {
            "max_agent_turns": None if surface == "plugin" else 10 * (1 + runs),
            "reasoning_effort": effort,
            "temperature": None if effort is None else (0.0 if runs == 1 else 1.0),
        },
    }


def design_arena(seed: int, models: list[Model]) -> list[Row]:
    """Elo ratings per arena and category: the models arena for models launched in 2025,
    the builders and agents arenas for their own (non-OpenRouter) entrants."""
    rows = []
    for m in models:
        if m.launch is None or m.launch < date(2025, 2, 1):
            continue
        price = pricing(seed, m)
        for category in ARENA_CATEGORIES["models"]:
            rows.append(_arena_row(seed, "models", category, m.permaslug, strength(seed, m), price))
    for arena, entrants in ARENA_ENTRANTS.items():
        for entrant in entrants:
            q = 0.4 + 0.5 * _h(seed, "entrant", entrant)
            for category in ARENA_CATEGORIES[arena]:
                rows.append(_arena_row(seed, arena, category, entrant, q, None))
    return rows


def _arena_row(seed: int, arena: str, category: str, slug: str, q: float, price: Row | None) -> Row:
    elo = round(1000 + 450 * q + 80 * (_h(seed, "elo", arena, category, slug) - 0.5), 1)
    # Design Arena's own relation between a win rate and an Elo rating, centred on 1200.
    win = 1 / (1 + 10 ** ((1200 - elo) / 400))
    total = 200 + int(3_000 * _h(seed, "battles", arena, category, slug))
    first, second = round(total * win * win), round(total * win * (1 - win))
    third = round(total * (1 - win) * win * 0.9)
    return {
        "arena": arena,
        "avg_generation_time_ms": round(20_000 + 80_000 * _h(seed, "gen", slug, category), 1),
        "category": category,
        "display_name": display_name(slug) if "/" in slug else slug.replace("-", " ").title(),
        "elo": elo,
        "model_permaslug": slug,
        "pricing": price,
        "source": "design-arena",
        "tournament_stats": {
            "first_place": first,
            "fourth_place": total - first - second - third,
            "second_place": second,
            "third_place": third,
            "total": total,
        },
        "win_rate": round(100 * win, 1),
    }
