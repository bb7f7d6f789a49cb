"""One seeded run: the exporter and the simulator on one simulated clock, the scenario's
events on a queue, every invariant checked after every step."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import random
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import httpx

from exporter.simulator import ManualClock, Market, Simulator
from exporter.simulator.catalog import REPORTED_MISSING_DAYS
from soak import adapter, freshness
from soak.invariants import Arrivals, Serving, Violation, check_log, day_of
from soak.scenario import HOUR, Scenario, generate
from soak.transport import Wire

KEY = "sk-or-v1-soak-0123456789abcdef"
OTHER_KEY = "sk-or-v1-another-tool-on-the-account"
BASE_URL = "https://openrouter.ai/api/v1"
CRASH_LOOP = 5  # restarts within one simulated minute
MAX_STEPS_PER_DAY = 20_000  # far above any plan: more means the scheduler spins


@dataclass
class Failure:
    invariant: str
    detail: str
    step: int
    at: float


@dataclass
class Result:
    config: str
    seed: int
    days: float
    limit_minute: int = 0
    limit_day: int = 0
    steps: int = 0
    restarts: int = 0
    requests_per_day: dict[date, int] = field(default_factory=dict)
    worst_minute: int = 0
    worst_day: int = 0
    budget_spent: float = 0.0  # seconds the 24 h budget was all used
    injected_429: int = 0
    own_429: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    delays: dict[str, list[float]] = field(default_factory=dict)  # dataset -> seconds
    crashes: dict[str, int] = field(default_factory=dict)  # where the process died
    digest: str = ""  # of every request that arrived: equal runs are equal
    wall: float = 0.0
    cpu: float = 0.0  # seconds of CPU: what the run costs whatever else the machine does
    failure: Failure | None = None


class _LogGuard(logging.Handler):
    """Keeps the exporter's log lines off the console and checks none carries the key."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage() + (self.format(record) if record.exc_info else "")
        if self.secret in line:
            self.leaks.append(line)


