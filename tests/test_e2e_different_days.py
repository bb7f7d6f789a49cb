"""End to end: two exporters that really hold different days, in a real Prometheus.

Exporter A asks a simulated API that has published day D. Exporter B asks one with the
same market that is a day behind (its newest day is D-1), and B asks *later* than A, so
B's answers carry the newer ``as_of``: exactly the case where picking "newest data" by
``as_of`` shows the day behind. Three Prometheus servers with the shipped rules scrape A
alone, B alone, and A and B together: every market panel, variables at their defaults,
must show in the shared server exactly what it shows with A alone — and, so the test
proves something, many panels must differ between A alone and B alone.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for, wait_until
from promserver import PromServer, running_prometheus
from test_e2e_prometheus import MARKET_DASHBOARDS, RULE_FILES, _answer, default_queries

from exporter.simulator import Simulator, serve

pytestmark = pytest.mark.e2e


@dataclass
class Servers:
    a: PromServer  # the exporter holding day D
    b: PromServer  # the exporter a day behind, which asked later
    both: PromServer


def _exporter(tmp: Path, name: str, api_url: str, env: dict[str, str]) -> tuple[Proc, str]:
    config = tmp / f"{name}.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "openrouter": {"base_url": api_url},
                "budget": {"requests_per_minute": 2000, "requests_per_day": 50_000, "reserve": 0},
                "state_dir": str(tmp / f"{name}-state"),
                "apps": {
                    "windows": ["1d", "30d"],
                    "sorts": ["popular", "trending"],
                    "filters": ["all", "categories"],
                    "depth": 20,
                },
                "session_cost": {"enabled": True},
            }
        )
    )
    addr = f"127.0.0.1:{free_port()}"
    proc = Proc(
        ["run", f"--config.file={config}", f"--web.listen-address={addr}"],
        env,
        tmp / f"{name}.log",
    )
    wait_for(f"http://{addr}/readyz", lambda r: r.text == "ready\n", 240)
    return proc, addr


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    tmp = Path(tempfile.mkdtemp(prefix="openrouter-days-"))
    env = {**os.environ, "OPENROUTER_API_KEY": FAKE_KEY}
    limits = {"requests_per_minute": 5000, "requests_per_day": 100_000, "api_keys": {FAKE_KEY}}
    ahead = serve(Simulator(seed=11, **limits), "127.0.0.1", 0)
    behind = serve(Simulator(seed=11, publication_lag_days=1, **limits), "127.0.0.1", 0)
    procs: list[Proc] = []
    try:
        a, addr_a = _exporter(tmp, "a", ahead.url, env)
        procs.append(a)
        time.sleep(1.5)  # every one of B's answers is fetched after A's
        b, addr_b = _exporter(tmp, "b", behind.url, env)
        procs.append(b)
        with (
            running_prometheus(
                tmp, scrape={"ahead": [addr_a]}, rule_files=RULE_FILES, name="a"
            ) as pa,
            running_prometheus(
                tmp, scrape={"behind": [addr_b]}, rule_files=RULE_FILES, name="b"
            ) as pb,
            running_prometheus(
                tmp, scrape={"market-data": [addr_a, addr_b]}, rule_files=RULE_FILES, name="ab"
            ) as pab,
        ):
            for prom, n in ((pa, 1), (pb, 1), (pab, 2)):
                wait_until(lambda p=prom, n=n: p.targets_up() == n, "targets scraped", 60)
            # The test reads every server at one instant 2 s in the past (so the three
            # agree on which scrapes count): that instant must follow an evaluation of
            # every rule over the scraped data, or a panel reading a recorded series reads
            # nothing.
            scraped = time.time()
            for prom in (pa, pb, pab):
                wait_until(
                    lambda p=prom: p.rules_evaluated(since=scraped),
                    "every rule group evaluated over the scraped data",
                    90,
                )
            # The test reads at an instant 2 s in the past: after those evaluations, whose
            # samples carry the time they started, not the time the wait saw them.
            evaluated = time.time()
            wait_until(lambda: time.time() - 2 > evaluated, "2 s past those evaluations", 5)
            yield Servers(pa, pb, pab)
    finally:
        for p in procs:
            p.stop()
        ahead.shutdown()
        behind.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def _same(x: dict[str, float], y: dict[str, float]) -> bool:
    return x.keys() == y.keys() and all(math.isclose(x[k], y[k], rel_tol=1e-9) for k in x)


def test_the_exporters_really_hold_different_days_and_b_asked_later(servers: Servers) -> None:
    end = "max by (dataset) (openrouter_data_end_date_timestamp_seconds)"
    as_of = 'min(openrouter_data_as_of_timestamp_seconds{dataset="rankings-daily"})'
    day_a = {r["metric"]["dataset"]: float(r["value"][1]) for r in servers.a.query(end)}
    day_b = {r["metric"]["dataset"]: float(r["value"][1]) for r in servers.b.query(end)}
    assert day_a["rankings-daily"] - day_b["rankings-daily"] == 86400, (day_a, day_b)
    first_b = float(servers.b.query(as_of)[0]["value"][1])
    last_a = float(servers.a.query(as_of.replace("min(", "max("))[0]["value"][1])
    assert first_b > last_a, "B's answers must be the more recently fetched ones"


def test_the_newest_day_wins_on_every_market_panel(servers: Servers) -> None:
    """Where A holds the newer day, the shared server shows A's data. Session cost is a
    weekly window both hold alike: there the later fetch (B's) is the one cited, and the
    data is the same."""
    t = time.time() - 2
    compared, differ_by_day, mixed = 0, 0, []
    for path in MARKET_DASHBOARDS:
        dash = json.loads(path.read_text())
        queries_b = dict(default_queries(servers.b, dash))
        for where, expr in default_queries(servers.both, dash):
            ahead, both = _answer(servers.a, expr, t), _answer(servers.both, expr, t)
            behind = _answer(servers.b, queries_b[where], t)
            compared += 1
            assert ahead, f"{where}: no data from the exporter holding day D\n    {expr}"
            if not _same(ahead, behind):
                differ_by_day += 1
            same_day_citation = "Session cost" in where and "citation" in where
            if not _same(behind if same_day_citation else ahead, both):
                extra = sorted(set(both) ^ set(ahead))[:3]
                mixed.append(f"{where}: {len(ahead)} series alone, {len(both)} together {extra}")
    assert compared >= 30, compared
    assert differ_by_day >= 10, f"only {differ_by_day} panels differ between the two days"
    assert not mixed, "panels showing the day behind (or a mix):\n" + "\n".join(mixed)
