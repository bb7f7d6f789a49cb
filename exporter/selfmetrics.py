"""The exporter's own metrics (``openrouter_exporter_`` prefix), rendered on every scrape.

They are small (tens of series), so unlike the dataset part they are always live.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from exporter import __version__
from exporter import taxonomy as tx


class ViewState(enum.Enum):
    """Where a view stands, as the scheduler decided it (never parsed back from text)."""

    PENDING = "pending"  # not refreshed yet in this process, no failure either
    OK = "ok"  # the last refresh succeeded
    FAILING = "failing"  # the last refresh failed; retried with backoff
    UNAUTHORIZED = "unauthorized"  # the API rejected the key; polling paused, retried hourly
    MISCONFIGURED = "misconfigured"  # the API answered 400; not retried until the config changes
    NO_KEY = "no key"  # no API key configured: never polled
    TOO_COSTLY = "too costly"  # one refresh needs more requests than the minute budget


@dataclass
class ViewStatus:
    """What the scheduler knows about one view, for the view_* metrics and the pages."""

    dataset: str
    view: str
    state: ViewState = ViewState.PENDING
    message: str | None = None  # why, for every state but OK and PENDING
    last_success: float | None = None
    next_refresh: float | None = None  # +inf: not refreshed until something changes

    def set(self, state: ViewState, message: str | None = None) -> None:
        self.state, self.message = state, message

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, self.view)

    @property
    def up(self) -> bool | None:
        """view_up: None before the first try, else whether the view refreshes fine."""
        if self.state is ViewState.PENDING:
            return None
        return self.state is ViewState.OK

    @property
    def error(self) -> str | None:
        """One line for a person: the state and why; None when there is nothing wrong."""
        if self.state in (ViewState.OK, ViewState.PENDING):
            return None
        if self.state is ViewState.FAILING:
            return self.message
        return f"{self.state.value}: {self.message}" if self.message else self.state.value


class SelfMetrics:
    def __init__(
        self,
        views: Callable[[], Iterable[ViewStatus]] = lambda: (),
        budget: Callable[[], tuple[dict[str, int], dict[str, int]]] = lambda: ({}, {}),
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        build = Gauge(
            "openrouter_exporter_build_info",
            "Version of the running exporter.",
            ["version"],
            registry=self.registry,
        )
        build.labels(__version__).set(1)
        self.requests = Counter(
            "openrouter_exporter_api_requests_total",
            'Requests sent to the Data API, by endpoint and HTTP status (code="error": no '
            "HTTP answer, e.g. a timeout).",
            ["endpoint", "code"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "openrouter_exporter_api_request_duration_seconds",
            "Time for one Data API request, answer or failure.",
            ["endpoint"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        # Zero series for the codes alerts watch: increase() cannot see a counter's first
        # increment if the series only appears with it.
        for endpoint in (tx.DATASET_APPS, tx.DATASET_MODELS, tx.DATASET_SESSION_COST):
            for code in ("200", "400", "401", "429", "500", "error"):
                self.requests.labels(endpoint, code)
            self.duration.labels(endpoint)
        # Set by whoever owns the scheduler and budget; read on every scrape.
        self.views = views
        self.budget = budget
        self.registry.register(self)  # type: ignore[arg-type]

    def observe(self, endpoint: str, code: str, seconds: float) -> None:
        self.requests.labels(endpoint, code).inc()
        self.duration.labels(endpoint).observe(seconds)

    def describe(self) -> list[Metric]:
        return []  # families vary with the config; built in collect()

    def collect(self) -> Iterator[Metric]:
        limits, used = self.budget()
        limit = GaugeMetricFamily(
            "openrouter_exporter_budget_limit_requests",
            "Requests this exporter allows itself per sliding window (the configured limit "
            "minus the reserve for other users of the account).",
            labels=["window"],
        )
        use = GaugeMetricFamily(
            "openrouter_exporter_budget_used_requests",
            "Requests recorded in the shared request log for the sliding window.",
            labels=["window"],
        )
        for window in sorted(limits):
            limit.add_metric([window], limits[window])
            use.add_metric([window], used.get(window, 0))
        up = GaugeMetricFamily(
            "openrouter_exporter_view_up",
            "1 if the view's last refresh succeeded, 0 if it failed.",
            labels=["dataset", "view"],
        )
        last = GaugeMetricFamily(
            "openrouter_exporter_view_last_success_timestamp_seconds",
            "When the view last refreshed successfully (stored data keeps its age across "
            "restarts).",
            labels=["dataset", "view"],
        )
        nxt = GaugeMetricFamily(
            "openrouter_exporter_view_next_refresh_timestamp_seconds",
            "When the scheduler next plans to refresh the view.",
            labels=["dataset", "view"],
        )
        for v in self.views():
            labels = [v.dataset, v.view]
            if v.up is not None:
                up.add_metric(labels, 1 if v.up else 0)
            if v.last_success is not None:
                last.add_metric(labels, v.last_success)
            if v.next_refresh is not None:
                nxt.add_metric(labels, v.next_refresh)
        yield from (limit, use, up, last, nxt)
