"""The datasets added as packages, end to end: the exporter, a real process, polls the
simulator over real HTTP and exports what the official SDK reads from the same simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for
from prometheus_client.parser import text_string_to_metric_families

from exporter.simulator import Simulator, SimulatorServer, serve

pytestmark = pytest.mark.e2e

openrouter = pytest.importorskip("openrouter")
from openrouter import OpenRouter  # noqa: E402

# The other datasets off: only the new ones are polled, so their values are read quickly.
CONFIG = {
    "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 5},
    "models": {"views": [{"name": "daily"}]},
    "session_cost": {"enabled": False},
}


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    sim = Simulator(seed=11, api_keys={FAKE_KEY})
    with serve(sim, "127.0.0.1", 0) as running:
        yield running


def exporter(tmp_path: Path, base_url: str) -> tuple[Proc, str]:
    port = free_port()
    cfg = {**CONFIG, "openrouter": {"base_url": base_url}, "state_dir": str(tmp_path / "s")}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "OPENROUTER_API_KEY": FAKE_KEY}
    args = ["--config.file", str(path), f"--web.listen-address=127.0.0.1:{port}"]
    return Proc(args, env, tmp_path / "exporter.log"), f"http://127.0.0.1:{port}"


def samples(text: str, prefix: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.startswith(prefix):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def expected_tasks(server: SimulatorServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """What /metrics should hold, from the SDK's reading of the simulator."""
    with OpenRouter(api_key=FAKE_KEY, server_url=server.url) as sdk:
        data = sdk.classifications.get_task_classifications(window="7d").data
    out = {}
    for c in data.classifications:
        task = {"window": "7d", "macro_category": c.macro_category, "task": c.tag}
        task["task_name"] = c.display_name
        key = tuple(sorted(task.items()))
        out[("openrouter_task_usage_share", key)] = c.usage_share
        out[("openrouter_task_token_share", key)] = c.token_share
        for m in c.models:
            author = m.id.split("/", 1)[0]
            variant = m.id.rpartition(":")[2] if ":" in m.id else ""
            labels = {"window": "7d", "task": c.tag, "model": m.id, "author": author}
            key = tuple(sorted({**labels, "variant": variant}.items()))
            out[("openrouter_task_model_usage_share", key)] = m.tag_usage_share
            out[("openrouter_task_model_token_share", key)] = m.tag_token_share
    for g in data.macro_categories:
        labels = {"window": "7d", "macro_category": g.key, "macro_category_name": g.label}
        key = tuple(sorted(labels.items()))
        out[("openrouter_task_macro_usage_share", key)] = g.usage_share
        out[("openrouter_task_macro_token_share", key)] = g.token_share
    return out


def test_task_classifications_exported_as_the_sdk_reads_them(tmp_path, server):
    proc, url = exporter(tmp_path, server.url)
    try:
        r = wait_for(f"{url}/metrics", lambda r: "openrouter_task_model_token_share{" in r.text)
    finally:
        assert proc.stop() == 0
    got = samples(r.text, "openrouter_task_")
    want = expected_tasks(server)
    assert len(want) > 100 and got == pytest.approx(want)
    as_of = 'openrouter_data_as_of_timestamp_seconds{dataset="task-classifications",view="7d"}'
    assert as_of in r.text
    info = 'openrouter_dataset_info{dataset="task-classifications",source="openrouter.ai/rankings"'
    assert info in r.text


def model_labels(model: str) -> dict[str, str]:
    variant = model.rpartition(":")[2] if ":" in model else ""
    return {"model": model, "author": model.split("/", 1)[0], "variant": variant}


def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (f"openrouter_benchmark_{name}", tuple(sorted(labels.items())))


def expected_benchmarks(server: SimulatorServer) -> dict:
    """The headline values of the default views, from the SDK's reading of the simulator."""
    out: dict = {}
    with OpenRouter(api_key=FAKE_KEY, server_url=server.url) as sdk:
        aa = sdk.benchmarks.get_benchmarks(source="artificial-analysis", max_results=1000).data
        classic = sdk.benchmarks.get_benchmarks(source="openrouter", max_results=1000).data
        search = sdk.benchmarks.get_benchmarks(
            source="openrouter", task_type="search", max_results=1000
        ).data
        arena = sdk.benchmarks.get_benchmarks(source="design-arena", max_results=1000).data
    for i in aa:
        for index in ("intelligence", "coding", "agentic"):
            value = getattr(i, f"{index}_index")
            if value is not None:
                out[key("index", index=index, **model_labels(i.model_permaslug))] = value
    for i in classic:
        labels = {"benchmark": i.benchmark_type, **model_labels(i.model_permaslug)}
        out[key("score_ratio", metric="accuracy", **labels)] = i.accuracy
    for i in search:
        labels = {"benchmark": i.benchmark_type, **model_labels(i.model_permaslug)}
        out[key("score_ratio", metric=i.primary_metric, **labels)] = i.primary_score
    for i in arena:
        labels = {"arena": i.arena, "category": i.category, **model_labels(i.model_permaslug)}
        out[key("elo", **labels)] = i.elo
        out[key("win_ratio", **labels)] = i.win_rate / 100
        for place in ("first", "second", "third", "fourth"):
            count = getattr(i.tournament_stats, f"{place}_place")
            if count is not None:
                out[key("tournament_placements", place=place, **labels)] = count
    return out


def test_benchmarks_exported_as_the_sdk_reads_them(tmp_path, server):
    proc, url = exporter(tmp_path, server.url)
    views = ("artificial-analysis", "openrouter", "openrouter-search", "design-arena")
    # The freshness lines are in the dataset part of /metrics: once all four are, so are
    # the views' scores (view_up, a self-metric, can come first).
    up = [f'as_of_timestamp_seconds{{dataset="benchmarks",view="{v}"}}' for v in views]
    try:
        r = wait_for(f"{url}/metrics", lambda r: all(u in r.text for u in up))
    finally:
        assert proc.stop() == 0
    wanted = ("index", "score_ratio", "elo", "win_ratio", "tournament_placements")
    got = {
        k: v
        for k, v in samples(r.text, "openrouter_benchmark_").items()
        if k[0].removeprefix("openrouter_benchmark_") in wanted
    }
    want = expected_benchmarks(server)
    assert len(want) > 500 and got == pytest.approx(want)
    sources = {
        s[1]
        for s in samples(r.text, "openrouter_benchmark_source_info")
        if s[0] == "openrouter_benchmark_source_info"
    }
    assert {dict(s)["source"] for s in sources} == {
        "artificialanalysis.ai",
        "openrouter.ai/benchmarks",
        "designarena.ai",
    }
