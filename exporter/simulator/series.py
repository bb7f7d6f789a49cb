"""Daily token series: each entity's generator parameters, its materialised values and their
prefix sums, extended lazily as a simulated clock moves forward.

Every daily value is a pure function of the seed, the entity and the day, so extending the
history never changes an earlier day, and two histories from the same seed agree on every
figure whatever their horizon.
"""

from __future__ import annotations

import math
import random
import threading
import zlib
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate, islice
from typing import Final

from exporter.simulator.catalog import DATASET_FLOOR

EPOCH: Final = DATASET_FLOOR
NOISE_LEN: Final = 4096
# Growth terms stop after ~3 years so a far-future simulated clock cannot overflow floats.
_GROWTH_CAP_DAYS: Final = 1100
_MARKET_GROWTH_PER_DAY: Final = 0.0018  # the whole market grows about 1.9x a year
BEFORE_FLOOR: Final = -10_000
NEVER: Final = 10**9


def day_index(day: date) -> int:
    """Days since the dataset floor (2025-01-01 is 0)."""
    return (day - EPOCH).days


def index_day(index: int) -> date:
    return EPOCH + timedelta(days=index)


def _int_array() -> array[int]:
    return array("q")


def _prefix_array() -> array[int]:
    return array("q", [0])


@dataclass(slots=True)
class Series:
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
class AppSeries(Series):
    tokens_per_request: float = 4000.0
    request_noise_offset: int = 0
    requests: array[int] = field(default_factory=_int_array)
    request_prefix: array[int] = field(default_factory=_prefix_array)


def week_factors(weekend_ratio: float) -> tuple[float, ...]:
    # Weekday/weekend levels normalised to a mean of 1, Monday first.
    weekday = 7 / (5 + 2 * weekend_ratio)
    weekend = weekend_ratio * weekday
    return (weekday,) * 5 + (weekend,) * 2


def unit_hash(*parts: object) -> float:
    """Deterministic pseudo-random number in [0, 1) for a key, stable across processes."""
    return zlib.crc32("|".join(map(str, parts)).encode()) / 2**32


def window(prefix: array[int], start: int, end: int) -> int:
    """Sum over day indexes [start, end], days before the floor counting as zero."""
    start = max(start, 0)
    if end < start:
        return 0
    return prefix[end + 1] - prefix[start]


class History:
    """Every model's and app's series, materialised up to a day (thread-safe)."""

    def __init__(
        self,
        seed: int,
        missing_days: Iterable[date],
        models: dict[str, Series],
        apps: dict[int, AppSeries],
    ) -> None:
        self.models = models
        self.apps = apps
        self._missing_idx = frozenset(day_index(d) for d in missing_days)
        self._lock = threading.Lock()
        noise_rng = random.Random(f"{seed}/noise")
        self._noise = [math.exp(noise_rng.gauss(0.0, 0.06)) for _ in range(NOISE_LEN)]
        self._request_noise = [math.exp(noise_rng.gauss(0.0, 0.04)) for _ in range(NOISE_LEN)]
        self._market_growth: list[float] = []
        self.days = 0
        """Day indexes [0, days) are materialised."""

    def ensure(self, n: int) -> None:
        """Materialise every day index before ``n``."""
        if n <= self.days:
            return
        with self._lock:
            start = self.days
            if n <= start:
                return
            self._market_growth.extend(
                math.exp(_MARKET_GROWTH_PER_DAY * min(d, _GROWTH_CAP_DAYS)) for d in range(start, n)
            )
            for s in self.models.values():
                self._extend(s, start, n)
            rnoise = self._request_noise
            for s in self.apps.values():
                new = self._extend(s, start, n)
                inv = 1.0 / s.tokens_per_request
                off = s.request_noise_offset
                reqs = [
                    max(1, int(t * inv * rnoise[(off + d) % NOISE_LEN])) if t else 0
                    for d, t in enumerate(new, start)
                ]
                s.requests.extend(reqs)
                s.request_prefix.extend(
                    islice(accumulate(reqs, initial=s.request_prefix[-1]), 1, None)
                )
            self.days = n

    def _extend(self, s: Series, start: int, stop: int) -> list[int]:
        new = self._values(s, start, stop)
        s.values.extend(new)
        s.prefix.extend(islice(accumulate(new, initial=s.prefix[-1]), 1, None))
        return new

    def _values(self, s: Series, start: int, stop: int) -> list[int]:
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
            v = math.exp(x) * mkt[d] * s.week[(d + 2) % 7] * noise[(s.noise_offset + d) % NOISE_LEN]
            age = d - s.launch
            if age < s.ramp_days:
                v *= (age + 1) / s.ramp_days
            out.append(int(v))
        return out
