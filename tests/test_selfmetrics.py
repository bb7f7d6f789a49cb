"""The live tail of every scrape: the same lines client_python would render, no ``_created``
series unless asked for, and a rendering reused for at most ``max_age`` seconds."""

from __future__ import annotations

import time

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest as generate_text
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter import selfmetrics as sm
from exporter.metrictext import metric_text
from exporter.selfmetrics import SelfMetrics
from exporter.viewstatus import ViewState, ViewStatus

STATUSES = [
    ViewStatus(
        "app-rankings", "30d/popular/all", ViewState.OK, last_success=1.7e9, next_refresh=1.8e9
    ),
    ViewStatus("app-rankings", 'odd "view" \\ name\n', ViewState.FAILING, "HTTP 500", 1.6e9),
    ViewStatus("rankings-daily", "daily", next_refresh=1.75e9),
]
BUDGET = ({"1m": 24, "24h": 400}, {"24h": 7})


def metrics() -> SelfMetrics:
    m = SelfMetrics(views=lambda: STATUSES, budget=lambda: BUDGET)
    m.observe("app-rankings", "200", 0.3)
    return m


class Reference:
    """The budget and view families built the client_python way (GaugeMetricFamily)."""

    def collect(self):
        limits, used = BUDGET
        families = {}
        for fam in (sm.BUDGET_LIMIT, sm.BUDGET_USED):
            families[fam.name] = GaugeMetricFamily(fam.name, fam.help, labels=fam.labels)
        for w in sorted(limits):
            families[sm.BUDGET_LIMIT.name].add_metric([w], limits[w])
            families[sm.BUDGET_USED.name].add_metric([w], used.get(w, 0))
        for fam, value in (
            (sm.VIEW_UP, lambda v: None if v.up is None else (1 if v.up else 0)),
            (sm.VIEW_LAST_SUCCESS, lambda v: v.last_success),
            (sm.VIEW_NEXT_REFRESH, lambda v: v.next_refresh),
        ):
            families[fam.name] = GaugeMetricFamily(fam.name, fam.help, labels=fam.labels)
            for v in STATUSES:
                if value(v) is not None:
                    families[fam.name].add_metric([v.dataset, v.view], value(v))
        yield from families.values()


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_own_families_render_as_client_python_would(openmetrics):
    registry = CollectorRegistry()
    registry.register(Reference())
    generate = generate_openmetrics if openmetrics else generate_text
    reference = generate(registry)
    ours = metrics().exposition(openmetrics)
    if openmetrics:
        assert ours.endswith(b"\n# EOF\n") and ours.count(b"# EOF") == 1
        reference = reference.removesuffix(b"# EOF\n")
        ours = ours.removesuffix(b"# EOF\n")
    assert ours.endswith(reference)  # byte for byte, after the standard metrics
    parse = parse_openmetrics if openmetrics else parse_text
    views = {
        s.labels["view"]: s.value
        for f in parse(ours.decode() + ("# EOF\n" if openmetrics else ""))
        for s in f.samples
        if s.name == "openrouter_exporter_view_up"
    }
    assert views == {"30d/popular/all": 1.0, 'odd "view" \\ name\n': 0.0}


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_no_created_series_unless_asked_for(openmetrics, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_DISABLE_CREATED_SERIES", raising=False)
    body = metrics().exposition(openmetrics).decode()
    assert "openrouter_exporter_api_requests_total" in body
    assert "openrouter_exporter_api_request_duration_seconds_count" in body
    assert "_created" not in body
    monkeypatch.setenv("PROMETHEUS_DISABLE_CREATED_SERIES", "false")
    body = metrics().exposition(openmetrics).decode()
    assert 'openrouter_exporter_api_requests_created{code="200",endpoint="app-rankings"}' in body
    assert 'openrouter_exporter_api_request_duration_seconds_created{endpoint="app-rankings"}' in (
        body
    )


def test_a_rendering_is_reused_for_at_most_max_age():
    statuses: list[ViewStatus] = []
    m = SelfMetrics(views=lambda: statuses, max_age=0.3)
    first = m.recent(False)
    statuses.append(ViewStatus("rankings-daily", "daily", ViewState.OK))
    assert m.recent(False) is first  # within max_age: the same bytes, not rendered again
    assert b'view_up{dataset="rankings-daily"' in m.exposition(False)  # always fresh
    time.sleep(0.35)
    assert b'view_up{dataset="rankings-daily",view="daily"} 1.0' in m.recent(False)
    assert m.recent(True).endswith(b"# EOF\n")  # each format has its own rendering


def test_fresh_renderings_follow_every_change():
    """Parts are kept between renderings (the API counters until the next request, each
    gauge line until its value changes); a change must always show."""
    statuses = [ViewStatus("rankings-daily", "daily", ViewState.OK, last_success=1.0)]
    m = SelfMetrics(views=lambda: statuses)
    for openmetrics in (False, True):
        for i in range(3):
            m.observe("app-rankings", "429", 0.2)
            statuses[0].last_success = 2.0 + i  # changed in place, as a scheduler may
            statuses[0].set(ViewState.OK if i % 2 == 0 else ViewState.FAILING, "HTTP 500")
            body = m.exposition(openmetrics).decode()
            count = i + 1 + (3 if openmetrics else 0)
            assert f'_requests_total{{code="429",endpoint="app-rankings"}} {count}.0' in body
            assert f'_seconds_count{{endpoint="app-rankings"}} {count}.0' in body
            view = '{dataset="rankings-daily",view="daily"}'
            assert (
                f"openrouter_exporter_view_last_success_timestamp_seconds{view} {2.0 + i}" in body
            )
            assert f"openrouter_exporter_view_up{view} {1 if i % 2 == 0 else 0}.0" in body


def test_a_tail_never_predates_the_dataset_part_it_follows():
    """The scheduler records a view's state before it stores the snapshot, so a tail
    rendered after the dataset part was made shows that state: a response never has the
    new data with the old view_up."""
    statuses = [ViewStatus("rankings-daily", "daily")]
    m = SelfMetrics(views=lambda: statuses, max_age=60)
    assert b"view_up{" not in m.recent(False)
    statuses[0].set(ViewState.OK)  # then the snapshot is stored and the dataset part rendered:
    dataset_made = time.monotonic()
    assert b"view_up{" not in m.recent(False)  # a scrape of the old dataset part may lag
    assert b'view_up{dataset="rankings-daily",view="daily"} 1.0' in m.recent(False, dataset_made)


def odd_registry() -> CollectorRegistry:
    """Every kind the self-metrics use, and help text with the characters that escape."""
    registry = CollectorRegistry()
    odd = Gauge("odd_gauge", 'help "quoted", a \\ and a\nnewline', ["a", "b"], registry=registry)
    odd.labels('x"y', "é\\z").set(2)
    g = Gauge("plain_gauge", "no labels", registry=registry)
    g.set(1.5e-7)
    Counter("events", "a counter", registry=registry).inc(3)
    Info("build", "an info metric", registry=registry).info({"version": "1.2"})
    h = Histogram("wait_seconds", "a histogram", ["endpoint"], registry=registry)
    h.labels('e"1').observe(0.3)
    return registry


@pytest.mark.parametrize("created", [False, True], ids=["without_created", "with_created"])
@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
def test_client_python_metrics_are_written_as_client_python_writes_them(openmetrics, created):
    """One rendering path: counters, histograms and the rest come out of exporter.metrictext
    byte for byte as client_python's own exposition writes them."""
    generate = generate_openmetrics if openmetrics else generate_text
    for registry in (metrics().api, odd_registry()):
        metrics_list = list(registry.collect())
        if not created:
            for m in metrics_list:
                m.samples = [s for s in m.samples if s.name != m.name + "_created"]
        reference = generate(ListCollector(metrics_list)).removesuffix(b"# EOF\n")
        ours = "".join(metric_text(m, openmetrics, created=True) for m in metrics_list)
        assert ours.encode("utf-8") == reference


class ListCollector:
    def __init__(self, metrics):
        self.metrics = metrics

    def collect(self):
        return iter(self.metrics)
