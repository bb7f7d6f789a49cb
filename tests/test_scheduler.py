"""The scheduler on a simulated clock: a week of publications, faults and restarts.

No real sleeping: the simulator and the exporter share a fake clock that the test advances.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import FAKE_KEY, drive

from exporter.app import build
from exporter.config import Config
from exporter.configfile import parse_config
from exporter.datasets.apps import app_views
from exporter.datasets.models import model_views
from exporter.simulator import Fault, ManualClock, Simulator
from exporter.snapshot import Snapshot
from testsupport.maximal import MAXIMAL_APPS

DAY = 86400.0
START = datetime(2026, 5, 12, 0, 30, tzinfo=UTC)

MAXIMAL = {"apps": MAXIMAL_APPS}


@dataclass
class Run:
    cfg: Config
    sent: list[float] = field(default_factory=list)  # every request that left the exporter
    refreshed: list[tuple[float, tuple[str, str], date | None]] = field(default_factory=list)
    sim_log_len: int = 0


def run_week(
    cfg_dict: dict,
    state: Path,
    *,
    faults: bool,
    days: int = 7,
    restarts: tuple[float, ...] = (1.4, 3.3, 5.8),
    seed: int = 3,
) -> Run:
    cfg = parse_config(cfg_dict)
    clock = ManualClock(START)
    sim = Simulator(seed=1, now=clock)
    rng = random.Random(seed)
    run = Run(cfg)

    def handler(request: httpx.Request) -> httpx.Response:
        run.sent.append(clock.timestamp())
        if faults:
            r = rng.random()
            if r < 0.03:
                sim.handle(request)  # it reached the API; the answer never came back
                raise httpx.ReadTimeout("simulated timeout", request=request)
            if r < 0.06:
                sim.faults.add(Fault.rate_limited(rng.choice([None, 45])))
            elif r < 0.09:
                sim.faults.add(Fault.server_error(rng.choice([500, 502, 503])))
        return sim.handle(request)

    end = START.timestamp() + days * DAY
    stops = [START.timestamp() + r * DAY for r in restarts] + [end]
    for stop in stops:
        exporter = build(
            cfg,
            FAKE_KEY,
            transport=httpx.MockTransport(handler),
            clock=clock.timestamp,
            state_dir=state,
            rng=random.Random(seed),
        )
        original_put = exporter.store.put

        def put(snap: Snapshot, _put=original_put) -> None:
            run.refreshed.append((clock.timestamp(), snap.key, snap.meta.end_date))
            _put(snap)

        exporter.store.put = put  # type: ignore[method-assign]
        drive(exporter.scheduler.step, clock, stop)
        exporter.client.close()
    run.sim_log_len = len(sim.log)
    return run


def max_in_window(times: list[float], span: float) -> int:
    times = sorted(times)
    return max(
        (i + 1 - bisect.bisect_right(times, t - span) for i, t in enumerate(times)), default=0
    )


def view_keys(cfg: Config) -> set[tuple[str, str]]:
    keys = {("rankings-daily", v.name) for v in model_views(cfg)}
    keys |= {("app-rankings", v.name) for v in app_views(cfg)}
    return keys


def refresh_delays(run: Run, days: int) -> dict[tuple[str, str], list[float]]:
    """For each view and each day published during the run: hours from publication (00:00
    UTC the next day) to the first refresh that served it."""
    out: dict[tuple[str, str], list[float]] = {}
    first_day = START.date()  # published at 00:00 on START + 1 day
    for key in view_keys(run.cfg):
        delays = []
        for n in range(days - 1):
            day = first_day + timedelta(days=n)
            published = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + DAY
            served = [t for t, k, end in run.refreshed if k == key and end and end >= day]
            delays.append((min(served) - published) / 3600 if served else float("inf"))
        out[key] = delays
    return out


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faults"])
def test_default_config_week(tmp_path, faults):
    run = run_week({}, tmp_path, faults=faults)
    cfg = run.cfg
    assert max_in_window(run.sent, 60) <= cfg.budget.effective_per_minute
    assert max_in_window(run.sent, DAY) <= cfg.budget.effective_per_day
    delays = refresh_delays(run, 7)
    late = {k: d for k, d in delays.items() if max(d) > 2}
    assert not late, f"views refreshed more than 2 h after a new day: {late}"
    # Session cost is checked about daily.
    sc = [t for t, k, _ in run.refreshed if k == ("session-cost", "default")]
    assert len(sc) >= 6


@pytest.mark.parametrize("faults", [False, True], ids=["clean", "faults"])
def test_maximal_config_week(tmp_path, faults):
    run = run_week(MAXIMAL, tmp_path, faults=faults)
    cfg = run.cfg
    assert len(app_views(cfg)) == 120
    assert max_in_window(run.sent, 60) <= cfg.budget.effective_per_minute
    assert max_in_window(run.sent, DAY) <= cfg.budget.effective_per_day
    delays = refresh_delays(run, 7)
    starved = {k: d for k, d in delays.items() if any(x == float("inf") for x in d)}
    assert not starved, f"views that missed a published day: {sorted(starved)[:5]}"
    late = {k: d for k, d in delays.items() if max(d) > 2}
    assert not late, f"views refreshed more than 2 h after a new day: {sorted(late)[:5]}"


def test_restart_serves_stored_data_without_refetching(tmp_path):
    run = run_week({}, tmp_path, faults=False, days=1, restarts=())
    before = len(run.sent)
    clock = ManualClock(START + timedelta(days=1, hours=1))
    sent: list[float] = []
    sim = Simulator(seed=1, now=clock)

    def handler(request: httpx.Request) -> httpx.Response:
        # The fixed-cadence views' daily checks may be due; they are not re-fetched data.
        if not request.url.path.endswith(("/session-cost", "/classifications/task", "/benchmarks")):
            sent.append(clock.timestamp())
        return sim.handle(request)

    exporter = build(
        run.cfg,
        FAKE_KEY,
        transport=httpx.MockTransport(handler),
        clock=clock.timestamp,
        state_dir=tmp_path,
    )
    assert "openrouter_app_rank{" in exporter.cache.current.text.decode()
    drive(exporter.scheduler.step, clock, clock.timestamp() + 3600)
    assert before > 30 and len(sent) == 0, "a restart within the day re-fetched data"
    last = {s.view: s.last_success for s in exporter.scheduler.statuses()}
    assert all(t is not None and t < clock.timestamp() for t in last.values())


def test_stretched_config_rotates_views_and_never_overspends(tmp_path):
    cfg = {**MAXIMAL, "budget": {"requests_per_day": 150, "reserve": 0.2}}
    run = run_week(cfg, tmp_path, faults=False)
    plan = build(run.cfg, FAKE_KEY, state_dir=tmp_path / "p").scheduler.plan
    assert plan.rotation_days > 1
    assert max_in_window(run.sent, DAY) <= 120
    assert max_in_window(run.sent, 60) <= run.cfg.budget.effective_per_minute
    refreshed = {k for _, k, _ in run.refreshed}
    assert view_keys(run.cfg) <= refreshed, "a view was starved"
    # After the first fill, each app view refreshes about once per rotation.
    counts = [
        sum(1 for _, k, _ in run.refreshed if k == key)
        for key in view_keys(run.cfg)
        if key[0] == "app-rankings"
    ]
    assert max(counts) <= 1 + 7 // plan.rotation_days + 1


def test_days_published_together_keep_every_rotation_turn(tmp_path):
    """Publication is a day late, then two days appear at once: the app views whose turn
    was the day in between are not skipped until their next turn."""
    cfg = parse_config({**MAXIMAL, "budget": {"requests_per_day": 150, "reserve": 0.2}})
    clock = ManualClock(START)
    sim = Simulator(seed=1, now=clock)
    refreshed: list[tuple[float, tuple[str, str], date | None]] = []
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.timestamp())
        return sim.handle(request)

    exporter = build(
        cfg,
        FAKE_KEY,
        transport=httpx.MockTransport(handler),
        clock=clock.timestamp,
        state_dir=tmp_path,
        rng=random.Random(3),
    )
    put = exporter.store.put

    def record(snap: Snapshot) -> None:
        refreshed.append((clock.timestamp(), snap.key, snap.meta.end_date))
        put(snap)

    exporter.store.put = record  # type: ignore[method-assign]
    sched = exporter.scheduler
    rotation = sched.plan.rotation_days
    assert rotation > 1
    midnight = datetime(2026, 5, 16, tzinfo=UTC).timestamp()
    drive(sched.step, clock, midnight - 60)
    latest = sched.days.latest
    assert latest == date(2026, 5, 14)
    sim.publication_lag_days = 1  # the next day is late ...
    drive(sched.step, clock, midnight + DAY - 60)
    assert sched.days.latest == latest
    sim.publication_lag_days = 0  # ... and comes out with the one after it
    jump = clock.timestamp()
    drive(sched.step, clock, midnight + DAY + 3600)
    assert sched.days.latest == latest + timedelta(days=2)
    drive(sched.step, clock, midnight + 2 * DAY - 60)  # before the next day's turn
    skipped = (latest + timedelta(days=1)).toordinal() % rotation
    turn = [v.key for v in sched.views if v.planned.dataset == "app-rankings"]
    turn = [v.key for v in sched.views if v.key in turn and v.planned.group == skipped]
    assert turn
    late = [
        k
        for k in turn
        if not any(t > jump and key == k and e and e > latest for t, key, e in refreshed)
    ]
    assert not late, f"{len(late)} of {len(turn)} views lost their turn: {late[:3]}"
    assert max_in_window(sent, DAY) <= 120  # and still inside the budget
