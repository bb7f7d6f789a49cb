"""Backfilled history in a real Prometheus: the dashboards chart it and rank changes join it.

A history written by `openrouter-exporter backfill` (default `--step 1h`) and turned into
blocks by `promtool tsdb create-blocks-from openmetrics` is loaded:

- into a Prometheus with NO rule files and no scraping: every market panel query, at the
  dashboards' default variables, must have a value at >= 95 % of 5-minute steps over the
  whole backfilled range (a plain selector looks back only 5 minutes, so hourly samples
  would chart as dots);
- into a Prometheus with the shipped rules that also scrapes a live exporter under
  ANOTHER instance than the history's (a Kubernetes pod restarted with a new IP): Δ rank
  and a rank-change alert are computed across the change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for, wait_until
from promserver import PromServer, create_blocks, running_prometheus
from test_e2e_prometheus import default_queries

from exporter.simulator import Simulator, serve

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
# Session cost has no history in the API (one current snapshot): nothing to backfill.
BACKFILLED = ["openrouter-models.json", "openrouter-apps.json"]
DAYS = 9
STEP = 300  # seconds: the query step of the coverage check
OLD_INSTANCE = "openrouter-exporter-7d9f-x2x:10110"  # the pod before its restart
# Rank-change queries compare two moments of the market, which only the rules record.
# A rank change: recorded (models), or computed from the recorded app ranks back then.
RANK_CHANGE = re.compile(r":change(1d|7d)\b|openrouter:app_rank:latest\{[^}]*\}\[\w+\] offset")
# Panels of datasets the API has no history of (no date parameter: task-classifications,
# benchmarks), on the Models dashboard beside the backfilled ones: nothing to backfill.
NO_HISTORY = re.compile(r"openrouter[_:](task|benchmark)_")

pytestmark = pytest.mark.e2e


@dataclass
class History:
    tmp: Path
    sim: Simulator
    api_url: str
    config: Path
    blocks: Path
    start: float  # first backfilled sample
    end: float  # last backfilled sample
    watched: str  # a model whose daily rank moved between the last two days
    move: int  # its rank change: previous - current (positive = up)


def _watched_model(sim: Simulator) -> tuple[str, int]:
    latest = sim.latest_day()
    ranks = []
    for day in (latest - timedelta(days=1), latest):
        rows = [r for r in sim.market.rankings_daily(day, day) if r.model_permaslug != "other"]
        ranks.append({r.model_permaslug: i for i, r in enumerate(rows, 1)})
    moved = [(m, ranks[0][m] - ranks[1][m]) for m in ranks[1] if m in ranks[0]]
    moved = [(m, d) for m, d in moved if d != 0 and ranks[1][m] <= 20]
    assert moved, "the simulated market moved no top-20 model between the last two days"
    return moved[0]


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [sys.executable, "-m", "exporter", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def history() -> Iterator[History]:
    tmp = Path(tempfile.mkdtemp(prefix="openrouter-history-"))
    sim = Simulator(seed=7, requests_per_minute=5000, requests_per_day=100_000, api_keys={FAKE_KEY})
    server = serve(sim, "127.0.0.1", 0)
    try:
        watched, move = _watched_model(sim)
        config = tmp / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "openrouter": {"base_url": server.url},
                    "budget": {
                        "requests_per_minute": 2000,
                        "requests_per_day": 50_000,
                        "reserve": 0,
                    },
                    "state_dir": str(tmp / "state"),
                    "apps": {
                        "windows": ["1d", "30d"],
                        "sorts": ["popular"],
                        "filters": ["all", "categories"],
                        "depth": 20,
                    },
                    "watch": {"models": [watched]},
                }
            )
        )
        env = {**os.environ, "OPENROUTER_API_KEY": FAKE_KEY}
        today = datetime.now(UTC).date()
        first, last = today - timedelta(days=DAYS), today - timedelta(days=1)
        out = tmp / "history.om"
        _cli(
            [
                "backfill",
                "--config.file",
                str(config),
                "--from",
                str(first),
                "--to",
                str(last),
                "--apps",
                "--output",
                str(out),
                "--label",
                "job=market-data",
                "--label",
                f"instance={OLD_INSTANCE}",
            ],
            env,
        )
        blocks = tmp / "blocks"
        create_blocks(out, blocks)
        stamps = [
            int(line.rsplit(" ", 1)[1])
            for line in out.read_text().splitlines()
            if line.startswith("openrouter_model_rank{")
        ]
        yield History(tmp, sim, server.url, config, blocks, min(stamps), max(stamps), watched, move)
    finally:
        server.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def _data_dir(h: History, name: str) -> Path:
    """A Prometheus data directory holding the backfilled blocks (one copy per server)."""
    target = h.tmp / f"{name}-data"
    shutil.copytree(h.blocks, target)
    return target


def _coverage(prom: PromServer, expr: str, start: float, end: float) -> float:
    steps = int((end - start) // STEP) + 1
    hit: set[int] = set()
    for series in prom.query_range(expr, start, end, STEP):
        for t, v in series["values"]:
            if v not in ("NaN", "+Inf", "-Inf"):
                hit.add(round((float(t) - start) / STEP))
    return len(hit) / steps


def test_every_market_panel_charts_backfilled_history_without_rule_files(history) -> None:
    h = history
    with running_prometheus(h.tmp, data_dir=_data_dir(h, "norules"), name="norules") as prom:
        wait_until(
            lambda: prom.query("count(openrouter_model_rank)", h.end),
            "blocks loaded",
            120,
            prom.proc,
        )
        assert not prom.api("rules")["groups"], "this server must have no rule files"
        start, end = h.start, h.end
        low, checked = [], 0
        for name in BACKFILLED:
            dash = json.loads((ROOT / "grafana" / "dashboards" / name).read_text())
            for where, expr in default_queries(prom, dash):
                if RANK_CHANGE.search(expr):
                    continue  # needs the rules: the next test, with them loaded
                if NO_HISTORY.search(expr):
                    continue
                checked += 1
                cov = _coverage(prom, expr, start, end)
                if cov < 0.95:
                    low.append(f"{where}: {cov:.0%} of 5-minute steps\n    {expr[:200]}")
        assert checked >= 20, checked
        assert not low, "panels with gaps over the backfilled history:\n" + "\n".join(low)


def test_rank_change_and_alert_join_history_across_an_instance_change(history) -> None:
    h = history
    env = {**os.environ, "OPENROUTER_API_KEY": FAKE_KEY}
    addr = f"127.0.0.1:{free_port()}"
    live = Proc(
        ["run", f"--config.file={h.config}", f"--web.listen-address={addr}"],
        env,
        h.tmp / "live.log",
    )
    try:
        wait_for(f"http://{addr}/readyz", lambda r: r.text == "ready\n", 120)
        with running_prometheus(
            h.tmp,
            scrape={"market-data": [addr]},
            rule_files=RULE_FILES,
            data_dir=_data_dir(h, "live"),
            name="live",
        ) as prom:
            wait_until(lambda: prom.targets_up() == 1, "the live exporter scraped", 60, prom.proc)
            model = f'model="{h.watched}", view="daily"'
            # The history is under another instance than the live series.
            old = prom.query(f"last_over_time(openrouter_model_rank{{{model}}}[1h] offset 1d)")
            assert old and {r["metric"]["instance"] for r in old} == {OLD_INSTANCE}
            wait_until(lambda: prom.query(f"openrouter_model_rank{{{model}}}"), "live data", 60)
            change = wait_until(
                lambda: prom.query(f"model:openrouter_model_rank:change1d{{{model}}}"),
                "the recorded rank change",
                120,
                prom.proc,
            )
            assert [float(r["value"][1]) for r in change] == [h.move]
            # The dashboard's own Δ rank 1d column agrees, and every rank-change query of
            # the market dashboards (which need the rules) has data across the change.
            dash = json.loads((ROOT / "grafana/dashboards/openrouter-models.json").read_text())
            (delta,) = [
                e for w, e in default_queries(prom, dash) if "Top models" in w and "change1d" in e
            ]
            shown = {r["metric"]["model"]: float(r["value"][1]) for r in prom.query(delta)}
            assert shown[h.watched] == h.move
            changes = [
                (w, e)
                for name in BACKFILLED
                for w, e in default_queries(
                    prom, json.loads((ROOT / "grafana" / "dashboards" / name).read_text())
                )
                if RANK_CHANGE.search(e)
            ]
            assert len(changes) >= 5 and all(prom.query(e) for _, e in changes), changes
            # With a history to compare with, every recording rule has output — but the app
            # rank a day ago and on the days before, which the rules take from what they
            # recorded (docs/alerts.md: a backfilled app history is charted, not compared with).
            wait_until(prom.rules_evaluated, "every rule group's first evaluation", 90)
            records = [
                r["name"]
                for g in prom.api("rules")["groups"]
                for r in g["rules"]
                if r["type"] == "recording"
            ]
            app_past = {"openrouter:app_rank:ago1d", "openrouter:app_rank:best_recent"}
            empty = {r for r in records if not prom.query(r)}
            assert records and empty == app_past, "recording rules without output: " + ", ".join(
                sorted(empty)
            )
            # The watched model's rank alert is computed across the change (pending: for 10m).
            alerts = wait_until(
                lambda: [
                    a
                    for a in prom.api("alerts")["alerts"]
                    if a["labels"]["alertname"] == "OpenRouterWatchedModelRankChanged"
                    and a["labels"].get("model") == h.watched
                ],
                "the watched model's rank alert",
                60,
                prom.proc,
            )
            assert alerts[0]["state"] in ("pending", "firing")
            assert "instance" not in alerts[0]["labels"]
            assert f"{h.move:+d}" in alerts[0]["annotations"]["summary"]
    finally:
        live.stop()
