"""The HTTP endpoints over a real socket, fed by the scheduler against a mocked API."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from conftest import FAKE_KEY, drive, golden_body
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import Exporter, build
from exporter.server import Server, start, wants_gzip


@pytest.fixture
def running(golden_api, golden_config, clock, tmp_path) -> Iterator[tuple[Exporter, str]]:
    exporter = build(golden_config, FAKE_KEY, clock=clock.timestamp, state_dir=tmp_path)
    drive(exporter.scheduler.step, clock, clock.timestamp() + 120)
    server: Server = start("127.0.0.1:0", exporter.endpoints())
    # respx patches httpx for the API only; let real loopback traffic through.
    golden_api.route(host="127.0.0.1").pass_through()
    try:
        yield exporter, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def values(text: str, name: str) -> dict[str, float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name == name:
                out[s.labels.get("app_id") or s.labels.get("model") or ""] = s.value
    return out


def test_metrics_values_equal_the_api_numbers(running):
    _, url = running
    r = httpx.get(f"{url}/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    api = {str(row["app_id"]): row for row in golden_body("apps_all")["data"]}
    text = r.text
    ranks = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if (
                s.name.startswith("openrouter_app_")
                and s.labels.get("sort") == "popular"
                and s.labels.get("subcategory") == "all"
                and "app_id" in s.labels
            ):
                ranks.setdefault(s.labels["app_id"], {})[s.name] = s.value
    assert set(ranks) == set(api)
    for app_id, row in api.items():
        assert ranks[app_id]["openrouter_app_rank"] == row["rank"]
        assert ranks[app_id]["openrouter_app_requests"] == row["total_requests"]
        assert ranks[app_id]["openrouter_app_tokens"] == float(int(row["total_tokens"]))
    assert "openrouter_exporter_build_info" in text
    assert 'openrouter_exporter_api_requests_total{code="200",endpoint="app-rankings"}' in text
    assert 'openrouter_exporter_view_up{dataset="app-rankings",view="7d/popular/all"} 1.0' in text


def test_gzip_when_asked(running):
    _, url = running
    with httpx.Client() as c:
        r = c.get(f"{url}/metrics", headers={"Accept-Encoding": "gzip"})
        plain = c.get(f"{url}/metrics", headers={"Accept-Encoding": "identity"})
    assert r.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    # httpx decodes only a first gzip member: both parts must be in one stream.
    body = r.text
    assert "openrouter_app_rank" in body and "openrouter_exporter_build_info" in body
    exporter, _ = running
    dataset = exporter.cache.current.text.decode()
    assert body.startswith(dataset) and plain.text.startswith(dataset)
    assert _names(body) == _names(plain.text)


def _names(text: str) -> set[str]:
    return {f.name for f in text_string_to_metric_families(text)}


def test_openmetrics_when_prometheus_asks(running):
    _, url = running
    accept = (
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    )
    r = httpx.get(f"{url}/metrics", headers={"Accept": accept})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.endswith("# EOF\n") and r.text.count("# EOF") == 1
    names = {f.name for f in parse_openmetrics(r.text)}
    assert {"openrouter_app_rank", "openrouter_exporter_api_requests"} <= names


def test_landing_health_ready_and_errors(running):
    _, url = running
    landing = httpx.get(f"{url}/")
    assert landing.status_code == 200
    assert 'href="/metrics"' in landing.text and "7d/popular/all" in landing.text
    assert httpx.get(f"{url}/healthz").text == "ok\n"
    assert httpx.get(f"{url}/readyz").text == "ready\n"  # every view has data
    assert httpx.get(f"{url}/nope").status_code == 404
    post = httpx.post(f"{url}/metrics")
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    head = httpx.head(f"{url}/metrics")
    assert head.status_code == 200 and head.content == b""


def test_ready_before_data_and_says_what_has_none(golden_config, clock, tmp_path):
    # Ready = can serve /metrics (a readiness probe must not take a data-less exporter out
    # of its Service); what has no data yet is in the body, view by view.
    exporter = build(golden_config, FAKE_KEY, clock=clock.timestamp, state_dir=tmp_path)
    server = start("127.0.0.1:0", exporter.endpoints())
    try:
        r = httpx.get(f"http://127.0.0.1:{server.server_address[1]}/readyz")
        assert r.status_code == 200 and "no data yet for" in r.text
        assert "7d/popular/all" in r.text
    finally:
        server.shutdown()
        server.server_close()


def test_key_never_in_any_page(running):
    _, url = running
    for path in ("/", "/metrics", "/healthz", "/readyz", "/nope"):
        assert FAKE_KEY not in httpx.get(f"{url}{path}").text


def test_accept_encoding_parsing():
    assert wants_gzip("gzip")
    assert wants_gzip("br, gzip;q=0.5")
    assert not wants_gzip("gzip;q=0")
    assert not wants_gzip("identity")
    assert not wants_gzip("")


def test_listen_on_a_taken_port_fails_clearly(golden_config, clock, tmp_path):
    exporter = build(golden_config, FAKE_KEY, clock=clock.timestamp, state_dir=tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(OSError):
            start(f"127.0.0.1:{s.getsockname()[1]}", exporter.endpoints())
