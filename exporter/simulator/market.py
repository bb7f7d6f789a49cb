"""A synthetic, deterministic OpenRouter market: apps, models, daily token series, session costs.

Every daily value is a pure function of the seed, the entity and the day, so the history can
be extended lazily as a simulated clock moves forward without changing any earlier day, and
two markets built from the same seed agree on every figure whatever their horizon.

The query methods (`app_rankings`, `rankings_daily`, `session_cost`) implement the Data API
semantics over this data; the HTTP layer only validates parameters and serialises, so tests
can compute expected responses from the same methods.
"""

from __future__ import annotations

import math
import random
import threading
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate, islice
from typing import Final

from exporter.simulator.catalog import (
    CATEGORY_GROUPS,
    CONTEXT_BUCKET_LIMITS,
    CONTEXT_BUCKETS,
    DATASET_FLOOR,
    HARNESSES,
    HOSTILE_APP_NAMES,
    KIND_CATEGORY_SHARES,
    KIND_CONTEXT_SHARES,
    KNOWN_APPS,
    MODEL_SPECS,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    OTHER_SLUG,
    REPORTED_MISSING_DAYS,
    RETIRED_MODELS,
    SUBCATEGORIES,
    SUBCATEGORY_TO_CATEGORY,
    SUFFIX_SUBCATEGORY_HINTS,
    TOP_MODELS_PER_BUCKET,
    TURN_RANGES,
    TWIN_MODELS,
)

EPOCH: Final = DATASET_FLOOR
APP_COUNT: Final = 300
_NOISE_LEN: Final = 4096
# Growth terms stop after ~3 years so a far-future simulated clock cannot overflow floats.
_GROWTH_CAP_DAYS: Final = 1100
_MARKET_GROWTH_PER_DAY: Final = 0.0018  # the whole market grows about 1.9x a year
_BEFORE_FLOOR: Final = -10_000
_NEVER: Final = 10**9
_FLAG_CAPABILITIES: Final = {"t": "tool_calling", "i": "image", "o": "image_output", "a": "audio"}
# Where the hostile names are slotted into the initial size order (0-based), so most of
# them show up in a default top-50 request.
_HOSTILE_POSITIONS: Final = (3, 7, 12, 16, 21, 26, 31, 36, 41, 46, 58, 38, 44)


def day_index(day: date) -> int:
    """Days since the dataset floor (2025-01-01 is 0)."""
    return (day - EPOCH).days


def index_day(index: int) -> date:
    return EPOCH + timedelta(days=index)


@dataclass(frozen=True, slots=True)
class App:
    id: int
    name: str
    subcategory: str | None
    launch: date | None
    """First day with traffic, or None when the app predates the dataset."""

    @property
    def category(self) -> str | None:
        return SUBCATEGORY_TO_CATEGORY.get(self.subcategory) if self.subcategory else None


@dataclass(frozen=True, slots=True)
class Model:
    permaslug: str
    launch: date | None
    retired_after: date | None
    capabilities: frozenset[str]
    """Modality slices this model counts in ("text", "image", "image_output", ...)."""
    context_length: int
    kind: str

    @property
    def author(self) -> str:
        return self.permaslug.split("/", 1)[0]

    @property
    def variant(self) -> str | None:
        _, sep, variant = self.permaslug.partition(":")
        return variant if sep else None

    @property
    def zero_token(self) -> bool:
        """Non-token endpoint: never has tokens, so rankings-daily drops it."""
        return self.kind == "zero"


@dataclass(frozen=True, slots=True)
class AppRanking:
    app: App
    rank: int
    total_tokens: int
    total_requests: int
    prior_tokens: int
    """Tokens in the three equal-length periods right before the window (trending input)."""

    @property
    def excess_growth(self) -> Fraction:
        return self.total_tokens - Fraction(self.prior_tokens, 3)


@dataclass(frozen=True, slots=True)
class DailyRow:
    date: date
    model_permaslug: str
    total_tokens: int


@dataclass(frozen=True, slots=True)
class SessionCostCell:
    app_slug: str
    app_name: str
    model_permaslug: str
    turn_range: str
    median_session_cost_usd: float


def _int_array() -> array[int]:
    return array("q")


