"""/classifications/task and /benchmarks in the simulator: the official SDK (openrouter
1.3.84) reads every field over real HTTP; the figures are plausible and deterministic; bad
parameters, missing keys and the rate limits answer as on the dataset endpoints."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from exporter.simulator import Fault, Replay, Simulator, SimulatorServer, serve

openrouter = pytest.importorskip("openrouter")
from openrouter import OpenRouter, components, errors  # noqa: E402

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
KEY = "sk-or-v1-test"
TASKS, BENCH = "/classifications/task", "/benchmarks"
REPLAY = Path(__file__).parent / "fixtures/real-market/rankings-daily-2025-01-01_2025-03-04.csv"


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    # A frozen clock: every test's requests fall in one minute (limits are tested apart).
    sim = Simulator(seed=42, now=lambda: NOW, api_keys={KEY}, requests_per_minute=10_000)
    with serve(sim) as running:
        yield running


@pytest.fixture(scope="module")
def sdk(server: SimulatorServer) -> Iterator[OpenRouter]:
    with OpenRouter(api_key=KEY, server_url=server.url) as client:
        yield client


@pytest.fixture(scope="module")
def raw(server: SimulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        yield client


def _round_trip(model: type[Any], body: dict[str, Any]) -> None:
    """The SDK's model reads the body and writes it back unchanged: every field we send is
    one it knows, with its type, and none it requires is missing."""
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json", by_alias=True) == body


# --- /classifications/task -------------------------------------------------------------


def test_sdk_reads_task_classifications(sdk: OpenRouter, raw: httpx.Client) -> None:
    result = sdk.classifications.get_task_classifications(window="7d")
    assert isinstance(result, components.TaskClassificationResponse)
    data = result.data
    assert (data.as_of, data.window_days) == ("2026-05-11", 7)
    assert data.classifications and data.macro_categories
    first = data.classifications[0]
    assert first.tag and first.display_name and first.macro_category
    assert first.models and first.models[0].id.count("/") == 1
    _round_trip(components.TaskClassificationResponse, raw.get(TASKS).json())


def test_task_shares_partition_the_classified_traffic(sdk: OpenRouter) -> None:
    data = sdk.classifications.get_task_classifications().data
    tags = data.classifications
    assert [c.usage_share for c in tags] == sorted((c.usage_share for c in tags), reverse=True)
    assert math.isclose(sum(c.usage_share for c in tags), 1, abs_tol=1e-4)
    assert math.isclose(sum(c.token_share for c in tags), 1, abs_tol=1e-4)
    members: dict[str, list[Any]] = defaultdict(list)
    for c in tags:
        assert c.tag.split(":", 1)[0] == c.macro_category
        members[c.macro_category].append(c)
    assert [m.key for m in data.macro_categories] == ["code", "data", "agent", "general"]
    for macro in data.macro_categories:
        group = members[macro.key]
        assert math.isclose(macro.usage_share, sum(c.usage_share for c in group), abs_tol=1e-4)
        assert math.isclose(macro.token_share, sum(c.token_share for c in group), abs_tol=1e-4)
        assert math.isclose(sum(c.category_usage_share for c in group), 1, abs_tol=1e-4)
        assert math.isclose(sum(c.category_token_share for c in group), 1, abs_tol=1e-4)


def test_top_models_per_task(sdk: OpenRouter, server: SimulatorServer) -> None:
    slugs = {m.permaslug for m in server.simulator.market.models}
    for c in sdk.classifications.get_task_classifications().data.classifications:
        shares = [m.tag_usage_share for m in c.models]
        assert 1 <= len(c.models) <= 10 and shares == sorted(shares, reverse=True)
        assert 0 < sum(shares) <= 1 and 0 < sum(m.tag_token_share for m in c.models) <= 1
        assert {m.id for m in c.models} <= slugs


def test_requests_and_tokens_split_differently(sdk: OpenRouter) -> None:
    """Coding requests carry long contexts: code's share of tokens exceeds its share of
    requests, conversation's the other way round."""
    macros = {
        m.key: m for m in sdk.classifications.get_task_classifications().data.macro_categories
    }
    assert macros["code"].token_share > macros["code"].usage_share
    assert macros["general"].usage_share > macros["general"].token_share


def test_task_classifications_follow_the_window() -> None:
    def body(now: datetime, seed: int = 42) -> dict[str, Any]:
        sim = Simulator(seed=seed, now=lambda: now)
        return sim.handle(httpx.Request("GET", f"http://sim/api/v1{TASKS}", headers=_auth())).json()

    today = body(NOW)
    assert today == body(NOW)  # deterministic
    assert today != body(NOW, seed=7)
    later = body(datetime(2026, 5, 20, 2, 0, tzinfo=UTC))
    assert later["data"]["as_of"] == "2026-05-19"
    assert later["data"]["classifications"] != today["data"]["classifications"]


