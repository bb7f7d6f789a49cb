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