def _prefix_array() -> array[int]:
    return array("q", [0])


@dataclass(slots=True)
class _Series:
    """Generator parameters of one entity plus its materialised values and prefix sums.

    int64 arrays: exact (prefix sums stay below 2**63 for centuries of this market's
    volumes) and a fifth of the memory of lists of Python ints.
    """

    ln_base: float
    growth: float
    launch: int
    ramp_days: int
    decline_start: int
    decline_rate: float
    last_day: int
    week: tuple[float, ...]
    noise_offset: int
    values: array[int] = field(default_factory=_int_array)
    prefix: array[int] = field(default_factory=_prefix_array)


@dataclass(slots=True)
class _AppSeries(_Series):
    tokens_per_request: float = 4000.0
    request_noise_offset: int = 0
    requests: array[int] = field(default_factory=_int_array)
    request_prefix: array[int] = field(default_factory=_prefix_array)


def _week_factors(weekend_ratio: float) -> tuple[float, ...]:
    # Weekday/weekend levels normalised to a mean of 1, Monday first.
    weekday = 7 / (5 + 2 * weekend_ratio)
    weekend = weekend_ratio * weekday
    return (weekday,) * 5 + (weekend,) * 2


def _unit_hash(*parts: object) -> float:
    """Deterministic pseudo-random number in [0, 1) for a key, stable across processes."""
    return zlib.crc32("|".join(map(str, parts)).encode()) / 2**32


