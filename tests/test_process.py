"""The exporter as a user runs it: a real process against the simulator over real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for

from exporter.simulator import Simulator, serve

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim_server() -> Iterator:
    sim = Simulator(seed=7, api_keys={FAKE_KEY})
    server = serve(sim, "127.0.0.1", 0)
    try:
        yield sim, server
    finally:
        server.shutdown()


SMALL = {
    "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
    "models": {"views": [{"name": "daily"}]},
}


def start(
    tmp_path: Path,
    base_url: str,
    key: str | None,
    extra: dict | None = None,
    name: str = "exporter",
) -> tuple[Proc, str, Path]:
    port = free_port()
    cfg = {
        **SMALL,
        **(extra or {}),
        "openrouter": {"base_url": base_url, "timeout": "2s"},
        "state_dir": str(tmp_path / "state"),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    if key:
        env["OPENROUTER_API_KEY"] = key
    proc = Proc(
        ["--config.file", str(path), f"--web.listen-address=127.0.0.1:{port}"],
        env,
        tmp_path / f"{name}.log",
    )
    return proc, f"http://127.0.0.1:{port}", path


def test_serves_the_simulators_numbers(tmp_path, sim_server):
    _, server = sim_server
    proc, url, _ = start(tmp_path, server.url, FAKE_KEY)
    try:
        r = wait_for(
            f"{url}/metrics",
            lambda r: (
                "openrouter_app_rank{" in r.text
                and "openrouter_session_median_cost_dollars{" in r.text
            ),
        )
        assert (
            'openrouter_exporter_view_up{dataset="app-rankings",view="7d/popular/all"} 1.0'
            in r.text
        )
        assert wait_for(f"{url}/readyz", lambda r: r.text == "ready\n")
    finally:
        assert proc.stop() == 0
    assert FAKE_KEY not in proc.output()


def test_bad_key_one_log_line_and_keeps_serving(tmp_path, sim_server):
    _, server = sim_server
    bad = "sk-or-v1-WRONG-key-that-must-not-appear-0000"
    proc, url, _ = start(tmp_path, server.url, bad)
    try:
        r = wait_for(
            f"{url}/metrics",
            lambda r: "openrouter_exporter_view_up{" in r.text and 'code="401"' in r.text,
        )
        assert 'view_up{dataset="rankings-daily",view="daily"} 0.0' in r.text
        time.sleep(1)
        assert httpx.get(f"{url}/healthz").status_code == 200
        # Still ready: a readiness probe must not take it out of its Service, or Prometheus
        # could not scrape it and OpenRouterApiKeyInvalid would never fire. /readyz says why.
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200, ready.text
        assert "no data yet for" in ready.text and "API key rejected" in ready.text
        assert bad not in ready.text
    finally:
        assert proc.stop() == 0
    out = proc.output()
    assert out.count("rejected the API key") == 1, out
    assert bad not in out


def test_unreachable_api_one_log_line_and_keeps_serving(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}/api/v1"
    proc, url, _ = start(tmp_path, dead, FAKE_KEY)
    try:
        r = wait_for(f"{url}/metrics", lambda r: 'code="error"' in r.text)
        assert r.status_code == 200
        time.sleep(1.5)
    finally:
        assert proc.stop() == 0
    out = proc.output()
    assert out.count("OpenRouter API unavailable") == 1, out
    assert FAKE_KEY not in out


def test_bad_config_on_reload_one_log_line_and_keeps_serving(tmp_path, sim_server):
    _, server = sim_server
    proc, url, path = start(tmp_path, server.url, FAKE_KEY)
    try:
        wait_for(f"{url}/metrics", lambda r: "openrouter_app_rank{" in r.text)
        path.write_text("apps:\n  windows: [45x]\n")
        proc.p.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        r = httpx.get(f"{url}/metrics")
        assert r.status_code == 200 and "openrouter_app_rank{" in r.text
    finally:
        assert proc.stop() == 0
    out = proc.output()
    assert out.count("config reload failed") == 1, out
    assert "apps.windows[0]" in out


def test_reload_to_a_state_dir_that_cannot_be_created_keeps_serving(tmp_path, sim_server):
    """Not a config error but an OS one (the new state_dir is under a file): logged, and
    the running config kept, as for any failed reload."""
    _, server = sim_server
    proc, url, path = start(tmp_path, server.url, FAKE_KEY)
    (tmp_path / "a-file").write_text("")
    try:
        wait_for(f"{url}/metrics", lambda r: "openrouter_app_rank{" in r.text)
        cfg = yaml.safe_load(path.read_text())
        path.write_text(yaml.safe_dump({**cfg, "state_dir": str(tmp_path / "a-file" / "s")}))
        proc.p.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert proc.p.poll() is None, proc.output()
        r = httpx.get(f"{url}/metrics")
        assert r.status_code == 200 and "openrouter_app_rank{" in r.text
    finally:
        assert proc.stop() == 0
    assert proc.output().count("config reload failed") == 1, proc.output()


def test_bad_config_at_start_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("budget:\n  reserve: 2\n")
    r = subprocess.run(
        [sys.executable, "-m", "exporter", "--config.file", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert "budget.reserve" in r.stderr


def test_sigterm_exits_0_within_5_seconds(tmp_path, sim_server):
    _, server = sim_server
    proc, url, _ = start(tmp_path, server.url, FAKE_KEY)
    wait_for(f"{url}/healthz", lambda r: r.status_code == 200)
    started = time.monotonic()
    assert proc.stop(signal.SIGTERM, timeout=5) == 0
    assert time.monotonic() - started < 5


def test_budget_holds_across_sigkill_restarts(tmp_path, sim_server):
    """5/minute and 12/day, killed with SIGKILL twice: the API never sees more, and every
    restart serves the stored metrics at once."""
    sim, server = sim_server
    extra = {
        "budget": {"requests_per_minute": 5, "requests_per_day": 12, "reserve": 0},
        "apps": {
            "windows": ["1d", "7d", "30d"],
            "sorts": ["popular", "trending"],
            "filters": ["all", "coding"],
            "depth": 20,
        },
        "models": {"views": [{"name": "daily"}, {"name": "weekly", "period": "week"}]},
    }
    for i in range(3):
        proc, url, _ = start(tmp_path, server.url, FAKE_KEY, extra, name=f"run{i}")
        try:
            if i > 0:  # stored data is served before anything is fetched
                r = wait_for(f"{url}/metrics", lambda r: r.status_code == 200, timeout=10)
                assert "openrouter_model_rank{" in r.text
            if i < 2:
                time.sleep(8)
            else:  # run until the day cap is spent, and a little past it
                wait_for(
                    f"{url}/metrics",
                    lambda r: 'budget_used_requests{window="24h"} 12.0' in r.text,
                    timeout=200,
                )
                time.sleep(5)
        finally:
            proc.p.kill()  # SIGKILL: no chance to flush anything
            proc.stop()
    times = sorted(rec.time.timestamp() for rec in sim.log)
    assert len(times) == 12, len(times)
    worst = max(sum(1 for u in times if t - 60 < u <= t) for t in times)
    assert worst <= 5


def test_make_run_without_a_key_serves_the_demo_within_30_seconds(tmp_path):
    """The README's first command, as a new user runs it: no key, no network."""
    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    make = Proc(
        ["run", f"ARGS=--web.listen-address=127.0.0.1:{port}"],
        env,
        tmp_path / "make-run.log",
        command=["make", "--no-print-directory"],
        cwd=root,
        group=True,  # make and the exporter it starts
    )
    try:
        r = wait_for(
            f"http://127.0.0.1:{port}/metrics",
            lambda r: all(
                f"{name}{{" in r.text
                for name in (
                    "openrouter_app_rank",
                    "openrouter_model_rank",
                    "openrouter_session_median_cost_dollars",
                )
            ),
            timeout=30,
        )
        assert r.status_code == 200
    finally:
        make.stop()
    out = (tmp_path / "make-run.log").read_text()
    assert f"http://127.0.0.1:{port}/" in out  # it tells the user where to look


