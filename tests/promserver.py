"""One way for every test to run a real Prometheus (Debian's 2.42): a config, optional
rule files and an optional data directory (backfilled blocks), on a free loopback port.

    with running_prometheus(tmp, scrape={"market-data": ["127.0.0.1:10110"]}) as prom:
        prom.query("up")
"""

from __future__ import annotations

import contextlib
import math
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from conftest import Proc, free_port, require_tool, wait_until


def _unix(rfc3339: str) -> float:
    """Prometheus's RFC 3339 times carry nanoseconds; Python reads up to microseconds."""
    head, _, frac = rfc3339.rstrip("Z").partition(".")
    stamp = datetime.fromisoformat(head).replace(tzinfo=UTC).timestamp()
    return stamp + (float(f"0.{frac}") if frac else 0.0)


class QueryError(ValueError):
    pass


@dataclass
class PromServer:
    url: str
    proc: Proc

    def api(self, path: str, **params: Any) -> Any:
        r = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=60)
        body = r.json()
        if body.get("status") != "success":
            raise QueryError(body.get("error", r.text))
        return body["data"]

    def query(self, expr: str, t: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr, **({"time": f"{t:.3f}"} if t is not None else {})}
        return self.api("query", **params)["result"]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        return self.api(
            "query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=f"{step}"
        )["result"]

    def output(self) -> str:
        return self.proc.output()

    def rules_evaluated(self, since: float = 0.0) -> bool:
        """Every rule of every group has been evaluated, each group at least once after
        ``since`` (a Unix time: when the data the test reads had been scraped). Groups with
        an interval of their own start at an offset of Prometheus's choosing within it, so
        a first evaluation can come before the first scrape: it records nothing, and a
        recorded series read at once is empty until the next one, a minute later."""
        groups = self.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        return (
            bool(rules)
            and all(r["health"] != "unknown" for r in rules)
            and all(_unix(g["lastEvaluation"]) > since for g in groups)
        )

    def targets_up(self) -> int:
        return sum(1 for t in self.api("targets")["activeTargets"] if t["health"] == "up")


def prometheus_config(
    scrape: dict[str, Sequence[str]], rule_files: Sequence[Path] = (), interval: str = "1s"
) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [
            {
                "job_name": job,
                "scrape_interval": interval,
                "scrape_timeout": interval,
                "static_configs": [{"targets": list(targets)}],
            }
            for job, targets in scrape.items()
        ],
    }


@contextlib.contextmanager
def running_prometheus(
    workdir: Path,
    *,
    scrape: dict[str, Sequence[str]] | None = None,
    rule_files: Sequence[Path] = (),
    data_dir: Path | None = None,
    retention_days: int = 1000,
    name: str = "prometheus",
) -> Iterator[PromServer]:
    """A Prometheus process, stopped (SIGTERM, then kill) when the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / f"{name}.yml"
    config.write_text(yaml.safe_dump(prometheus_config(scrape or {}, rule_files)))
    port = free_port()
    proc = Proc(
        [
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir or workdir / f'{name}-data'}",
            # Retention counts from now: keep backfilled days however old they are.
            f"--storage.tsdb.retention.time={retention_days}d",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        None,
        workdir / f"{name}.log",
        command=[require_tool("prometheus")],
    )
    server = PromServer(f"http://127.0.0.1:{port}", proc)
    try:
        wait_until(
            lambda: httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200,
            "prometheus to be ready",
            60,
            proc,
        )
        yield server
    finally:
        proc.stop(timeout=15)


def finite(value: str) -> bool:
    return math.isfinite(float(value))


def create_blocks(openmetrics: Path, blocks: Path, timeout: float = 300) -> None:
    """`promtool tsdb create-blocks-from openmetrics`, as the README says to run it (with
    --max-block-duration: 2.42 otherwise re-reads the whole file per 2-hour block)."""
    r = subprocess.run(
        [
            require_tool("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=8760h",
            str(openmetrics),
            str(blocks),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert r.returncode == 0, r.stdout + r.stderr
