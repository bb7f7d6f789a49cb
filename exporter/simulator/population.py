"""Who is in the market: the catalog's models and a seeded population of apps, each with the
parameters of its daily series and (models) its shares of categories and prompt lengths.

Every draw comes from a generator seeded by the market's seed, in a fixed order: the same
seed gives the same market.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from exporter.simulator.catalog import (
    CONTEXT_BUCKET_LIMITS,
    CONTEXT_BUCKETS,
    HOSTILE_APP_NAMES,
    KIND_CATEGORY_SHARES,
    KIND_CONTEXT_SHARES,
    KNOWN_APPS,
    MODEL_SPECS,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    RETIRED_MODELS,
    SUBCATEGORIES,
    SUBCATEGORY_TO_CATEGORY,
    SUFFIX_SUBCATEGORY_HINTS,
    TWIN_MODELS,
)
from exporter.simulator.entities import App, Model
from exporter.simulator.series import (
    BEFORE_FLOOR,
    NEVER,
    NOISE_LEN,
    AppSeries,
    Series,
    day_index,
    index_day,
    week_factors,
)

APP_COUNT: Final = 300
_FLAG_CAPABILITIES: Final = {"t": "tool_calling", "i": "image", "o": "image_output", "a": "audio"}
# Where the hostile names are slotted into the initial size order (0-based), so most of
# them show up in a default top-50 request.
_HOSTILE_POSITIONS: Final = (3, 7, 12, 16, 21, 26, 31, 36, 41, 46, 58, 38, 44)

Draft = tuple[str, str | None, float, bool]  # name, subcategory, size score, launches late


@dataclass
class Models:
    models: list[Model] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    category_ppm: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per model: parts per million of its tokens in each category (estimate views)."""
    context_ppm: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per model: parts per million of its tokens in each prompt-length bucket."""


def build_models(rng: random.Random) -> Models:
    out = Models()
    for slug, launch_s, tier, flags, context, kind in MODEL_SPECS:
        launch = date.fromisoformat(launch_s) if launch_s else None
        retired = RETIRED_MODELS.get(slug)
        caps = {"text"} | {_FLAG_CAPABILITIES[f] for f in flags}
        out.models.append(Model(slug, launch, retired, frozenset(caps), context, kind))
        launch_idx = day_index(launch) if launch else BEFORE_FLOOR
        if rng.random() < 0.65:  # most models fade as successors launch
            start = max(launch_idx, 0) + rng.randint(60, 420)
            decline_start, decline_rate = start, rng.uniform(0.002, 0.012)
        else:
            decline_start, decline_rate = NEVER, 0.0
        series = Series(
            ln_base=math.log(4e10 * 0.3 ** (tier - 1)) + rng.gauss(0.0, 0.4),
            growth=min(0.0012, rng.gauss(0.0003, 0.0008)),
            launch=launch_idx,
            ramp_days=rng.randint(4, 21),
            decline_start=decline_start,
            decline_rate=decline_rate,
            last_day=day_index(retired) if retired else NEVER,
            week=week_factors(rng.uniform(0.78, 0.95)),
            noise_offset=rng.randrange(NOISE_LEN),
        )
        if kind == "zero":
            series.last_day = -1
        out.series[slug] = series
        out.category_ppm[slug] = _draw_category_ppm(rng, kind)
        out.context_ppm[slug] = _draw_context_ppm(rng, kind, context)
    for twin, source in TWIN_MODELS.items():
        src = out.series[source]
        out.series[twin] = Series(
            src.ln_base, src.growth, src.launch, src.ramp_days, src.decline_start,
            src.decline_rate, src.last_day, src.week, src.noise_offset,
        )  # fmt: skip
    return out


def _draw_category_ppm(rng: random.Random, kind: str) -> dict[str, int]:
    shares = KIND_CATEGORY_SHARES.get(kind, KIND_CATEGORY_SHARES["general"])
    ppm = {c: int(1e6 * shares[c] * math.exp(rng.gauss(0.0, 0.25))) for c in shares}
    total = sum(ppm.values())
    if total > 950_000:  # shares stay a partition of (most of) the traffic
        ppm = {c: v * 950_000 // total for c, v in ppm.items()}
    programming = min(900_000, ppm["programming"] + 60_000)
    ppm["lang:programming"] = programming
    ppm["lang:natural"] = 1_000_000 - programming
    return ppm


def _draw_context_ppm(rng: random.Random, kind: str, context: int) -> dict[str, int]:
    weights = KIND_CONTEXT_SHARES.get(kind, KIND_CONTEXT_SHARES["general"])
    lower = 0
    allowed: dict[str, float] = {}
    for bucket, weight in zip(CONTEXT_BUCKETS, weights, strict=True):
        # A prompt bucket is reachable when the model accepts prompts longer than its floor.
        if context > lower and weight > 0:
            allowed[bucket] = weight * math.exp(rng.gauss(0.0, 0.3))
        lower = CONTEXT_BUCKET_LIMITS[bucket]
    total = sum(allowed.values()) or 1.0
    return {b: int(1e6 * w / total) for b, w in allowed.items()}


def build_apps(rng: random.Random) -> tuple[list[App], dict[int, AppSeries]]:
    ids = rng.sample(range(1_000, 400_000), APP_COUNT)
    apps: list[App] = []
    series: dict[int, AppSeries] = {}
    for rank, ((name, sub, _score, late), app_id) in enumerate(zip(_drafts(rng), ids, strict=True)):
        launch_idx = rng.randint(20, 650) if late else BEFORE_FLOOR
        series[app_id] = _app_series(rng, rank, name in HOSTILE_APP_NAMES, sub, launch_idx)
        launch = index_day(launch_idx) if launch_idx >= 0 else None
        apps.append(App(app_id, name, sub, launch))
    return apps, series


def _drafts(rng: random.Random) -> list[Draft]:
    """Every app's name, subcategory and lateness, largest first (hostile names slotted in)."""
    drafts: list[Draft] = []
    for name, sub, boost in KNOWN_APPS:
        drafts.append((name, sub, boost * math.exp(rng.gauss(0, 0.5)), rng.random() < 0.2))
    generated_needed = APP_COUNT - len(KNOWN_APPS) - len(HOSTILE_APP_NAMES)
    combos = [f"{p} {s}" for p in NAME_PREFIXES for s in NAME_SUFFIXES]
    for name in rng.sample(combos, generated_needed):
        suffix = name.rsplit(" ", 1)[1]
        generated: str | None
        if rng.random() < 0.1:
            generated = None
        elif suffix in SUFFIX_SUBCATEGORY_HINTS and rng.random() < 0.8:
            generated = rng.choice(SUFFIX_SUBCATEGORY_HINTS[suffix])
        else:
            generated = rng.choice(SUBCATEGORIES)
        drafts.append((name, generated, 0.3 * math.exp(rng.gauss(0, 0.9)), rng.random() < 0.4))
    drafts.sort(key=lambda d: -d[2])
    hostile_slots = sorted(
        zip(_HOSTILE_POSITIONS, HOSTILE_APP_NAMES, strict=True), key=lambda p: p[0]
    )
    for pos, name in hostile_slots:
        drafts.insert(pos, (name, rng.choice(SUBCATEGORIES), 0.0, False))
    return drafts


def _app_series(
    rng: random.Random, rank: int, hostile: bool, sub: str | None, launch_idx: int
) -> AppSeries:
    if not hostile and rng.random() < 0.25:
        decline_start = max(launch_idx, 0) + rng.randint(60, 700)
        decline_rate = rng.uniform(0.002, 0.02)
    else:
        decline_start, decline_rate = NEVER, 0.0
    coding = sub is not None and SUBCATEGORY_TO_CATEGORY[sub] == "coding"
    weekend = rng.uniform(0.7, 0.88) if coding else rng.uniform(0.92, 1.12)
    return AppSeries(
        ln_base=math.log(1.5e10 * (rank + 1) ** -1.15) + rng.gauss(0.0, 0.15),
        growth=min(0.0012, rng.gauss(0.0, 0.0012)) if not hostile else 0.0,
        launch=launch_idx,
        ramp_days=rng.randint(5, 40),
        decline_start=decline_start,
        decline_rate=decline_rate,
        last_day=NEVER,
        week=week_factors(weekend),
        noise_offset=rng.randrange(NOISE_LEN),
        tokens_per_request=math.exp(rng.gauss(math.log(30_000 if coding else 3_500), 0.4)),
        request_noise_offset=rng.randrange(NOISE_LEN),
    )
