"""Bugs the soak found (`make soak`), each reproduced at unit scale so it stays fixed.

- A request recorded right after a torn request-log line was appended to the fragment and
  took the fragment's time: if it then crashed in flight, it left the 24 h window early
  (soak: stretched config, seed 6).
- A rotated (stretched) app view refreshed only when the newest published day was its
  group's turn: days published together (one late) skipped a group's turn, and a turn
  lost to a failure was forgotten across a restart (soak: stretched config, seeds 1, 3,
  4, 7, 8). Both left views a rotation or more further behind than check-config promised.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import httpx
from conftest import FAKE_KEY, drive

from exporter.app import Exporter, build
from exporter.budget import DAY, Budget
from exporter.configfile import parse_config
from exporter.simulator import Fault, ManualClock, Market, PublicationSchedule, Simulator
from exporter.simulator.publication import day_close

D = date(2026, 5, 13)  # a day the stretched config's two rotation groups both need


def test_a_request_recorded_after_a_torn_line_keeps_its_own_time(tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    log.write_bytes(b"1000.0 rankings-daily 5f97")  # a crash cut this line short
    now = [50_000.0]
    budget = Budget(30, 500, log, clock=lambda: now[0])
    # Recorded and sent; the process dies before the request finishes, so its finishing
    # entry is never written (the context is entered and never left).
    in_flight = budget.spend("app-rankings")
    in_flight.__enter__()
    assert log.read_bytes().count(b"\n") == 2  # the fragment ended, then our own line
    now[0] = 1000.0 + DAY + 10  # the torn line's time has left the window; ours has not
    restarted = Budget(30, 500, log, clock=lambda: now[0])
    assert restarted.used()["24h"] == 1
    del in_flight  # only now: its cleanup would write the finishing entry


STRETCHED = {
    "apps": {
        "windows": ["1d", "7d", "30d"],
        "sorts": ["popular", "trending"],
        "filters": ["every"],
        "depth": 50,
    },
    "models": {"views": [{"name": "daily", "period": "day"}]},
    "session_cost": {"enabled": False},
    "budget": {"requests_per_day": 130, "reserve": 0},  # 120 app views: two groups
}


class World:
    def __init__(self, tmp_path: Path, schedule: PublicationSchedule) -> None:
        self.cfg = parse_config(STRETCHED)
        self.clock = ManualClock(day_close(D - timedelta(days=1)) + timedelta(hours=2))
        self.sim = Simulator(
            seed=5,
            now=self.clock,
            publication=schedule,
            market=Market(5, until=D - timedelta(days=1)),
        )
        self.state = tmp_path
        self.exporter = self.start()

    def start(self) -> Exporter:
        transport = httpx.MockTransport(self.sim.handle)
        return build(
            self.cfg,
            FAKE_KEY,
            transport=transport,
            clock=self.clock.timestamp,
            state_dir=self.state,
            rng=random.Random(1),
        )

    def run_until(self, hours_after_close_of: date, hours: float) -> None:
        until = (day_close(hours_after_close_of) + timedelta(hours=hours)).timestamp()
        drive(self.exporter.scheduler.step, self.clock, until)

    def app_end_dates(self) -> dict[str, date | None]:
        return {
            view: snap.meta.end_date
            for (dataset, view), snap in self.exporter.store.snapshots().items()
            if dataset == "app-rankings"
        }


def test_rotated_views_catch_up_on_days_published_together(tmp_path: Path) -> None:
    nxt = D + timedelta(days=1)
    together = day_close(nxt) + timedelta(hours=1)  # D is a day late: both appear at once
    world = World(
        tmp_path, PublicationSchedule(times={D: together, nxt: together}, delay=timedelta(hours=1))
    )
    assert world.exporter.scheduler.plan.rotation_days == 2
    world.run_until(D - timedelta(days=1), 8)
    assert set(world.app_end_dates().values()) == {D - timedelta(days=1)}  # the first fill
    world.run_until(nxt, 20)  # time for the budget to free up; D + 2 comes at 25 h
    behind = {v: end for v, end in world.app_end_dates().items() if end is None or end < D}
    assert not behind, f"{len(behind)} views missed their turn: {sorted(behind)[:3]}"


def test_a_turn_lost_to_a_failure_is_not_forgotten_across_a_restart(tmp_path: Path) -> None:
    world = World(tmp_path, PublicationSchedule(delay=timedelta(hours=1)))
    world.run_until(D - timedelta(days=1), 8)  # the first fill: every view shows D - 1
    # D is published; the views of D's turn fail (the API is down for apps), then a restart.
    world.sim.faults.add(Fault.server_error(503), times=None, path="/datasets/app-rankings")
    world.run_until(D, 1.5)
    plan = world.exporter.scheduler.plan  # check-config's plan: which views D's turn is
    turn = {
        v.view for v in plan.views if v.dataset == "app-rankings" and v.group == D.toordinal() % 2
    }
    failed = {v for v, end in world.app_end_dates().items() if end == D - timedelta(days=1)}
    assert turn and turn <= failed  # the whole turn failed
    world.sim.faults.clear()
    world.exporter.client.close()
    world.exporter = world.start()
    world.run_until(D, 4)
    still = {v for v, end in world.app_end_dates().items() if end is None or end < D} & turn
    assert not still, f"{len(still)} views wait for their next turn: {sorted(still)[:3]}"
