"""Contract test: OpenRouter's official SDK (openrouter 1.3.84) against the simulator over
real HTTP. The SDK's pydantic models are generated from the live OpenAPI document, so their
validating our responses shows the simulator speaks the real wire format."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from exporter.simulator import Simulator, SimulatorServer, serve

openrouter = pytest.importorskip("openrouter")
from openrouter import OpenRouter, components, errors  # noqa: E402

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    sim = Simulator(seed=42, now=lambda: NOW, api_keys={"sk-or-v1-test"})
    with serve(sim) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(server: SimulatorServer) -> Iterator[OpenRouter]:
    with OpenRouter(api_key="sk-or-v1-test", server_url=server.url) as client:
        yield client


def test_get_app_rankings(sdk: OpenRouter) -> None:
    response = sdk.datasets.get_app_rankings(sort="trending", category="coding", limit=20)
    assert response is not None
    result = response.result
    assert isinstance(result, components.AppRankingsResponse)
    assert 0 < len(result.data) <= 20
    assert result.data[0].rank == 1
    assert int(result.data[0].total_tokens) > 0
    assert result.meta.version == "v1"
    assert (result.meta.start_date, result.meta.end_date) == ("2026-04-12", "2026-05-11")


def test_app_rankings_pagination_via_sdk_next(sdk: OpenRouter) -> None:
    """The SDK pages with offset; ranks stay absolute across pages."""
    first = sdk.datasets.get_app_rankings(limit=50)
    assert first is not None
    second = first.next()
    assert second is not None
    assert second.result.data[0].rank == 51


def test_get_rankings_daily(sdk: OpenRouter) -> None:
    for params in ({}, {"period": "week"}, {"period": "month", "language_type": "programming"}):
        result = sdk.datasets.get_rankings_daily(**params)
        assert isinstance(result, components.RankingsDailyResponse)
        assert result.data and result.data[-1].model_permaslug == "other"
        assert result.meta.end_date == "2026-05-11"


def test_get_session_cost(sdk: OpenRouter) -> None:
    response = sdk.datasets.get_session_cost(limit=500)
    assert response is not None
    result = response.result
    assert isinstance(result, components.SessionCostResponse)
    assert len(result.data) == 500
    assert result.meta.window_days == 30
    assert result.meta.window_end_date == "2026-05-10"
    assert {cell.turn_range for cell in result.data} == {
        "1-turn", "2-9-turns", "10-49-turns", "50-plus-turns",
    }  # fmt: skip


def test_session_cost_without_snapshot(server: SimulatorServer, sdk: OpenRouter) -> None:
    server.simulator.session_cost_published = False
    try:
        response = sdk.datasets.get_session_cost()
    finally:
        server.simulator.session_cost_published = True
    assert response is not None
    assert response.result.meta.window_end_date is None
    assert response.result.data == []


def test_bad_request_parses_as_sdk_error(sdk: OpenRouter) -> None:
    with pytest.raises(errors.BadRequestResponseError) as caught:
        sdk.datasets.get_rankings_daily(start_date="2026-02-30")
    assert caught.value.data.error.code == 400


def test_unauthorized_parses_as_sdk_error(server: SimulatorServer) -> None:
    with (
        OpenRouter(api_key="sk-or-v1-wrong", server_url=server.url) as wrong,
        pytest.raises(errors.UnauthorizedResponseError) as caught,
    ):
        wrong.datasets.get_app_rankings()
    assert caught.value.data.error.code == 401


def test_rate_limit_parses_as_sdk_error() -> None:
    sim = Simulator(seed=42, now=lambda: NOW, requests_per_minute=1)
    with (
        serve(sim) as running,
        OpenRouter(api_key="sk-or-v1-test", server_url=running.url) as client,
    ):
        client.datasets.get_session_cost()
        with pytest.raises(errors.TooManyRequestsResponseError) as caught:
            client.datasets.get_session_cost()
    assert caught.value.data.error.code == 429


def test_sdk_reads_a_replayed_day() -> None:
    """A recorded real day, replayed, validates as the SDK's response model and reads back
    exactly as recorded (the file's last day is the newest the SDK sees)."""
    import csv
    from pathlib import Path

    from exporter.simulator import Replay

    path = Path(__file__).parent / "fixtures/real-market/rankings-daily-2025-01-01_2025-03-04.csv"
    with path.open(newline="") as f:
        recorded = [r for r in csv.DictReader(f) if r["date"] == "2025-03-04"]
    sim = Simulator(replay=Replay.load(path))
    with (
        serve(sim) as running,
        OpenRouter(api_key="sk-or-v1-test", server_url=running.url) as client,
    ):
        result = client.datasets.get_rankings_daily(start_date="2025-03-04")
    assert isinstance(result, components.RankingsDailyResponse)
    assert result.meta.end_date == "2025-03-04"
    assert [(r.date_, r.model_permaslug, r.total_tokens) for r in result.data] == [
        (r["date"], r["model_permaslug"], r["total_tokens"]) for r in recorded
    ]
    assert result.data[0].model_permaslug == "google/gemini-2.0-flash-001"
    assert result.data[-1].model_permaslug == "other"
