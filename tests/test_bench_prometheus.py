"""`make bench-prometheus` (bench/prometheus.py), in its quick mode: it runs end to end and
prints every section with figures, and it leaves no process or temp dir behind, also when
interrupted. No timing thresholds here: the machine is shared, its figures are the bench's
to judge, not the test's."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path

import pytest
import yaml
from conftest import Proc, wait_until

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
NUM = r"\d+(?:\.\d+)?"
MS = rf"{NUM} ms"

pytestmark = pytest.mark.e2e


def bench(tmp: Path, *args: str) -> tuple[Proc, Path]:
    """The bench with its own TMPDIR, so what it leaves behind is easy to see."""
    own_tmp = tmp / "tmp"
    own_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(own_tmp)}
    env.pop("OPENROUTER_API_KEY", None)
    command = [sys.executable, "-m", "bench.prometheus", *args]
    return Proc([], env, tmp / "bench.log", command=command, cwd=ROOT), own_tmp


def processes_using(path: Path) -> list[str]:
    """Command lines that name ``path``: the exporter's config and Prometheus's data dir
    are in the bench's temp dir."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in text:
            found.append(text)
    return found


def assert_left_nothing(own_tmp: Path) -> None:
    assert not list(own_tmp.iterdir()), f"left behind: {list(own_tmp.iterdir())}"
    assert not processes_using(own_tmp), processes_using(own_tmp)


def group_names() -> list[str]:
    return [g["name"] for p in RULE_FILES for g in yaml.safe_load(p.read_text())["groups"]]


def test_quick_run_prints_every_section_with_figures(tmp_path: Path) -> None:
    # --seconds 20: the measured period still runs until every group (the market ones
    # every minute) has evaluated once on the clock, so every line has figures.
    proc, own_tmp = bench(tmp_path, "--quick", "--seconds", "20")
    wait_until(lambda: not proc.alive(), "the quick bench to finish", 420)
    assert proc.stop() == 0, proc.output()[-3000:]
    out = proc.output()
    expected = [
        r"^machine: .+, \d+ cores",
        r"^Prometheus \S+ ×2, each scraping one demo exporter \(maximal app config, [\d,]+ series",
        r"^both started with 9 days of hourly rank history \([\d,]+ samples",
        rf"^  with rules\s+{NUM} cores$",
        rf"^  baseline\s+{NUM} cores$",
        rf"^  with ÷ baseline {NUM}x$",
        *(rf"^  {re.escape(g)}\s+\d+s\s+[1-9]\d*\s+{MS}\s+{MS}$" for g in group_names()),
        rf"^  all groups \(sum of medians\)\s+{MS}$",
        r"^  the slowest rules \(median\): \d+ rules in all$",
        rf"^ +{MS}  openrouter-\S+ › \S+$",
        r"^Instant queries: the slowest 10 of \d+$",
        r"^Range queries, the last hour in 240 steps .*: the slowest 10 of \d+$",
        rf"^  slowest overall: {MS}, .+ \(baseline's slowest: {MS}\)$",
        *(rf"^  {kind}\s+\d+  \S.*$" for kind in ("panel", "alert", "recording rule")),
    ]
    missing = [e for e in expected if not re.search(e, out, re.M)]
    assert not missing, f"{missing}\n{out}"
    timed = re.findall(rf"^  +{MS} +{MS}  \S.* › .+$", out, re.M)
    assert len(timed) == 20, out  # the slowest 10, instant and range
    targets = re.findall(r"^  (PASS|MISS)  ", out, re.M)
    assert len(targets) == 7, out
    assert not re.search(r"^  error: ", out, re.M), out
    assert_left_nothing(own_tmp)


def test_an_interrupted_run_stops_every_process_and_removes_its_temp_dir(
    tmp_path: Path,
) -> None:
    proc, own_tmp = bench(tmp_path, "--quick")
    # Interrupted once both Prometheus servers are up (they start after the exporter has
    # filled its views and their history is written), so every kind of process is running.
    wait_until(lambda: list(own_tmp.glob("*/exporter.log")), "the exporter to start", 60, proc)
    wait_until(lambda: len(processes_using(own_tmp)) >= 3, "every process to start", 300, proc)
    assert proc.stop(signal.SIGINT, timeout=60) == 130, proc.output()
    assert "interrupted" in proc.output()
    assert_left_nothing(own_tmp)
