"""How the market's traffic splits by task over a trailing window (/classifications/task).

Each model's tokens in the window are spread over the task tags by its kind's mix (a coding
model's traffic is mostly ``code:*``, a roleplay model's ``general:*``), perturbed per model
and per window; each macro-category has its own tokens per request, so a tag's share of
requests and its share of tokens differ, as they do live. Shares only: the API publishes
no absolute volumes because its classification is sampled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from exporter.simulator.catalog import (
    KIND_MACRO_WEIGHTS,
    MACRO_CATEGORIES,
    MACRO_TOKENS_PER_REQUEST,
    TASK_TAGS,
    TOP_MODELS_PER_TAG,
)
from exporter.simulator.entities import Model
from exporter.simulator.series import History, day_index, unit_hash, window

_DIGITS = 6  # shares on the wire: enough to sum to 1 within 1e-5 over every tag


@dataclass(frozen=True, slots=True)
class TagModel:
    id: str
    tag_usage_share: float
    tag_token_share: float


@dataclass(frozen=True, slots=True)
class TaskClass:
    tag: str
    display_name: str
    macro_category: str
    usage_share: float
    token_share: float
    category_usage_share: float
    category_token_share: float
    models: tuple[TagModel, ...]


@dataclass(frozen=True, slots=True)
class MacroShare:
    key: str
    label: str
    usage_share: float
    token_share: float


def macro_of(tag: str) -> str:
    return tag.split(":", 1)[0]


def _mix(seed: int, model: Model, end: date) -> dict[str, float]:
    """The model's classified traffic per tag (sums to 1): its kind's macro weights spread
    over the macro's tags, earlier tags larger, jittered per model and per window."""
    weights = KIND_MACRO_WEIGHTS.get(model.kind, KIND_MACRO_WEIGHTS["general"])
    raw: dict[str, float] = {}
    position: dict[str, int] = defaultdict(int)
    for tag, _ in TASK_TAGS:
        macro = macro_of(tag)
        rank = position[macro]
        position[macro] += 1
        steady = 0.6 + 0.8 * unit_hash(seed, "task-mix", model.permaslug, tag)
        weekly = 0.9 + 0.2 * unit_hash(seed, "task-week", model.permaslug, tag, end)
        raw[tag] = weights[macro] / (1 + 0.6 * rank) * steady * weekly
    total = sum(raw.values())
    return {tag: w / total for tag, w in raw.items()}


def _volumes(
    history: History, models: list[Model], seed: int, start: date, end: date
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """(tokens, requests) per tag per model over [start, end]."""
    history.ensure(day_index(end) + 1)
    a, b = day_index(start), day_index(end)
    tokens: dict[str, dict[str, float]] = defaultdict(dict)
    requests: dict[str, dict[str, float]] = defaultdict(dict)
    for model in models:
        if model.zero_token:
            continue
        total = window(history.models[model.permaslug].prefix, a, b)
        if total <= 0:
            continue
        verbosity = 0.7 + 0.6 * unit_hash(seed, "task-verbosity", model.permaslug)
        for tag, share in _mix(seed, model, end).items():
            t = total * share
            tokens[tag][model.permaslug] = t
            requests[tag][model.permaslug] = t / (
                MACRO_TOKENS_PER_REQUEST[macro_of(tag)] * verbosity
            )
    return tokens, requests


def classify(
    history: History, models: list[Model], seed: int, start: date, end: date
) -> tuple[list[TaskClass], list[MacroShare]]:
    """Every tag with traffic in [start, end], by usage share (descending, ties by tag), and
    the macro-categories in their documented order (code, data, agent, general)."""
    tokens, requests = _volumes(history, models, seed, start, end)
    tag_tokens = {tag: sum(v.values()) for tag, v in tokens.items()}
    tag_requests = {tag: sum(v.values()) for tag, v in requests.items()}
    all_tokens, all_requests = sum(tag_tokens.values()), sum(tag_requests.values())
    if all_tokens <= 0:
        return [], []
    macro_tokens: dict[str, float] = defaultdict(float)
    macro_requests: dict[str, float] = defaultdict(float)
    for tag in tag_tokens:
        macro_tokens[macro_of(tag)] += tag_tokens[tag]
        macro_requests[macro_of(tag)] += tag_requests[tag]
    classes = [
        TaskClass(
            tag=tag,
            display_name=label,
            macro_category=macro_of(tag),
            usage_share=round(tag_requests[tag] / all_requests, _DIGITS),
            token_share=round(tag_tokens[tag] / all_tokens, _DIGITS),
            category_usage_share=round(tag_requests[tag] / macro_requests[macro_of(tag)], _DIGITS),
            category_token_share=round(tag_tokens[tag] / macro_tokens[macro_of(tag)], _DIGITS),
            models=_top_models(seed, tag, end, tokens[tag], requests[tag]),
        )
        for tag, label in TASK_TAGS
        if tag in tag_tokens
    ]
    classes.sort(key=lambda c: (-c.usage_share, c.tag))
    macros = [
        MacroShare(
            key,
            label,
            round(macro_requests[key] / all_requests, _DIGITS),
            round(macro_tokens[key] / all_tokens, _DIGITS),
        )
        for key, label in MACRO_CATEGORIES
        if key in macro_tokens
    ]
    return classes, macros


def _top_models(
    seed: int, tag: str, end: date, tokens: dict[str, float], requests: dict[str, float]
) -> tuple[TagModel, ...]:
    """The tag's top models by requests, each with its share of the tag; some requests are
    not attributed to a model, so the shares sum to less than 1 (*inferred* 2-8 %)."""
    attributed = 0.92 + 0.06 * unit_hash(seed, "task-attributed", tag, end)
    all_tokens, all_requests = sum(tokens.values()), sum(requests.values())
    top = sorted(requests, key=lambda slug: (-requests[slug], slug))[:TOP_MODELS_PER_TAG]
    return tuple(
        TagModel(
            slug,
            round(requests[slug] / all_requests * attributed, _DIGITS),
            round(tokens[slug] / all_tokens * attributed, _DIGITS),
        )
        for slug in top
    )
