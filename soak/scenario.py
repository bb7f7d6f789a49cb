"""What one seed throws at the exporter: a publication calendar, outages, crashes, others'
traffic. Everything is drawn up front from the seed, except per-request faults, which the
transport draws from its own seeded stream as requests arrive.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from exporter.simulator.publication import PublicationSchedule, day_close

DAY = 86400.0
HOUR = 3600.0
BASE = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; each seed starts somewhere in 8 weeks

# Crash points, each at least once per run (cycled in a shuffled order).
CRASH_KINDS = (
    "between-steps",  # the process dies while idle
    "before-send",  # the request is in the log (fsynced) but never left the process
    "in-flight",  # the request reached the API, the process died before the answer
    "snapshot-write",  # half of a snapshot written, then death
    "log-append",  # half of a request-log line written (torn line), then death
)
CRASHES_PER_DAY = 2.0
OTHER_CONSUMER_PER_DAY = 100  # the reserve: 20 % of 500 is another tool's to use
KEY_OUTAGE = HOUR  # "a key rejected for an hour"

# Per-request faults: (kind, weight). Their total rate per request is ``fault_rate``.
FAULT_WEIGHTS = (
    ("5xx", 3),
    ("html", 1),
    ("malformed-json", 1),
    ("truncated", 1),
    ("truncated-connection", 1),
    ("missing-field", 1),
    ("connect-timeout", 1),
    ("read-timeout", 1),
    ("429-retry-after", 1),
    ("429", 1),
)


@dataclass(frozen=True)
class Scenario:
    seed: int
    start: float
    days: float
    publication: PublicationSchedule
    skipped: frozenset[date]
    key_outages: tuple[tuple[float, float], ...]
    server_outages: tuple[tuple[float, float], ...]
    crashes: tuple[tuple[float, str], ...]
    crash_loops: tuple[float, ...]
    corruptions: tuple[float, ...]
    other_requests: tuple[float, ...]
    fault_rate: float

    @property
    def end(self) -> float:
        return self.start + self.days * DAY

    def published(self) -> list[tuple[date, float]]:
        """(day, publication time) of every day that appears during the run."""
        first = datetime.fromtimestamp(self.start, UTC).date() - timedelta(days=3)
        last = datetime.fromtimestamp(self.end, UTC).date()
        out = []
        day = first
        while day <= last:
            at = self.publication.published_at(day).timestamp()
            if self.start <= at <= self.end and day not in self.skipped:
                out.append((day, at))
            day += timedelta(days=1)
        return out

    def session_windows(self) -> list[tuple[date, float]]:
        """(window end, publication time) of every weekly session-cost window published
        during the run."""
        out = []
        sunday = datetime.fromtimestamp(self.start, UTC).date()
        sunday -= timedelta(days=(sunday.weekday() + 1) % 7)
        while True:
            at = (day_close(sunday) + self.publication.session_cost_delay).timestamp()
            if at > self.end:
                return out
            if at >= self.start:
                out.append((sunday, at))
            sunday += timedelta(days=7)


def generate(seed: int, days: float) -> Scenario:
    rng = random.Random(f"soak/{seed}")
    start_dt = BASE + timedelta(days=rng.randrange(56), seconds=rng.uniform(0, DAY))
    start = start_dt.timestamp()
    end = start + days * DAY
    publication, skipped = _calendar(rng, start_dt, days)
    crashes = _crashes(rng, start, end, days)
    return Scenario(
        seed=seed,
        start=start,
        days=days,
        publication=publication,
        skipped=skipped,
        key_outages=_windows(rng, start, end, 1, KEY_OUTAGE, KEY_OUTAGE),
        server_outages=_windows(rng, start, end, max(1, round(days / 3)), 300.0, 2700.0),
        crashes=crashes,
        crash_loops=(rng.uniform(start, end),),
        corruptions=(rng.uniform(start + HOUR, end),),
        other_requests=_other_consumer(rng, start, end),
        fault_rate=rng.uniform(0.04, 0.10),
    )


def _calendar(
    rng: random.Random, start: datetime, days: float
) -> tuple[PublicationSchedule, frozenset[date]]:
    """Days published a few hours after they close; some a day or more late (holding
    back the days after them), some skipped (missing from the history for good)."""
    times: dict[date, datetime] = {}
    skipped: set[date] = set()
    first = start.date() - timedelta(days=3)
    last = start.date() + timedelta(days=int(days) + 2)
    day = first
    while day <= last:
        delay = timedelta(hours=rng.uniform(0.5, 5.0))
        if rng.random() < 0.12:
            delay += timedelta(hours=rng.uniform(6.0, 36.0))  # published late
        times[day] = day_close(day) + delay
        # Skipped: never published on its own, it arrives (empty) with the next day.
        later = start.date() < day < last
        if later and day - timedelta(days=1) not in skipped and rng.random() < 0.06:
            skipped.add(day)
        day += timedelta(days=1)
    for day in sorted(skipped, reverse=True):
        times[day] = times[day + timedelta(days=1)]
    schedule = PublicationSchedule(
        times=times,
        delay=timedelta(hours=3),
        growth_ppm=rng.randint(10, 80),
        growth_time=timedelta(hours=rng.uniform(2.0, 8.0)),
        session_cost_delay=timedelta(hours=rng.uniform(2.0, 10.0)),
    )
    return schedule, frozenset(skipped)


def _windows(
    rng: random.Random, start: float, end: float, n: int, shortest: float, longest: float
) -> tuple[tuple[float, float], ...]:
    out = []
    for _ in range(n):
        at = rng.uniform(start, max(start, end - shortest))
        out.append((at, at + rng.uniform(shortest, longest)))
    return tuple(sorted(out))


def _crashes(
    rng: random.Random, start: float, end: float, days: float
) -> tuple[tuple[float, str], ...]:
    n = max(len(CRASH_KINDS), round(days * CRASHES_PER_DAY))
    kinds = []
    while len(kinds) < n:
        batch = list(CRASH_KINDS)
        rng.shuffle(batch)
        kinds.extend(batch)
    return tuple(sorted((rng.uniform(start, end), k) for k in kinds[:n]))


def _other_consumer(rng: random.Random, start: float, end: float) -> tuple[float, ...]:
    """Another tool on the same account, inside the reserve: never more than its share in
    any sliding 24 h, so every 429 the exporter gets from the limiter is its own doing."""
    rate = rng.uniform(0.0, 0.9) * OTHER_CONSUMER_PER_DAY
    times = sorted(rng.uniform(start, end) for _ in range(int(rate * (end - start) / DAY)))
    kept: list[float] = []
    for t in times:
        if sum(1 for k in kept if k > t - DAY) < OTHER_CONSUMER_PER_DAY:
            kept.append(t)
    return tuple(kept)