class Market:
    """The generated data. Read-only for callers; the history grows via `ensure`."""

    def __init__(
        self,
        seed: int = 42,
        *,
        until: date | None = None,
        missing_days: Iterable[date] = REPORTED_MISSING_DAYS,
    ) -> None:
        self.seed = seed
        self.missing_days: frozenset[date] = frozenset(missing_days)
        self._missing_idx = frozenset(day_index(d) for d in self.missing_days)
        self._lock = threading.Lock()
        noise_rng = random.Random(f"{seed}/noise")
        self._noise = [math.exp(noise_rng.gauss(0.0, 0.06)) for _ in range(_NOISE_LEN)]
        self._request_noise = [math.exp(noise_rng.gauss(0.0, 0.04)) for _ in range(_NOISE_LEN)]
        self._market_growth: list[float] = []

        self.models: list[Model] = []
        self._model_series: dict[str, _Series] = {}
        self._category_ppm: dict[str, dict[str, int]] = {}
        self._context_ppm: dict[str, dict[str, int]] = {}
        self._build_models(random.Random(f"{seed}/models"))
        self.model_by_slug: dict[str, Model] = {m.permaslug: m for m in self.models}

        self.apps: list[App] = []
        self._app_series: dict[int, _AppSeries] = {}
        self._build_apps(random.Random(f"{seed}/apps"))
        self.app_by_id: dict[int, App] = {a.id: a for a in self.apps}

        self.harnesses: tuple[tuple[str, str], ...] = HARNESSES
        self._session_models: dict[str, list[str]] = {}
        self._session_price: dict[str, float] = {}
        self._session_gaps: set[tuple[str, str, str]] = set()
        self._build_session_cost(random.Random(f"{seed}/session-cost"))

        self._days = 0
        if until is None:
            until = datetime.now(UTC).date() - timedelta(days=1)
        self.ensure(until + timedelta(days=1))

    @staticmethod
    def shared(seed: int = 42, missing_days: Iterable[date] = REPORTED_MISSING_DAYS) -> Market:
        """A process-wide market per (seed, missing days).

        Sharing is safe because every value is a pure function of seed and day, and the
        history only ever grows; it spares each Simulator the generation time and memory.
        """
        return _shared_market(seed, frozenset(missing_days))

    # ----------------------------------------------------------------- generation

    def _build_models(self, rng: random.Random) -> None:
        by_slug: dict[str, _Series] = {}
        for slug, launch_s, tier, flags, context, kind in MODEL_SPECS:
            launch = date.fromisoformat(launch_s) if launch_s else None
            retired = RETIRED_MODELS.get(slug)
            caps = {"text"} | {_FLAG_CAPABILITIES[f] for f in flags}
            self.models.append(Model(slug, launch, retired, frozenset(caps), context, kind))
            launch_idx = day_index(launch) if launch else _BEFORE_FLOOR
            if rng.random() < 0.65:  # most models fade as successors launch
                start = max(launch_idx, 0) + rng.randint(60, 420)
                decline_start, decline_rate = start, rng.uniform(0.002, 0.012)
            else:
                decline_start, decline_rate = _NEVER, 0.0
            series = _Series(
                ln_base=math.log(4e10 * 0.3 ** (tier - 1)) + rng.gauss(0.0, 0.4),
                growth=min(0.0012, rng.gauss(0.0003, 0.0008)),
                launch=launch_idx,
                ramp_days=rng.randint(4, 21),
                decline_start=decline_start,
                decline_rate=decline_rate,
                last_day=day_index(retired) if retired else _NEVER,
                week=_week_factors(rng.uniform(0.78, 0.95)),
                noise_offset=rng.randrange(_NOISE_LEN),
            )
            if kind == "zero":
                series.last_day = -1
            by_slug[slug] = series
            self._category_ppm[slug] = self._draw_category_ppm(rng, kind)
            self._context_ppm[slug] = self._draw_context_ppm(rng, kind, context)
        for twin, source in TWIN_MODELS.items():
            src = by_slug[source]
            by_slug[twin] = _Series(
                src.ln_base, src.growth, src.launch, src.ramp_days, src.decline_start,
                src.decline_rate, src.last_day, src.week, src.noise_offset,
            )  # fmt: skip
        self._model_series = by_slug

    @staticmethod
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

    @staticmethod
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

    def _build_apps(self, rng: random.Random) -> None:
        ids = rng.sample(range(1_000, 400_000), APP_COUNT)
        # (name, subcategory, score, launches-late?)
        drafts: list[tuple[str, str | None, float, bool]] = []
        for name, sub, boost in KNOWN_APPS:
            drafts.append((name, sub, boost * math.exp(rng.gauss(0, 0.5)), rng.random() < 0.2))
        generated_needed = APP_COUNT - len(KNOWN_APPS) - len(HOSTILE_APP_NAMES)
        combos = [f"{p} {s}" for p in NAME_PREFIXES for s in NAME_SUFFIXES]
        for name in rng.sample(combos, generated_needed):
            suffix = name.rsplit(" ", 1)[1]
            if rng.random() < 0.1:
                sub = None
            elif suffix in SUFFIX_SUBCATEGORY_HINTS and rng.random() < 0.8:
                sub = rng.choice(SUFFIX_SUBCATEGORY_HINTS[suffix])
            else:
                sub = rng.choice(SUBCATEGORIES)
            drafts.append((name, sub, 0.3 * math.exp(rng.gauss(0, 0.9)), rng.random() < 0.4))
        drafts.sort(key=lambda d: -d[2])
        hostile_slots = sorted(
            zip(_HOSTILE_POSITIONS, HOSTILE_APP_NAMES, strict=True), key=lambda p: p[0]
        )
        for pos, name in hostile_slots:
            drafts.insert(pos, (name, rng.choice(SUBCATEGORIES), 0.0, False))

        for rank, ((name, sub, _score, late), app_id) in enumerate(zip(drafts, ids, strict=True)):
            launch_idx = rng.randint(20, 650) if late else _BEFORE_FLOOR
            hostile = name in HOSTILE_APP_NAMES
            if not hostile and rng.random() < 0.25:
                decline_start = max(launch_idx, 0) + rng.randint(60, 700)
                decline_rate = rng.uniform(0.002, 0.02)
            else:
                decline_start, decline_rate = _NEVER, 0.0
            coding = sub is not None and SUBCATEGORY_TO_CATEGORY[sub] == "coding"
            weekend = rng.uniform(0.7, 0.88) if coding else rng.uniform(0.92, 1.12)
            series = _AppSeries(
                ln_base=math.log(1.5e10 * (rank + 1) ** -1.15) + rng.gauss(0.0, 0.15),
                growth=min(0.0012, rng.gauss(0.0, 0.0012)) if not hostile else 0.0,
                launch=launch_idx,
                ramp_days=rng.randint(5, 40),
                decline_start=decline_start,
                decline_rate=decline_rate,
                last_day=_NEVER,
                week=_week_factors(weekend),
                noise_offset=rng.randrange(_NOISE_LEN),
                tokens_per_request=math.exp(rng.gauss(math.log(30_000 if coding else 3_500), 0.4)),
                request_noise_offset=rng.randrange(_NOISE_LEN),
            )
            launch = index_day(launch_idx) if launch_idx >= 0 else None
            self.apps.append(App(app_id, name, sub, launch))
            self._app_series[app_id] = series

    def _build_session_cost(self, rng: random.Random) -> None:
        token_models = [m.permaslug for m in self.models if not m.zero_token]
        author_price = {"anthropic": 3.0, "openai": 1.6, "google": 1.2, "x-ai": 0.7}
        for slug in token_models:
            model = self.model_by_slug[slug]
            price = author_price.get(model.author, 0.35) * math.exp(rng.gauss(0, 0.35))
            self._session_price[slug] = 0.0 if model.variant == "free" else price
        for app_slug, _ in HARNESSES:
            chosen = sorted(rng.sample(token_models, 40 + rng.randint(0, 3)))
            self._session_models[app_slug] = chosen
            for model_slug in chosen:
                for turn in TURN_RANGES:
                    if rng.random() < 0.02:  # below the privacy threshold: cell not published
                        self._session_gaps.add((app_slug, model_slug, turn))

    def _values(self, s: _Series, start: int, stop: int) -> list[int]:
        out: list[int] = []
        growth_from = max(s.launch, 0)
        noise = self._noise
        mkt = self._market_growth
        for d in range(start, stop):
            if d < s.launch or d > s.last_day or d in self._missing_idx:
                out.append(0)
                continue
            x = s.ln_base + s.growth * min(d - growth_from, _GROWTH_CAP_DAYS)
            if d > s.decline_start:
                x -= s.decline_rate * (d - s.decline_start)
            v = (
                math.exp(x)
                * mkt[d]
                * s.week[(d + 2) % 7]
                * noise[(s.noise_offset + d) % _NOISE_LEN]
            )
            age = d - s.launch
            if age < s.ramp_days:
                v *= (age + 1) / s.ramp_days
            out.append(int(v))
        return out

    def ensure(self, stop: date) -> None:
        """Materialise every day before `stop` (exclusive)."""
        n = day_index(stop)
        if n <= self._days:
            return
        with self._lock:
            start = self._days
            if n <= start:
                return
            self._market_growth.extend(
                math.exp(_MARKET_GROWTH_PER_DAY * min(d, _GROWTH_CAP_DAYS)) for d in range(start, n)
            )
            for s in self._model_series.values():
                self._extend(s, start, n)
            rnoise = self._request_noise
            for s in self._app_series.values():
                new = self._extend(s, start, n)
                inv = 1.0 / s.tokens_per_request
                off = s.request_noise_offset
                reqs = [
                    max(1, int(t * inv * rnoise[(off + d) % _NOISE_LEN])) if t else 0
                    for d, t in enumerate(new, start)
                ]
                s.requests.extend(reqs)
                s.request_prefix.extend(
                    islice(accumulate(reqs, initial=s.request_prefix[-1]), 1, None)
                )
            self._days = n

    def _extend(self, s: _Series, start: int, stop: int) -> list[int]:
        new = self._values(s, start, stop)
        s.values.extend(new)
        s.prefix.extend(islice(accumulate(new, initial=s.prefix[-1]), 1, None))
        return new

    @property
    def last_materialised_day(self) -> date:
        return index_day(self._days - 1)

    # ----------------------------------------------------------------- raw series

    def _window(self, prefix: array[int], start: int, end: int) -> int:
        """Sum over day indexes [start, end], days before the floor counting as zero."""
        start = max(start, 0)
        if end < start:
            return 0
        return prefix[end + 1] - prefix[start]

    def model_tokens(self, permaslug: str, day: date) -> int:
        self.ensure(day + timedelta(days=1))
        d = day_index(day)
        return self._model_series[permaslug].values[d] if d >= 0 else 0

    def model_window(self, permaslug: str, start: date, end: date) -> int:
        self.ensure(end + timedelta(days=1))
        return self._window(self._model_series[permaslug].prefix, day_index(start), day_index(end))

    def app_tokens(self, app_id: int, day: date) -> int:
        self.ensure(day + timedelta(days=1))
        d = day_index(day)
        return self._app_series[app_id].values[d] if d >= 0 else 0

    def app_requests(self, app_id: int, day: date) -> int:
        self.ensure(day + timedelta(days=1))
        d = day_index(day)
        return self._app_series[app_id].requests[d] if d >= 0 else 0

    def app_window(self, app_id: int, start: date, end: date) -> tuple[int, int]:
        """(total_tokens, total_requests) of one app over [start, end] inclusive."""
        self.ensure(end + timedelta(days=1))
        s = self._app_series[app_id]
        a, b = day_index(start), day_index(end)
        return self._window(s.prefix, a, b), self._window(s.request_prefix, a, b)

    # ----------------------------------------------------------------- API semantics

    def app_rankings(
        self,
        start: date,
        end: date,
        *,
        sort: str = "popular",
        category: str | None = None,
        subcategory: str | None = None,
    ) -> list[AppRanking]:
        """The whole ranking for a resolved window, ranks 1..N after filtering.

        Ties (equal tokens or equal excess growth) break by app_id ascending (*inferred*).
        """
        self.ensure(end + timedelta(days=1))
        if subcategory is not None:
            allowed: set[str] | None = {subcategory}
        elif category is not None:
            allowed = set(CATEGORY_GROUPS[category])
        else:
            allowed = None
        a, b = day_index(start), day_index(end)
        length = b - a + 1
        scored: list[tuple[int, int, App, int, int, int]] = []
        for app in self.apps:
            if allowed is not None and app.subcategory not in allowed:
                continue
            s = self._app_series[app.id]
            tokens = self._window(s.prefix, a, b)
            prior = self._window(s.prefix, a - 3 * length, a - 1)
            if sort == "trending":
                score = 3 * tokens - prior  # 3 x excess growth, exact in integers
                if score <= 0:
                    continue
            else:
                if tokens <= 0:
                    continue
                score = tokens
            requests = self._window(s.request_prefix, a, b)
            scored.append((-score, app.id, app, tokens, requests, prior))
        scored.sort(key=lambda r: (r[0], r[1]))
        return [
            AppRanking(app, rank, tokens, requests, prior)
            for rank, (_, _, app, tokens, requests, prior) in enumerate(scored, 1)
        ]

    def rankings_daily(
        self,
        start: date,
        end: date,
        *,
        period: str | None = None,
        modality: str | None = None,
        context_bucket: str | None = None,
        category: str | None = None,
        language_type: str | None = None,
        data_end: date | None = None,
    ) -> list[DailyRow]:
        """Top 50 models per bucket plus `other`, in the documented order.

        Exact views: buckets are dated by their first calendar day (ISO Monday / 1st of
        month) even when the window starts mid-bucket, and hold only days inside the
        window, so the trailing bucket is partial (*inferred*).

        Estimate views (`category`, `language_type`; period defaults to week, per the SDK):
        whole ISO weeks overlapping the window, so "the trailing weekly bucket may include
        traffic past `end_date`" up to `data_end` (the newest published day); months sum
        the weeks whose Monday falls in them ("approximate at month boundaries").
        """
        models = [m for m in self.models if not m.zero_token]
        if modality is not None:
            models = [m for m in models if modality in m.capabilities]
        if category is not None or language_type is not None:
            key = category if category is not None else f"lang:{language_type}"
            return self._estimate_rows(
                start, end, period or "week", key, max(end, data_end or end), models
            )
        self.ensure(end + timedelta(days=1))
        rows: list[DailyRow] = []
        for bucket_date, a, b in _buckets(start, end, period or "day"):
            totals: list[tuple[int, str]] = []
            for m in models:
                tokens = self._window(self._model_series[m.permaslug].prefix, a, b)
                if tokens and context_bucket is not None:
                    share = self._context_ppm[m.permaslug].get(context_bucket, 0)
                    tokens = tokens * share // 10**6
                if tokens > 0:
                    totals.append((tokens, m.permaslug))
            rows.extend(_rank_bucket(bucket_date, totals))
        return rows

    def _estimate_rows(
        self, start: date, end: date, period: str, key: str, through: date, models: list[Model]
    ) -> list[DailyRow]:
        self.ensure(through + timedelta(days=1))
        last = day_index(through)
        buckets: dict[date, dict[str, int]] = {}
        monday = start - timedelta(days=start.weekday())
        while monday <= end:
            bucket = monday if period == "week" else monday.replace(day=1)
            slot = buckets.setdefault(bucket, {})
            a, b = day_index(monday), min(day_index(monday) + 6, last)
            for m in models:
                tokens = self._window(self._model_series[m.permaslug].prefix, a, b)
                if tokens:
                    estimate = self._estimate(m.permaslug, monday, tokens, key)
                    if estimate:
                        slot[m.permaslug] = slot.get(m.permaslug, 0) + estimate
            monday += timedelta(days=7)
        rows: list[DailyRow] = []
        for bucket, slot in buckets.items():
            rows.extend(_rank_bucket(bucket, [(t, slug) for slug, t in slot.items()]))
        return rows

    def _estimate(self, slug: str, week: date, tokens: int, key: str) -> int:
        # Sampled-then-upsampled views: a noisy share, rounded to the upsampling factor.
        share = self._category_ppm[slug][key]
        jitter = 0.95 + 0.1 * _unit_hash(self.seed, slug, key, week)
        return int(tokens * share / 10**6 * jitter) // 1000 * 1000

    def session_cost(self, window_end: date) -> list[SessionCostCell]:
        """Every published cell of the snapshot ending `window_end`, sorted by app_slug,
        model_permaslug, then turn range in enum order (*inferred* order)."""
        turn_factor = {"1-turn": 0.02, "2-9-turns": 0.12, "10-49-turns": 0.9, "50-plus-turns": 4.5}
        harness_factor = {"claude-code": 1.3, "cline": 1.0, "kilo-code": 0.9, "roo-code": 1.1}
        cells: list[SessionCostCell] = []
        for app_slug, app_name in self.harnesses:
            for model_slug in self._session_models[app_slug]:
                for turn in TURN_RANGES:
                    if (app_slug, model_slug, turn) in self._session_gaps:
                        continue
                    weekly = 0.85 + 0.3 * _unit_hash(
                        self.seed, app_slug, model_slug, turn, window_end
                    )
                    cost = (
                        self._session_price[model_slug]
                        * turn_factor[turn]
                        * harness_factor.get(app_slug, 1.0)
                        * weekly
                    )
                    cells.append(
                        SessionCostCell(app_slug, app_name, model_slug, turn, round(cost, 6))
                    )
        return cells


