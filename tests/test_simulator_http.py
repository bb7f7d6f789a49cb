"""The simulator over real HTTP: serve(), latency that really delays, and `fake-api`."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from conftest import Proc, wait_until

from exporter.config import parse_listen
from exporter.simulator import Fault, Simulator, SimulatorServer, serve

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    sim = Simulator(seed=42, now=lambda: NOW)
    with serve(sim) as running:
        yield running


def test_round_trip(server: SimulatorServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/api/v1"
    assert server.port > 0
    headers = {"Authorization": "Bearer sk-or-test"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
        first = client.get("/datasets/app-rankings", params={"limit": 3})
        second = client.get("/datasets/rankings-daily")  # same keep-alive connection
        anonymous = client.get("/datasets/session-cost", headers={"Authorization": ""})
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.headers["cache-control"] == "private, max-age=60, stale-while-revalidate=300"
    assert [r["rank"] for r in first.json()["data"]] == [1, 2, 3]
    assert first.json()["meta"]["end_date"] == "2026-05-11"
    assert second.status_code == 200
    assert anonymous.status_code == 401
    log = server.simulator.log
    assert [(r.path, r.status) for r in log] == [
        ("/datasets/app-rankings", 200),
        ("/datasets/rankings-daily", 200),
        ("/datasets/session-cost", 401),
    ]
    assert log[0].params == {"limit": "3"} and log[0].key == "sk-or-test"


def test_latency_fault_really_delays(server: SimulatorServer) -> None:
    headers = {"Authorization": "Bearer sk-or-test"}
    server.simulator.faults.add(Fault.latency(0.4))
    with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
        started = time.perf_counter()
        slow = client.get("/datasets/session-cost")
        elapsed = time.perf_counter() - started
    assert slow.status_code == 200
    assert elapsed >= 0.4

    server.simulator.faults.add(Fault.latency(0.5))
    with (
        httpx.Client(base_url=server.url, headers=headers, timeout=0.1) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get("/datasets/session-cost")


def test_html_and_incomplete_body_over_http(server: SimulatorServer) -> None:
    headers = {"Authorization": "Bearer sk-or-test"}
    server.simulator.faults.add(Fault.html(502))
    server.simulator.faults.add(Fault.truncated(incomplete=True))
    server.simulator.faults.add(Fault.truncated())
    with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
        page = client.get("/datasets/app-rankings")
        assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/datasets/app-rankings")
        short = client.get("/datasets/app-rankings")
        assert short.status_code == 200 and not short.text.endswith("}")
        assert client.get("/datasets/app-rankings").status_code == 200


def test_shutdown_releases_the_port() -> None:
    running = serve(Simulator(seed=1, now=lambda: NOW))
    port = running.port
    running.shutdown()
    running.shutdown()  # idempotent
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v1/datasets/app-rankings", timeout=1)


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        (":9000", ("0.0.0.0", 9000)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_parse_listen(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["8080", "host:", "host:port", "host:70000"])
def test_parse_listen_rejects(listen: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(listen)


@pytest.mark.e2e
def test_fake_api_command_serves_until_sigterm(tmp_path: Path) -> None:
    """`main_fake_api` prints its URL on stderr, serves, and exits 0 on SIGTERM."""
    code = (
        "import sys; from exporter.simulator import main_fake_api; "
        "sys.exit(main_fake_api('127.0.0.1:0', 42, 30, 500))"
    )
    proc = Proc(
        ["-c", code],
        {**os.environ, "PYTHONPATH": str(ROOT)},
        tmp_path / "fake-api.log",
        command=[sys.executable],
        cwd=ROOT,
    )
    try:
        pattern = r"^fake OpenRouter Data API on (http://127\.0\.0\.1:\d+/api/v1)$"
        match = wait_until(lambda: re.search(pattern, proc.output(), re.M), "its URL", 30, proc)
        response = httpx.get(
            match.group(1) + "/datasets/app-rankings",
            headers={"Authorization": "Bearer sk-or-test"},
            timeout=5,
        )
        assert response.status_code == 200 and len(response.json()["data"]) == 50
    finally:
        assert proc.stop(signal.SIGTERM) == 0, proc.output()


def test_fake_api_command_rejects_bad_listen(capsys: pytest.CaptureFixture[str]) -> None:
    from exporter.simulator import main_fake_api

    assert main_fake_api("nonsense", 42, 30, 500) == 2
    assert "invalid listen address" in capsys.readouterr().err
