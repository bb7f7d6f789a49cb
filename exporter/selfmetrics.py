"""The exporter's own metrics (``openrouter_exporter_`` prefix) and the standard
``process_*``/``python_*`` ones: the live tail of every scrape.

A scrape reuses a rendering up to ``MAX_AGE`` seconds old, so values can lag by less than
a second (Prometheus scrapes every 15 s or more). Every line is written by
exporter.metrictext, like the dataset part: client_python's Counter, Histogram and process
collectors are the data model, not the renderer; each view's families are rendered line by
line, not sample by sample through client_python (~5 µs a sample).

``_created`` samples are clutter in the text format, and Prometheus 2 ignores them; setting
``PROMETHEUS_DISABLE_CREATED_SERIES=false`` keeps them, for whoever asks (read when the
self-metrics are built: client_python's own switch is process-wide state).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from exporter import __version__
from exporter.datasets import REGISTRY
from exporter.metrictext import Family, escape_label, label_string, metric_text, sample_line
from exporter.viewstatus import Key, ViewStatus

# server.py reads the view states from here; their home is exporter.viewstatus.
from exporter.viewstatus import ViewState as ViewState

MAX_AGE = 1.0  # seconds a rendering of the self-metrics is reused for
EOF_LINE = b"# EOF\n"


BUDGET_LIMIT = Family(
    "openrouter_exporter_budget_limit_requests",
    "Requests this exporter allows itself per sliding window (the configured limit "
    "minus the reserve for other users of the account).",
    ("window",),
)
BUDGET_USED = Family(
    "openrouter_exporter_budget_used_requests",
    "Requests recorded in the shared request log for the sliding window.",
    ("window",),
)
VIEW_UP = Family(
    "openrouter_exporter_view_up",
    "1 if the view's last refresh succeeded, 0 if it failed.",
    ("dataset", "view"),
)
VIEW_LAST_SUCCESS = Family(
    "openrouter_exporter_view_last_success_timestamp_seconds",
    "When the view last refreshed successfully (stored data keeps its age across restarts).",
    ("dataset", "view"),
)
VIEW_NEXT_REFRESH = Family(
    "openrouter_exporter_view_next_refresh_timestamp_seconds",
    "When the scheduler next plans to refresh the view.",
    ("dataset", "view"),
)


class GaugeLines:
    """Gauge families rendered like the dataset part; each sample line is formatted again
    only when its value changes (view states change a few times a day, not per scrape)."""

    def __init__(self, *families: Family) -> None:
        self.families = families
        self.headers = {f.name: f.header() for f in families}
        self._lines: dict[tuple[str, str], tuple[float, str]] = {}

    def line(self, family: Family, labels: str, value: float) -> str:
        hit = self._lines.get((family.name, labels))
        if hit is not None and hit[0] == value:
            return hit[1]
        line = sample_line(family.name, labels, value)
        self._lines[(family.name, labels)] = (value, line)
        return line


class LiveFamilies:
    """The budget and per-view gauges, read from their owners at each rendering."""

    def __init__(
        self,
        views: Callable[[], Iterable[ViewStatus]],
        budget: Callable[[], tuple[dict[str, int], dict[str, int]]],
    ) -> None:
        self.views = views
        self.budget = budget
        self._gauges = GaugeLines(
            BUDGET_LIMIT, BUDGET_USED, VIEW_UP, VIEW_LAST_SUCCESS, VIEW_NEXT_REFRESH
        )
        self._labels: dict[Key, str] = {}

    def render(self) -> bytes:
        """The same lines in both formats."""
        limits, used = self.budget()
        windows = {w: f'window="{escape_label(w)}"' for w in sorted(limits)}
        views = [(v, self._view_labels(v.dataset, v.view)) for v in self.views()]
        samples: dict[Family, list[tuple[str, float]]] = {
            BUDGET_LIMIT: [(lab, limits[w]) for w, lab in windows.items()],
            BUDGET_USED: [(lab, used.get(w, 0)) for w, lab in windows.items()],
            VIEW_UP: [(lab, 1 if v.up else 0) for v, lab in views if v.up is not None],
            VIEW_LAST_SUCCESS: [
                (lab, v.last_success) for v, lab in views if v.last_success is not None
            ],
            VIEW_NEXT_REFRESH: [
                (lab, v.next_refresh) for v, lab in views if v.next_refresh is not None
            ],
        }
        g = self._gauges
        out = []
        for family, values in samples.items():
            out.append(g.headers[family.name])
            out += [g.line(family, labels, value) for labels, value in values]
        return "".join(out).encode("utf-8")

    def _view_labels(self, dataset: str, view: str) -> str:
        labels = self._labels.get((dataset, view))
        if labels is None:
            labels = label_string(("dataset", "view"), (dataset, view))
            self._labels[(dataset, view)] = labels
        return labels


class SelfMetrics:
    """Everything a scrape appends after the dataset part, in three parts by how often they
    change: process metrics (always), the API request counters and histogram (on each
    request, a few an hour), the budget and view gauges (LiveFamilies)."""

    def __init__(
        self,
        views: Callable[[], Iterable[ViewStatus]] = lambda: (),
        budget: Callable[[], tuple[dict[str, int], dict[str, int]]] = lambda: ({}, {}),
        max_age: float = MAX_AGE,
    ) -> None:
        self.process = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.process)
        PlatformCollector(registry=self.process)
        GCCollector(registry=self.process)
        self.api = CollectorRegistry(auto_describe=True)
        build = Gauge(
            "openrouter_exporter_build_info",
            "Version of the running exporter.",
            ["version"],
            registry=self.api,
        )
        build.labels(__version__).set(1)
        self.requests = Counter(
            "openrouter_exporter_api_requests_total",
            'Requests sent to the Data API, by endpoint and HTTP status (code="error": no '
            "HTTP answer, e.g. a timeout).",
            ["endpoint", "code"],
            registry=self.api,
        )
        self.duration = Histogram(
            "openrouter_exporter_api_request_duration_seconds",
            "Time for one Data API request, answer or failure.",
            ["endpoint"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.api,
        )
        # Zero series for the codes alerts watch: increase() cannot see a counter's first
        # increment if the series only appears with it.
        for endpoint in sorted({e for d in REGISTRY.values() for e in d.endpoints}):
            for code in ("200", "400", "401", "429", "500", "error"):
                self.requests.labels(endpoint, code)
            self.duration.labels(endpoint)
        setting = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "true")
        self.created = setting.strip().lower() in ("false", "0", "f")
        self.live = LiveFamilies(views, budget)
        self.max_age = max_age
        self._observed = 0  # observations so far: the API part is rendered again after one
        self._api_rendered: dict[bool, tuple[int, bytes]] = {}
        self._recent: dict[bool, tuple[float, bytes]] = {}

    # Set by whoever owns the scheduler and budget (after both exist).
    @property
    def views(self) -> Callable[[], Iterable[ViewStatus]]:
        return self.live.views

    @views.setter
    def views(self, views: Callable[[], Iterable[ViewStatus]]) -> None:
        self.live.views = views

    @property
    def budget(self) -> Callable[[], tuple[dict[str, int], dict[str, int]]]:
        return self.live.budget

    @budget.setter
    def budget(self, budget: Callable[[], tuple[dict[str, int], dict[str, int]]]) -> None:
        self.live.budget = budget

    def observe(self, endpoint: str, code: str, seconds: float) -> None:
        self.requests.labels(endpoint, code).inc()
        self.duration.labels(endpoint).observe(seconds)
        self._observed += 1

    def recent(self, openmetrics: bool, not_before: float = -math.inf) -> bytes:
        """What a scrape appends: a rendering at most ``max_age`` seconds old, and begun no
        earlier than ``not_before`` (time.monotonic()): the dataset part it follows was
        made then, after the view states it reflects, which the tail must not predate."""
        now = time.monotonic()
        hit = self._recent.get(openmetrics)
        if hit is not None and not_before <= hit[0] and now - hit[0] < self.max_age:
            return hit[1]
        body = self.exposition(openmetrics)
        self._recent[openmetrics] = (now, body)
        return body

    def exposition(self, openmetrics: bool) -> bytes:
        """Rendered now; in OpenMetrics it closes the body with its one ``# EOF``."""
        process = self._text(self.process, openmetrics)
        api = self._api_part(openmetrics)
        return process + api + self.live.render() + (EOF_LINE if openmetrics else b"")

    def _text(self, registry: CollectorRegistry, openmetrics: bool) -> bytes:
        metrics = registry.collect()
        return "".join(metric_text(m, openmetrics, self.created) for m in metrics).encode("utf-8")

    def _api_part(self, openmetrics: bool) -> bytes:
        observed = self._observed  # read first: an observation during rendering renders again
        hit = self._api_rendered.get(openmetrics)
        if hit is not None and hit[0] == observed:
            return hit[1]
        body = self._text(self.api, openmetrics)
        self._api_rendered[openmetrics] = (observed, body)
        return body
