"""Shared fixtures: canned API responses (tests/golden/*.json) behind respx, and a clock."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from exporter.config import Config
from exporter.configfile import parse_config
from exporter.simulator import ManualClock

GOLDEN = Path(__file__).parent / "golden"
BASE_URL = "https://openrouter.test/api/v1"
FAKE_KEY = "sk-or-v1-TESTKEY-must-never-leak-0123456789abcdef"

# The config the golden exposition is rendered from.
GOLDEN_CONFIG: dict[str, Any] = {
    "openrouter": {"base_url": BASE_URL},
    "apps": {
        "windows": ["7d"],
        "sorts": ["popular", "trending"],
        "filters": ["all", "cli-agent"],
        "depth": 50,
    },
    "models": {"views": [{"name": "daily", "period": "day"}, {"name": "weekly", "period": "week"}]},
    "watch": {"apps": [12345], "models": ["openai/gpt-4o-2024-05-13"]},
}


def golden_body(name: str) -> Any:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def clock() -> ManualClock:
    """The simulator's clock, the one fake clock of the tests: tests advance it instead of
    sleeping, the simulator takes it as it is, the exporter as ``clock.timestamp``."""
    return ManualClock(datetime(2026, 5, 12, 6, 0, tzinfo=UTC))


@pytest.fixture
def golden_config() -> Config:
    return parse_config(GOLDEN_CONFIG)


def _golden_route(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    path = request.url.path
    if path.endswith("/app-rankings"):
        if params.get("subcategory") == "cli-agent":
            name = "apps_cli"
        elif params.get("sort") == "trending":
            name = "apps_trending"
        else:
            name = "apps_all"
    elif path.endswith("/rankings-daily"):
        name = "weekly" if params.get("period") == "week" else "daily"
    elif path.endswith("/session-cost"):
        name = "session"
    elif path.endswith("/classifications/task"):
        name = "tasks"
    elif path.endswith("/benchmarks"):
        source = params.get("source", "").replace("design-arena", "arena")
        source = source.replace("artificial-analysis", "aa")
        name = "bench_search" if params.get("task_type") == "search" else f"bench_{source}"
    else:
        return httpx.Response(404, json={"error": {"code": 404, "message": "no route"}})
    return httpx.Response(200, json=golden_body(name))


@pytest.fixture
def golden_api() -> Iterator[respx.MockRouter]:
    """respx serving the golden responses for every endpoint of the golden config."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.route(path__startswith="/datasets/").mock(side_effect=_golden_route)
        router.route(path__startswith="/classifications/").mock(side_effect=_golden_route)
        router.route(path="/benchmarks").mock(side_effect=_golden_route)
        yield router


def drive(
    step: Callable[[], float], clock: ManualClock, until: float, max_steps: int = 100_000
) -> int:
    """Run a scheduler's step() on a fake clock until ``until``; returns steps taken."""
    steps = 0
    while clock.timestamp() < until and steps < max_steps:
        wait = step()
        steps += 1
        if wait > 0:
            # At least a microsecond, the clock's resolution: a shorter wait would round to
            # no move at all and the loop would spin on the same instant.
            clock.advance(seconds=max(1e-6, min(wait, until - clock.timestamp())))
    return steps


def require_tool(name: str) -> str:
    """Tools from Debian's prometheus package: `make test` installs them; never skip."""
    path = shutil.which(name)
    assert path, f"{name} not found: run `make test`, which installs Debian's prometheus package"
    return path


def promtool_check_metrics(text: bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("promtool"), "check", "metrics"],
        input=text.decode(),
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- real processes ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A process a test starts: by default ``python -m exporter ARGS``; its output (stdout
    and stderr) in a log file. The one way tests start and stop processes."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None,
        log: Path,
        *,
        command: list[str] | None = None,
        cwd: Path | None = None,
        group: bool = False,
    ) -> None:
        self.log = log
        self.group = group  # its own process group, signalled whole (`make` and children)
        self._f = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.p = subprocess.Popen(
            [*(command or [sys.executable, "-m", "exporter"]), *args],
            env=env,
            cwd=cwd,
            stdout=self._f,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=group,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.p.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Exit status; a process that outlives ``timeout`` is killed (status -9)."""
        if self.p.poll() is None:
            if self.group:
                os.killpg(self.p.pid, sig)
            else:
                self.p.send_signal(sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait(5)
        finally:
            self._f.close()


def wait_until(
    check: Callable[[], Any], what: str, timeout: float = 30, proc: Proc | None = None
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` and the last
    error, or at once with its output if ``proc`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    last: object = "nothing yet"
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise AssertionError(f"exited while waiting for {what}:\n{proc.output()[-3000:]}")
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, OSError, ValueError, KeyError) as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last})")


def wait_for(
    url: str,
    predicate: Callable[[httpx.Response], bool],
    timeout: float = 30,
    *,
    get: Callable[[str], httpx.Response] = lambda u: httpx.get(u, timeout=5),
) -> httpx.Response:
    """GET ``url`` until ``predicate`` holds for the response."""
    seen: list[str] = []

    def check() -> httpx.Response | None:
        r = get(url)
        seen[:] = [f"{r.status_code}: {r.text[:300]}"]
        return r if predicate(r) else None

    try:
        return wait_until(check, url, timeout)
    except AssertionError as e:
        raise AssertionError(f"{url} never satisfied the check: {seen or e}") from None