# --- /benchmarks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "item"),
    [
        ({}, None),
        ({"source": "artificial-analysis"}, components.UnifiedBenchmarksAAItem),
        ({"source": "openrouter"}, components.UnifiedBenchmarksORItem),
        ({"source": "design-arena"}, components.UnifiedBenchmarksDAItem),
        (
            {"task_type": "search", "include_run_config": True},
            components.UnifiedBenchmarksSearchItem,
        ),
        ({"benchmark_type": "search_hle"}, components.UnifiedBenchmarksSearchItem),
    ],
)
def test_sdk_reads_benchmarks(
    sdk: OpenRouter, raw: httpx.Client, params: dict[str, Any], item: type[Any] | None
) -> None:
    result = sdk.benchmarks.get_benchmarks(**params)
    assert isinstance(result, components.UnifiedBenchmarksResponse)
    assert result.data
    if item is not None:
        assert all(type(row) is item for row in result.data)
    else:
        assert {type(row).__name__ for row in result.data} == {
            "UnifiedBenchmarksAAItem", "UnifiedBenchmarksORItem", "UnifiedBenchmarksDAItem",
        }  # fmt: skip
    meta = result.meta
    assert (meta.as_of, meta.version) == ("2026-05-12T00:00:00Z", "v1")
    assert meta.model_count == len({row.model_permaslug for row in result.data})
    assert meta.source == params.get("source")
    assert (meta.citation is None) == (meta.source_url is None) == ("source" not in params)
    wire = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    _round_trip(components.UnifiedBenchmarksResponse, raw.get(BENCH, params=wire).json())


def test_benchmark_scores_are_in_their_ranges(sdk: OpenRouter) -> None:
    rows = sdk.benchmarks.get_benchmarks().data
    rows += sdk.benchmarks.get_benchmarks(task_type="search").data
    for row in rows:
        if isinstance(row, components.UnifiedBenchmarksAAItem):
            indices = [row.intelligence_index, row.coding_index, row.agentic_index]
            assert all(0 <= i <= 100 for i in indices if i is not None)
            assert row.pricing is None or 0 < float(row.pricing.prompt) < float(
                row.pricing.completion
            )
        elif isinstance(row, components.UnifiedBenchmarksORItem):
            assert 0 <= row.accuracy <= 1 and row.total_tasks > 0
            assert row.benchmark_type in ("gpqa_diamond", "tau_bench_verified_airline")
        elif isinstance(row, components.UnifiedBenchmarksSearchItem):
            assert 0 <= row.primary_score <= 1
            wide = row.benchmark_type == "search_widesearch"
            assert row.primary_metric == ("f1_by_item" if wide else "accuracy")
            assert row.run_config is None  # include_run_config defaults to false
        else:
            assert isinstance(row, components.UnifiedBenchmarksDAItem)
            assert 0 <= row.win_rate <= 100 and 800 < row.elo < 1800
            stats = row.tournament_stats
            places = [stats.first_place, stats.second_place, stats.third_place, stats.fourth_place]
            assert sum(p or 0 for p in places) == stats.total
            assert (row.elo > 1200) == (row.win_rate > 50)


def test_benchmark_filters(sdk: OpenRouter) -> None:
    get = sdk.benchmarks.get_benchmarks
    coding = get(source="artificial-analysis", task_type="coding").data
    assert [r.coding_index for r in coding] == sorted(
        (r.coding_index for r in coding), reverse=True
    )
    gpqa = get(benchmark_type="gpqa_diamond").data
    assert {r.source for r in gpqa} == {"artificial-analysis", "openrouter", "design-arena"}
    assert {r.benchmark_type for r in gpqa if r.source == "openrouter"} == {"gpqa_diamond"}
    assert len(get(max_results=5).data) == 5
    assert {r.arena for r in get(source="design-arena").data} == {"models"}
    builders = get(source="design-arena", arena="builders", category="website").data
    assert builders and all(r.pricing is None for r in builders)
    assert get(source="design-arena", category="no-such-category").data == []
    exa = get(task_type="search", search_engine="exa", search_surface="plugin").data
    assert exa and {(r.search_engine, r.search_surface) for r in exa} == {("exa", "plugin")}
    with_config = get(task_type="search", include_run_config=True).data
    assert all(r.run_config is not None for r in with_config)
    plugin = [r for r in with_config if r.search_surface == "plugin"]
    assert plugin and all(r.run_config.max_agent_turns is None for r in plugin)


def test_benchmarks_only_list_launched_models() -> None:
    def slugs(now: datetime) -> set[str]:
        sim = Simulator(seed=42, now=lambda: now)
        request = httpx.Request("GET", f"http://sim/api/v1{BENCH}", headers=_auth())
        return {r["model_permaslug"] for r in sim.handle(request).json()["data"]}

    early, late = slugs(datetime(2025, 3, 1, tzinfo=UTC)), slugs(NOW)
    assert "openai/gpt-5-2025-08-07" in late - early
    assert early < late


