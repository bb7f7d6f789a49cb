"""Injected faults, in-process (no sockets, no sleeping: time.sleep is replaced)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sim_client import client_for

from exporter.simulator import Fault, Simulator
from exporter.simulator import api as sim_api

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
APPS = "/datasets/app-rankings"
DAILY = "/datasets/rankings-daily"
COST = "/datasets/session-cost"


@pytest.fixture
def sim() -> Simulator:
    return Simulator(seed=42, now=lambda: NOW)


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with client_for(sim) as c:
        yield c


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    calls: list[float] = []
    monkeypatch.setattr(sim_api.time, "sleep", calls.append)
    return calls


def test_latency_delays_then_answers_normally(
    sim: Simulator, client: httpx.Client, slept: list[float]
) -> None:
    """Latency: the answer is normal, only late (the sleep is recorded, not slept)."""
    sim.faults.add(Fault.latency(2.5))
    response = client.get(APPS)
    assert slept == [2.5]
    assert response.status_code == 200 and len(response.json()["data"]) == 50
    client.get(APPS)
    assert slept == [2.5]  # times=1 by default


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_has_json_error_body(
    sim: Simulator, client: httpx.Client, status: int
) -> None:
    """JSON error body: `{"error": {"code": …, "message": "…", "metadata": … | null}}`."""
    sim.faults.add(Fault.server_error(status))
    response = client.get(DAILY)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"]["code"] == status and body["error"]["metadata"] is None
    assert client.get(DAILY).status_code == 200


def test_rate_limited_with_and_without_retry_after(sim: Simulator, client: httpx.Client) -> None:
    """ "Whether a `Retry-After` header is sent is not documented: honour it when present"."""
    sim.faults.add(Fault.rate_limited(retry_after=17))
    sim.faults.add(Fault.rate_limited())
    sim.faults.add(Fault.rate_limited(retry_after="Wed, 21 Oct 2026 07:28:00 GMT"))
    first, second, third = (client.get(APPS) for _ in range(3))
    assert (first.status_code, first.headers["retry-after"]) == (429, "17")
    assert second.status_code == 429 and "retry-after" not in second.headers
    assert third.headers["retry-after"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert first.json()["error"] == {
        "code": 429,
        "message": first.json()["error"]["message"],
        "metadata": None,
    }


def test_html_error_page(sim: Simulator, client: httpx.Client) -> None:
    """ "other 4XX/5XX | may have any content type — e.g. an HTML page from a proxy"."""
    sim.faults.add(Fault.html(502))
    response = client.get(COST)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_malformed_json(sim: Simulator, client: httpx.Client) -> None:
    """A 200 whose JSON does not parse."""
    sim.faults.add(Fault.malformed_json())
    response = client.get(APPS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncated_body(sim: Simulator, client: httpx.Client) -> None:
    """A 200 whose JSON is cut in the middle (consistent Content-Length)."""
    full = client.get(DAILY).content
    sim.faults.add(Fault.truncated())
    response = client.get(DAILY)
    assert response.status_code == 200
    assert 0 < len(response.content) < len(full)
    assert full.startswith(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_truncated_incomplete_raises_protocol_error(sim: Simulator, client: httpx.Client) -> None:
    """A dropped connection: the announced length is never delivered."""
    sim.faults.add(Fault.truncated(incomplete=True))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(APPS)
    assert client.get(APPS).status_code == 200


@pytest.mark.parametrize("field", ["rank", "total_tokens", "app_id"])
def test_missing_field_in_rows(sim: Simulator, client: httpx.Client, field: str) -> None:
    """Valid JSON with a required row field (e.g. `rank`) gone from every row."""
    sim.faults.add(Fault.missing_field(field))
    body = client.get(APPS).json()
    assert body["data"] and all(field not in row for row in body["data"])
    assert "meta" in body


def test_missing_field_first_row_only(sim: Simulator, client: httpx.Client) -> None:
    """One bad row among good ones."""
    sim.faults.add(Fault.missing_field("model_permaslug", first_row_only=True))
    rows = client.get(DAILY).json()["data"]
    assert "model_permaslug" not in rows[0]
    assert all("model_permaslug" in row for row in rows[1:])


@pytest.mark.parametrize("field", ["meta", "data", "as_of", "end_date"])
def test_missing_top_level_or_meta_field(sim: Simulator, client: httpx.Client, field: str) -> None:
    """`meta`, `data` or a meta field such as `as_of` removed."""
    sim.faults.add(Fault.missing_field(field))
    body = client.get(DAILY).json()
    assert field not in body and field not in body.get("meta", {})


def test_path_filter(sim: Simulator, client: httpx.Client) -> None:
    """A fault bound to one endpoint leaves the others alone ("/api/v1" prefix optional)."""
    sim.faults.add(Fault.server_error(503), path="/datasets/app-rankings")
    assert client.get(DAILY).status_code == 200
    assert client.get(APPS).status_code == 503
    sim.faults.add(Fault.server_error(503), path="/api/v1/datasets/session-cost")
    assert client.get(APPS).status_code == 200
    assert client.get(COST).status_code == 503


def test_times_and_forever_and_clear(sim: Simulator, client: httpx.Client) -> None:
    """`times=N` fires N times, `times=None` forever until `clear()`."""
    sim.faults.add(Fault.server_error(500), times=2)
    assert [client.get(APPS).status_code for _ in range(3)] == [500, 500, 200]
    sim.faults.add(Fault.server_error(502), times=None)
    assert [client.get(APPS).status_code for _ in range(5)] == [502] * 5
    assert len(sim.faults) == 1
    sim.faults.clear()
    assert client.get(APPS).status_code == 200


def test_faults_fire_in_order(sim: Simulator, client: httpx.Client) -> None:
    """Queued faults fire first in, first out."""
    sim.faults.add(Fault.server_error(500))
    sim.faults.add(Fault.rate_limited())
    sim.faults.add(Fault.html())
    assert [client.get(COST).status_code for _ in range(4)] == [500, 429, 502, 200]


def test_faults_are_logged_and_count_against_the_budget() -> None:
    """ "A request that is refused with 429 should still be assumed to count": every
    request that reached the service with a valid key is counted, faulty or not."""
    sim = Simulator(seed=1, now=lambda: NOW, requests_per_minute=3)
    sim.faults.add(Fault.server_error(503))
    sim.faults.add(Fault.rate_limited(5))
    with client_for(sim) as c:
        statuses = [c.get(APPS).status_code for _ in range(4)]
    assert statuses == [503, 429, 200, 429]
    assert [r.fault for r in sim.log] == ["server_error", "rate_limited", None, None]


def test_unknown_paths_do_not_consume_faults(sim: Simulator, client: httpx.Client) -> None:
    """Faults target the three endpoints; a 404 leaves the queue untouched."""
    sim.faults.add(Fault.server_error(500))
    assert client.get("/datasets/unknown").status_code == 404
    assert client.get(APPS).status_code == 500


def test_delay_combines_with_other_kinds(
    sim: Simulator, client: httpx.Client, slept: list[float]
) -> None:
    """A slow error: `delay` applies to every kind."""
    sim.faults.add(Fault.server_error(504, delay=3.0))
    assert client.get(APPS).status_code == 504
    assert slept == [3.0]


def test_invalid_faults_rejected() -> None:
    """Nonsense faults fail loudly at construction, not at request time."""
    with pytest.raises(ValueError, match="kind"):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault.latency(-1)
    with pytest.raises(ValueError):
        Fault.server_error(200)
    sim = Simulator(seed=1, now=lambda: NOW)
    with pytest.raises(ValueError):
        sim.faults.add(Fault.html(), times=0)