def test_bad_listen_flag_exits_2_with_a_clear_message():
    r = subprocess.run(
        [sys.executable, "-m", "exporter", "--web.listen-address=localhost:http"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert "--web.listen-address: 'localhost:http' is not an address" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("path", ["metrics", "/"])
def test_bad_telemetry_path_flag_exits_2_like_the_same_value_in_the_config(path):
    r = subprocess.run(
        [sys.executable, "-m", "exporter", f"--web.telemetry-path={path}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert f"--web.telemetry-path: {path!r} must start with / and not be /" in r.stderr
    assert "Traceback" not in r.stderr


def _server_subcommand(name: str, tmp_path: Path, api_url: str) -> tuple[Proc, str]:
    """Each subcommand that runs a server, as a user starts it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    env["TMPDIR"] = str(tmp_path / "tmp")  # where the demo keeps its throwaway state
    (tmp_path / "tmp").mkdir()
    if name == "run":
        proc, url, _ = start(tmp_path, api_url, FAKE_KEY)
        return proc, f"{url}/healthz"
    if name == "demo":
        args = ["demo", f"--web.listen-address=127.0.0.1:{port}"]
        return Proc(args, env, tmp_path / "demo.log"), f"http://127.0.0.1:{port}/healthz"
    args = ["fake-api", "--listen", f"127.0.0.1:{port}"]
    return Proc(args, env, tmp_path / "fake.log"), f"http://127.0.0.1:{port}/api/v1/datasets/x"


@pytest.mark.parametrize("name", ["run", "demo", "fake-api"])
def test_every_server_subcommand_survives_sighup_and_exits_cleanly_on_sigterm(
    name, tmp_path, sim_server
):
    """SIGHUP reloads or is ignored, with a log line (its default would kill the process,
    silently); SIGTERM exits 0 and leaves no temporary state behind."""
    _, server = sim_server
    proc, url = _server_subcommand(name, tmp_path, server.url)
    try:
        wait_for(url, lambda r: r.status_code in (200, 401, 404))
        proc.p.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert proc.p.poll() is None, f"{name} died on SIGHUP:\n{proc.output()}"
        assert httpx.get(url, timeout=5).status_code in (200, 401, 404)
        out = proc.output()
        assert "SIGHUP" in out or "config reloaded" in out, out
        started = time.monotonic()
    finally:
        code = proc.stop(signal.SIGTERM, timeout=5)
    assert code == 0, proc.output()
    assert time.monotonic() - started < 5
    assert not list((tmp_path / "tmp").iterdir()), "temporary state left behind"