class Soak:
    def __init__(
        self, scenario: Scenario, config: str, workdir: Path, broken: str | None = None
    ) -> None:
        self.scenario = scenario
        self.config_name = config
        self.cfg = adapter.load_config(config)
        self.broken = broken
        self.state = workdir / "state"
        self.frozen = workdir / "frozen"
        self.clock = ManualClock(datetime.fromtimestamp(scenario.start, UTC))
        market = Market(
            scenario.seed,
            until=day_of(scenario.start),
            missing_days=(*REPORTED_MISSING_DAYS, *scenario.skipped),
        )
        self.sim = Simulator(
            seed=scenario.seed,
            now=self.clock,
            api_keys={KEY, OTHER_KEY},
            market=market,
            publication=scenario.publication,
        )
        for a, b in scenario.key_outages:
            self.sim.reject_keys(_dt(a), _dt(b))
        self.wire = Wire(
            self.sim, self.clock, scenario, adapter.request_timeout(self.cfg), self._die
        )
        self.seams = adapter.Seams(self._die)
        self.arrivals = Arrivals(self.sim, KEY, adapter.budget_limits(self.cfg))
        self.serving = Serving(self.arrivals)
        self.rng = random.Random(f"soak/{scenario.seed}/harness")
        self.result = Result(config, scenario.seed, scenario.days)
        self._events: list[tuple[float, int, str, object]] = []
        self._seq = itertools.count()
        self.freshness = freshness.Freshness(
            scenario,
            adapter.promises(self.cfg),
            adapter.fill_days(self.cfg),
            self._unavailable,
            self._at,
        )
        self._rendering: object = None
        self._durable_seen = 0
        self.proc: adapter.ExporterProcess | None = None
        self.unsent: list[float] = []  # requests recorded in the log that never left

    # --- events ----------------------------------------------------------------------

    def _at(self, when: float, kind: str, data: object = None) -> None:
        heapq.heappush(self._events, (when, next(self._seq), kind, data))

    def _schedule(self) -> None:
        s = self.scenario
        for when, kind in s.crashes:
            self._at(when, "crash", kind)
        for when in s.crash_loops:
            self._at(when, "crash-loop")
        for when in s.corruptions:
            self._at(when, "corrupt")
        for when in s.other_requests:
            self._at(when, "other")
        self.freshness.schedule()
        t = s.start + HOUR
        while t < s.end:
            self._at(t, "hourly")
            t += HOUR

    def _unavailable(self) -> list[tuple[float, float]]:
        """When the exporter could not refresh: the API refused service on purpose (key
        rejected, outage, Retry-After) or the 24 h budget was spent."""
        s = self.scenario
        return [*s.key_outages, *s.server_outages, *self.wire.unavailable, *self.arrivals.spent]

    def _fire(self, kind: str, data: object) -> None:
        if kind == "crash":
            if data == "between-steps":
                self._restart("between-steps")
            elif data in ("before-send", "in-flight"):
                self.wire.armed = str(data)
            else:
                self.seams.armed = str(data)
        elif kind == "crash-loop":
            self._crash_loop()
        elif kind == "corrupt":
            self._corrupt()
        elif kind == "other":
            request = httpx.Request(
                "GET",
                f"{BASE_URL}/datasets/rankings-daily",
                params={"start_date": "2025-06-01", "end_date": "2025-06-01"},  # cheap
                headers={"Authorization": f"Bearer {OTHER_KEY}"},
            )
            self.sim.handle(request)
        elif kind == "hourly":
            self._check_log()
        elif kind in freshness.KINDS:
            self.freshness.fire(kind, data, self.serving.last, self.clock.timestamp())

    # --- the process -----------------------------------------------------------------

    def _die(self, where: str) -> NoReturn:
        """Kill the process here: the disk is kept exactly as it is now."""
        if where in ("before-send", "log-append"):
            self.unsent.append(self.clock.timestamp())  # one more log entry than arrivals
        shutil.rmtree(self.frozen, ignore_errors=True)
        shutil.copytree(self.state, self.frozen)
        raise adapter.Crash(where)

    def _start(self) -> None:
        self.proc = adapter.ExporterProcess(
            self.cfg,
            KEY,
            self.wire.transport(),
            self.clock.timestamp,
            self.state,
            random.Random(f"soak/{self.scenario.seed}/process/{self.result.restarts}"),
        )
        self._check(after_restart=True)
        self._check_log()

    def _restart(self, why: str, frozen: bool = False) -> None:
        """A new process from what is on disk only (as it was at the crash, if frozen)."""
        self.result.crashes[why] = self.result.crashes.get(why, 0) + 1
        if self.proc is not None:
            self.proc.close()
        self.proc = None
        if frozen:
            shutil.rmtree(self.state)
            self.frozen.rename(self.state)
        self.result.restarts += 1
        self._start()

    def _step(self) -> float:
        assert self.proc is not None
        try:
            wait = self.proc.step()
        except adapter.Crash as crash:
            self._restart(str(crash), frozen=True)
            return 0.0
        except Exception as e:
            raise Violation("a step never raises", f"{type(e).__name__}: {e}") from e
        self.result.steps += 1
        self._check(after_restart=False)
        return wait

    def _crash_loop(self) -> None:
        for _ in range(CRASH_LOOP):
            self._restart("crash-loop")
            self._step()
            self.clock.advance(timedelta(seconds=10))

    def _corrupt(self) -> None:
        files = adapter.snapshot_files(self.state)
        if not files:
            return
        victim = self.rng.choice(files)
        key = adapter.snapshot_key(victim)
        data = victim.read_bytes()
        victim.write_bytes(data[: len(data) // 2])  # torn, as by a disk that lost a write
        aside = len(adapter.moved_aside(self.state))
        if key is not None:
            self.serving.lost.add(key)
            self.serving.durable.pop(key, None)
            self.freshness.destroyed(key, self.clock.timestamp())
        self._restart("torn-snapshot-file")
        if len(adapter.moved_aside(self.state)) != aside + 1:
            raise Violation("a torn snapshot is moved aside", f"{victim.name} was not")

    # --- checks ----------------------------------------------------------------------

    def _check(self, after_restart: bool) -> None:
        self.arrivals.update()
        durable = self.seams.durable
        written = durable[self._durable_seen :]
        for key, as_of in written:
            self.serving.durable[key] = max(as_of, self.serving.durable.get(key, 0.0))
        self._durable_seen = len(durable)
        assert self.proc is not None
        rendering = self.proc.rendering()
        if rendering is self._rendering and not after_restart and not written:
            return
        self._rendering = rendering
        views = self.serving.observe(self.proc.dataset_text(), after_restart)
        self.freshness.observed(views, self.clock.timestamp())

    def _check_log(self) -> None:
        assert self.proc is not None
        self.arrivals.update()
        unsent = [*self.unsent, *self.wire.unsent]
        check_log(self.proc.self_metrics_text(), self.arrivals, unsent, self.clock.timestamp())

    # --- the run ---------------------------------------------------------------------

    def run(self) -> Result:
        started, cpu = time.perf_counter(), time.process_time()
        guard = _LogGuard(KEY)
        log = logging.getLogger("exporter")
        log.addHandler(guard)
        log.propagate = False
        stacks = [adapter.break_component(self.broken)] if self.broken else []
        stacks.append(adapter.install_seams(self.seams))
        try:
            self._schedule()
            self._start()
            self._loop(guard)
        except Violation as v:
            self.result.failure = Failure(
                v.invariant, v.detail, self.result.steps, self.clock.timestamp()
            )
        finally:
            for stack in reversed(stacks):
                stack.close()
            log.removeHandler(guard)
            log.propagate = True
            if self.proc is not None:
                self.proc.close()
        self._figures(time.perf_counter() - started, time.process_time() - cpu)
        return self.result

    def _loop(self, guard: _LogGuard) -> None:
        end = self.scenario.end
        limit = MAX_STEPS_PER_DAY * max(1.0, self.scenario.days)
        while self.clock.timestamp() < end:
            while self._events and self._events[0][0] <= self.clock.timestamp():
                _, _, kind, data = heapq.heappop(self._events)
                self._fire(kind, data)
            wait = self._step()
            if self.result.steps > limit:
                raise Violation("the scheduler makes progress", f"{limit:.0f} steps")
            if guard.leaks:
                raise Violation("the API key never appears in logs", guard.leaks[0][:200])
            now = self.clock.timestamp()
            nxt = min(self._events[0][0] if self._events else end, end)
            if wait > 0 and nxt > now:
                # At least the clock's resolution (1 µs): a budget wait can be less.
                self.clock.advance(timedelta(seconds=max(1e-6, min(wait, nxt - now))))

    def _figures(self, wall: float, cpu: float) -> None:
        r = self.result
        r.requests_per_day = dict(sorted(self.arrivals.per_day.items()))
        r.limit_minute = self.arrivals.limits.per_minute
        r.limit_day = self.arrivals.limits.per_day
        r.worst_minute = self.arrivals.worst_minute
        r.worst_day = self.arrivals.worst_day
        r.budget_spent = sum(b - a for a, b in self.arrivals.spent)
        r.injected_429 = self.arrivals.injected_429
        r.own_429 = self.arrivals.own_429
        r.injected = dict(sorted(self.wire.injected.items()))
        r.delays = self.freshness.delays
        trace = hashlib.sha256()
        for a in self.sim.log:
            trace.update(
                f"{a.time.isoformat()} {a.key} {a.path} {sorted(a.params.items())} ".encode()
            )
            trace.update(f"{a.status} {a.fault}\n".encode())
        r.digest = trace.hexdigest()
        r.wall = wall
        r.cpu = cpu


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def run_seed(
    config: str, seed: int, days: float, workdir: Path, broken: str | None = None
) -> Result:
    return Soak(generate(seed, days), config, workdir, broken).run()
