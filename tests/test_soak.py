"""The soak (`make soak`), short: a few seeded simulated days of the whole exporter against
the simulator, every invariant checked after every step; and proof that it catches a
guard broken on purpose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from soak.adapter import BROKEN_COMPONENTS
from soak.harness import Result, run_seed
from soak.scenario import CRASH_KINDS, FAULT_WEIGHTS

ROOT = Path(__file__).resolve().parent.parent
SHORT = [("default", 1, 1.5), ("default", 2, 1.5), ("default", 4, 1.5), ("maximal", 1, 1.0)]


@pytest.fixture(scope="module")
def short_soak(tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    return [
        run_seed(config, seed, days, tmp_path_factory.mktemp(f"{config}-{seed}"))
        for config, seed, days in SHORT
    ]


def test_short_soak_keeps_every_invariant(short_soak: list[Result]) -> None:
    for r in short_soak:
        assert r.failure is None, f"{r.config} seed {r.seed}: {r.failure}"
        assert r.worst_minute <= 30 and r.worst_day <= r.limit_day
        assert r.own_429 == 0
        assert r.steps > 100 and len(r.requests_per_day) >= 2


def test_short_soak_throws_everything_at_it(short_soak: list[Result]) -> None:
    """The runs above mean something only if the schedule really did all of this."""
    crashes = {kind for r in short_soak for kind in r.crashes}
    assert {*CRASH_KINDS, "crash-loop", "torn-snapshot-file"} <= crashes
    assert all(r.crashes.get("crash-loop") == 5 for r in short_soak)
    faults = {kind for r in short_soak for kind in r.injected}
    assert faults == {kind for kind, _ in FAULT_WEIGHTS}
    assert sum(r.injected_429 for r in short_soak) > 0
    # A day published during the run became visible on every dataset's views.
    datasets = {d for r in short_soak for d in r.delays}
    assert {"app-rankings", "rankings-daily"} <= datasets


def test_a_seed_reproduces_its_run_exactly(tmp_path: Path) -> None:
    a = run_seed("default", 3, 1.0, tmp_path / "a")
    b = run_seed("default", 3, 1.0, tmp_path / "b")
    c = run_seed("default", 5, 1.0, tmp_path / "c")
    assert a.digest == b.digest and (a.steps, a.restarts) == (b.steps, b.restarts)
    assert a.digest != c.digest


EXPECTED = {
    "store-not-loaded": "every view keeps serving",
    "429-not-counted": "request log survives",
    "write-in-place": "every view keeps serving",
    "no-minute-limit": "sliding 60 s window <= 30",
    "cache-not-updated": "never older data than on disk",
    "lazy-detector": "a published day is on every view within 2 h",
}


@pytest.mark.parametrize("broken", BROKEN_COMPONENTS)
def test_a_broken_guard_makes_the_soak_fail(tmp_path: Path, broken: str) -> None:
    # Seed 4 passes unbroken (in the short soak above) and meets each case on day one.
    r = run_seed("default", 4, 1.5, tmp_path, broken)
    assert r.failure is not None, f"the soak did not notice {broken}"
    assert r.failure.invariant == EXPECTED[broken], r.failure


def test_a_failing_run_prints_how_to_reproduce_it(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "soak", "--configs", "default", "--seed", "4", "--days", "1"]
    broken = subprocess.run(
        [*cmd, "--broken", "lazy-detector", "--jobs", "1", "--workdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode == 1, broken.stdout + broken.stderr
    out = broken.stdout
    assert "invariant broken: a published day is on every view within 2 h" in out
    assert "config default, seed 4, step " in out and "simulated time 2026-" in out
    assert "reproduce: make soak CONFIGS=default SEED=4 DAYS=1" in out
    assert "0 of 1 runs without a violation" in out
    kept = [line.split(": ", 1)[1] for line in out.splitlines() if "state directory kept" in line]
    assert kept and Path(kept[0], "state", "requests.log").is_file()
