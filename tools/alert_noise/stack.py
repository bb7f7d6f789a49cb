"""The real parts `make alert-noise` runs, each a process on loopback in one work directory:
`fake-api --replay`, the exporter's `backfill`, promtool (OpenMetrics into blocks) and a
Prometheus with no scrape config over those blocks."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-or-alert-noise"  # the simulator takes any key
JOB, INSTANCE = "openrouter", "replay:10110"
# The --apps history is one request per app view and day (30 default views x 63 days is
# 1,890): limits far above that, on both sides, let one backfill run finish it at once
# instead of stopping at OpenRouter's 500 a day (exit 3). The simulator is local.
REQUESTS_PER_MINUTE, REQUESTS_PER_DAY = 10_000, 1_000_000  # the config's maxima


class StackError(RuntimeError):
    """A step failed; the message says which and carries the end of its output."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StackError(f"{name} is not installed (make prometheus-tools installs it)")
    return path


class Process:
    """A started process, its output in a log file; stopped with SIGTERM, then killed."""

    def __init__(self, name: str, command: Sequence[str], log: Path, env: dict[str, str]) -> None:
        self.name, self.log = name, log
        self._out: TextIO = log.open("w")
        self.popen = subprocess.Popen(
            list(command),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )

    def tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise StackError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if ready():
                    return
            time.sleep(0.2)
        raise StackError(f"{self.name} not ready after {timeout:.0f}s:\n{self.tail()}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._out.close()


def run(
    name: str, command: Sequence[str], log: Path, timeout: float, env: dict | None = None
) -> None:
    """A command that must finish with status 0 within ``timeout`` seconds."""
    with log.open("w") as out:
        try:
            r = subprocess.run(
                list(command),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=ROOT,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise StackError(f"{name} took longer than {timeout:.0f}s (log: {log})") from None
    if r.returncode != 0:
        text = log.read_text(errors="replace")[-3000:]
        raise StackError(f"{name} failed with status {r.returncode}:\n{text}")


@contextlib.contextmanager
def fake_api(replay: Path, work: Path) -> Iterator[str]:
    """`openrouter-exporter fake-api --replay FILE` on a free loopback port: its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "exporter", "fake-api", "--listen", f"127.0.0.1:{port}"]
    command += ["--replay", str(replay), "--requests-per-minute", str(REQUESTS_PER_MINUTE)]
    command += ["--requests-per-day", str(REQUESTS_PER_DAY)]
    proc = Process("fake-api", command, work / "fake-api.log", _env())
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        # A path outside the API answers 404 without counting against the rate limits.
        proc.wait_ready(lambda: httpx.get(f"{url}/ready", timeout=2).status_code == 404, 60)
        yield url
    finally:
        proc.stop()


def backfill(api_url: str, first: str, last: str, work: Path) -> Path:
    """The exporter's `backfill --apps` at the default config (only the base URL,
    state_dir and a budget the simulator allows set) for [first, last]: the OpenMetrics
    file it wrote. Exit 3 (the app history is incomplete) fails like any other status."""
    budget = {
        "requests_per_minute": REQUESTS_PER_MINUTE,
        "requests_per_day": REQUESTS_PER_DAY,
        "reserve": 0,
    }
    settings = {"openrouter": {"base_url": api_url}, "state_dir": str(work / "state")}
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump({**settings, "budget": budget}))
    out = work / "history.om"
    command = [sys.executable, "-m", "exporter", "backfill", "--config.file", str(config)]
    command += ["--from", first, "--to", last, "--output", str(out), "--apps"]
    command += ["--label", f"job={JOB}", "--label", f"instance={INSTANCE}"]
    run("backfill", command, work / "backfill.log", 1200, _env())
    return out


def create_blocks(openmetrics: Path, blocks: Path, log: Path) -> None:
    command = [tool("promtool"), "tsdb", "create-blocks-from", "openmetrics"]
    command += ["--max-block-duration=8760h", str(openmetrics), str(blocks)]
    run(f"promtool (blocks from {openmetrics.name})", command, log, 600)


@dataclass
class Prometheus:
    url: str
    process: Process

    def query(self, expr: str, at: float) -> list[dict[str, Any]]:
        r = httpx.post(
            f"{self.url}/api/v1/query", data={"query": expr, "time": f"{at:.3f}"}, timeout=120
        )
        body = r.json()
        if body.get("status") != "success":
            raise StackError(f"query failed: {body.get('error', r.text)}\n{expr[:300]}")
        return list(body["data"]["result"])

    def query_range(self, expr: str, start: int, end: int, step: int) -> list[dict[str, Any]]:
        r = httpx.post(
            f"{self.url}/api/v1/query_range",
            data={"query": expr, "start": str(start), "end": str(end), "step": str(step)},
            timeout=300,
        )
        body = r.json()
        if body.get("status") != "success":
            raise StackError(f"range query failed: {body.get('error', r.text)}\n{expr[:300]}")
        return list(body["data"]["result"])


@contextlib.contextmanager
def prometheus(data: Path, work: Path, retention_days: int) -> Iterator[Prometheus]:
    """A Prometheus over the blocks in ``data``: no scrape targets, no rule files, and a
    retention long enough to keep the history (it counts from now)."""
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"evaluation_interval": "1h"}}))
    port = free_port()
    command = [
        tool("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--storage.tsdb.retention.time={retention_days}d",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    proc = Process("prometheus", command, work / "prometheus.log", dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    try:
        proc.wait_ready(lambda: httpx.get(f"{url}/-/ready", timeout=2).status_code == 200, 120)
        yield Prometheus(url, proc)
    finally:
        proc.stop()


def _env() -> dict[str, str]:
    return {**os.environ, "OPENROUTER_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