# --- errors, keys, limits, replay ------------------------------------------------------


def _auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (TASKS, {"window": "30d"}, "Invalid window '30d': expected one of 7d."),
        (BENCH, {"source": "lmarena"}, "Invalid source 'lmarena'"),
        (BENCH, {"task_type": "math"}, "Invalid task_type 'math'"),
        (BENCH, {"benchmark_type": "mmlu"}, "Invalid benchmark_type 'mmlu'"),
        (BENCH, {"include_run_config": "yes"}, "Invalid include_run_config 'yes'"),
        (BENCH, {"search_surface": "api"}, "Invalid search_surface 'api'"),
        (BENCH, {"arena": "games"}, "Invalid arena 'games'"),
        (BENCH, {"max_results": "0"}, "Invalid max_results '0'"),
        (BENCH, {"max_results": "ten"}, "Invalid max_results 'ten'"),
    ],
)
def test_bad_parameters_are_400(
    raw: httpx.Client, path: str, params: dict[str, str], message: str
) -> None:
    response = raw.get(path, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == 400 and body["error"]["metadata"] is None
    assert body["error"]["message"].startswith(message)


def test_bad_parameter_is_the_sdks_bad_request(sdk: OpenRouter) -> None:
    with pytest.raises(errors.BadRequestResponseError) as caught:
        sdk.benchmarks.get_benchmarks(source="lmarena")  # an open enum: the SDK sends it
    assert caught.value.data.error.code == 400


@pytest.mark.parametrize("path", [TASKS, BENCH])
def test_without_a_key_is_401(server: SimulatorServer, path: str) -> None:
    response = httpx.get(server.url + path, timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"message": "No cookie auth credentials found", "code": 401}
    }


def test_wrong_key_is_the_sdks_unauthorized(server: SimulatorServer) -> None:
    with OpenRouter(api_key="sk-or-v1-wrong", server_url=server.url) as wrong:
        with pytest.raises(errors.UnauthorizedResponseError):
            wrong.classifications.get_task_classifications()
        with pytest.raises(errors.UnauthorizedResponseError):
            wrong.benchmarks.get_benchmarks()


def test_counted_in_the_shared_rate_limits() -> None:
    """Both endpoints spend the same per-minute and per-day limits as the datasets."""
    sim = Simulator(seed=42, now=lambda: NOW, requests_per_minute=3, requests_per_day=5)
    with serve(sim) as running, OpenRouter(api_key=KEY, server_url=running.url) as client:
        client.classifications.get_task_classifications()
        client.benchmarks.get_benchmarks(max_results=1)
        client.datasets.get_rankings_daily()
        with pytest.raises(errors.TooManyRequestsResponseError):
            client.benchmarks.get_benchmarks()
        with pytest.raises(errors.TooManyRequestsResponseError) as caught:
            client.classifications.get_task_classifications()
    assert "per minute" in caught.value.data.error.message
    with (
        serve(sim) as running,
        OpenRouter(api_key="sk-or-v1-other", server_url=running.url) as other,
        pytest.raises(errors.TooManyRequestsResponseError) as caught,
    ):
        other.benchmarks.get_benchmarks()  # another key, the same account's day
    assert "per day" in caught.value.data.error.message
    assert [r.status for r in sim.log] == [200, 200, 200, 429, 429, 429]


def test_faults_reach_the_new_endpoints(raw: httpx.Client, server: SimulatorServer) -> None:
    server.simulator.faults.add(Fault.server_error(503), path=BENCH)
    assert raw.get(TASKS).status_code == 200
    assert raw.get(BENCH).status_code == 503
    assert raw.get(BENCH).status_code == 200


def test_request_log_records_what_was_served(raw: httpx.Client, server: SimulatorServer) -> None:
    raw.get(TASKS)
    raw.get(BENCH, params={"max_results": "3"})
    tasks, bench = server.simulator.log[-2:]
    assert (tasks.path, tasks.as_of, tasks.rows) == (TASKS, "2026-05-11", 18)
    assert (bench.path, bench.as_of, bench.rows) == (BENCH, "2026-05-12T00:00:00Z", 3)


def test_replay_answers_both_from_the_synthetic_market() -> None:
    """A replayed rankings-daily history leaves these endpoints synthetic, dated by the
    replay's newest day like every other dataset."""
    sim = Simulator(replay=Replay.load(REPLAY))
    with serve(sim) as running, OpenRouter(api_key=KEY, server_url=running.url) as client:
        tasks = client.classifications.get_task_classifications()
        bench = client.benchmarks.get_benchmarks()
    assert tasks.data.as_of == "2025-03-04" and tasks.data.classifications
    assert bench.meta.as_of == "2025-03-05T00:00:00Z" and bench.data
    launched = {r.model_permaslug for r in bench.data}
    assert "openai/gpt-4.1-2025-04-14" not in launched  # launched after the replayed days
    assert date.fromisoformat(tasks.data.as_of) == sim.latest_day()