def _rank_bucket(bucket_date: date, totals: list[tuple[int, str]]) -> list[DailyRow]:
    """Top 50 by tokens (ties by permaslug) plus `other` when the tail is not empty."""
    totals.sort(key=lambda t: (-t[0], t[1]))
    rows = [DailyRow(bucket_date, slug, t) for t, slug in totals[:TOP_MODELS_PER_BUCKET]]
    tail = sum(t for t, _ in totals[TOP_MODELS_PER_BUCKET:])
    if tail > 0:
        rows.append(DailyRow(bucket_date, OTHER_SLUG, tail))
    return rows


@lru_cache(maxsize=8)
def _shared_market(seed: int, missing_days: frozenset[date]) -> Market:
    return Market(seed, missing_days=missing_days)


def _buckets(start: date, end: date, period: str) -> list[tuple[date, int, int]]:
    """(bucket date, first day index, last day index) covering [start, end]."""
    a, b = day_index(start), day_index(end)
    if period == "day":
        return [(index_day(d), d, d) for d in range(a, b + 1)]
    out: list[tuple[date, int, int]] = []
    cursor = start
    while cursor <= end:
        if period == "week":
            bucket = cursor - timedelta(days=cursor.weekday())
            nxt = bucket + timedelta(days=7)
        else:
            bucket = cursor.replace(day=1)
            nxt = (bucket + timedelta(days=32)).replace(day=1)
        last = min(nxt - timedelta(days=1), end)
        out.append((bucket, day_index(cursor), day_index(last)))
        cursor = nxt
    return out


__all__ = [
    "EPOCH",
    "App",
    "AppRanking",
    "DailyRow",
    "Market",
    "Model",
    "SessionCostCell",
    "day_index",
    "index_day",
]
