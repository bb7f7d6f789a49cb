"""The wire between the exporter's client and the simulator, in-process, on the simulated
clock: latency, timeouts, injected faults and the crash points around sending."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import NoReturn

import httpx

from exporter.simulator import Fault, ManualClock, Simulator
from soak.scenario import FAULT_WEIGHTS, Scenario

RETRY_AFTER_CHOICES = (1, 5, 20, 60, 180, 600)


class Wire:
    def __init__(
        self,
        sim: Simulator,
        clock: ManualClock,
        scenario: Scenario,
        timeout: float,
        die: Callable[[str], NoReturn],
    ) -> None:
        self.sim = sim
        self.clock = clock
        self.scenario = scenario
        self.timeout = timeout
        self.die = die
        self.rng = random.Random(f"soak/{scenario.seed}/wire")
        self.armed: str | None = None  # "before-send" | "in-flight"
        self.unavailable: list[tuple[float, float]] = []  # Retry-After the API asked for
        self.injected: dict[str, int] = {}
        self.unsent: list[float] = []  # requests that never reached the API
        kinds, weights = zip(*FAULT_WEIGHTS, strict=True)
        self._kinds: tuple[str, ...] = kinds
        self._weights: tuple[int, ...] = weights

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _advance(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    def _draw(self, now: float) -> str | None:
        if any(a <= now < b for a, b in self.scenario.server_outages):
            return self.rng.choice(("5xx", "html"))
        if self.rng.random() >= self.scenario.fault_rate:
            return None
        return self.rng.choices(self._kinds, self._weights)[0]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.armed == "before-send":
            self.armed = None
            self.die("before-send")  # in the request log, never sent
        kind = self._draw(self.clock.timestamp())
        if kind is not None:
            self.injected[kind] = self.injected.get(kind, 0) + 1
        self._advance(self.rng.uniform(0.02, 0.4))
        if kind == "connect-timeout":
            self.unsent.append(self.clock.timestamp())
            self._advance(self.timeout)
            raise httpx.ConnectTimeout("simulated: no connection", request=request)
        fault = self._fault(kind)
        if fault is not None:
            self.sim.faults.add(fault)
        response = self.sim.handle(request)
        if self.armed == "in-flight":
            self.armed = None
            self.die("in-flight")  # the API counted it; the answer is never read
        if kind == "read-timeout":
            self._advance(self.timeout)
            raise httpx.ReadTimeout("simulated: no answer in time", request=request)
        self._advance(self.rng.uniform(0.02, 1.5))
        return response

    def _fault(self, kind: str | None) -> Fault | None:
        if kind == "5xx":
            return Fault.server_error(self.rng.choice((500, 502, 503, 504)))
        if kind == "html":
            return Fault.html(self.rng.choice((502, 503, 520)))
        if kind == "malformed-json":
            return Fault.malformed_json()
        if kind == "truncated":
            return Fault.truncated()
        if kind == "truncated-connection":
            return Fault.truncated(incomplete=True)
        if kind == "missing-field":
            return Fault.missing_field(self.rng.choice(("rank", "total_tokens", "meta", "data")))
        if kind == "429-retry-after":
            wait = self.rng.choice(RETRY_AFTER_CHOICES)
            now = self.clock.timestamp()
            self.unavailable.append((now, now + wait))
            return Fault.rate_limited(wait)
        if kind == "429":
            return Fault.rate_limited()
        return None
