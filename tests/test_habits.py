"""How the tests themselves are written: one way to start a process, one way to run
Prometheus, one fake clock, so the next test is cheap to write and its failures read the
same."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# The browser driver talks to Chromium over inherited pipes, which Proc does not offer.
POPEN_ALLOWED = {"conftest.py", "browser.py", "test_habits.py"}


def sources() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(TESTS.glob("*.py"))}


def test_processes_are_started_only_through_conftest_proc() -> None:
    offenders = [n for n, s in sources().items() if "Popen(" in s and n not in POPEN_ALLOWED]
    assert not offenders, f"start processes with conftest.Proc: {offenders}"


def test_prometheus_is_started_only_by_the_shared_helper() -> None:
    starts = re.compile(r"require_tool\(\s*\"prometheus\"\s*\)|\[\s*\"prometheus\"")
    offenders = [n for n, s in sources().items() if starts.search(s) and n != "promserver.py"]
    assert not offenders, f"start Prometheus with promserver.running_prometheus: {offenders}"


def test_waiting_goes_through_wait_until() -> None:
    # A hand-written deadline loop per test is how six ways of waiting came about.
    loops = re.compile(r"deadline\s*=\s*time\.monotonic\(\)[^\n]*\n\s*while ")
    # test_http_hardening samples a peak over a fixed time: a measurement, not a wait.
    allowed = {"conftest.py", "browser.py", "test_http_hardening.py", "test_habits.py"}
    offenders = [n for n, s in sources().items() if loops.search(s) and n not in allowed]
    assert not offenders, f"wait with conftest.wait_until / wait_for: {offenders}"


def test_one_fake_clock() -> None:
    # Two fake clocks (a float one here, the simulator's datetime one) meant every rig
    # converting one into the other; the simulator's ManualClock drives both sides.
    classes = re.compile(r"^class \w*Clock\b", re.M)
    offenders = [n for n, s in sources().items() if classes.search(s)]
    assert not offenders, f"use the `clock` fixture (exporter.simulator.ManualClock): {offenders}"
