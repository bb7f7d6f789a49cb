"""The simulator's calendar: publication times, late and skipped days, the newest day
growing after it appears, a key refused for a while, and its record of every arrival."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import FAKE_KEY
from sim_client import client_for

from exporter.simulator import Fault, ManualClock, Market, PublicationSchedule, Simulator
from exporter.simulator.publication import day_close

D = date(2026, 5, 10)  # a Sunday
MONDAY = day_close(D)


def at(day: date, hours: float) -> datetime:
    return day_close(day) + timedelta(hours=hours)


def test_a_day_is_served_from_its_publication_time() -> None:
    schedule = PublicationSchedule(delay=timedelta(hours=3))
    assert schedule.latest_day(at(D, 2.99)) == D - timedelta(days=1)
    assert schedule.latest_day(at(D, 3.0)) == D
    assert schedule.published_at(D) == at(D, 3)


def test_a_late_day_holds_back_the_days_after_it() -> None:
    late = at(D, 30)  # published the day after tomorrow, 06:00
    schedule = PublicationSchedule(times={D: late}, delay=timedelta(hours=1))
    nxt = D + timedelta(days=1)
    # D+1 would be due at D+2 01:00, but the API's end_date only moves forward.
    assert schedule.latest_day(at(nxt, 2)) == D - timedelta(days=1)
    assert schedule.published_at(nxt) == late
    assert schedule.latest_day(late) == nxt


def test_a_skipped_day_arrives_with_the_next_one_and_has_no_data() -> None:
    skipped, nxt = D, D + timedelta(days=1)
    schedule = PublicationSchedule(times={skipped: at(nxt, 2), nxt: at(nxt, 2)})
    clock = ManualClock(at(skipped, 5))
    sim = Simulator(
        seed=3,
        now=clock,
        publication=schedule,
        market=Market(3, until=D, missing_days=[skipped]),
    )
    assert sim.latest_day() == D - timedelta(days=1)
    clock.set(at(nxt, 2))
    assert sim.latest_day() == nxt
    with client_for(sim) as client:
        body = client.get("/datasets/rankings-daily", params={"start_date": "2026-05-09"}).json()
    assert body["meta"]["end_date"] == nxt.isoformat()
    assert {r["date"] for r in body["data"]} == {"2026-05-09", nxt.isoformat()}


def test_the_newest_day_grows_for_hours_then_stays() -> None:
    schedule = PublicationSchedule(
        delay=timedelta(hours=2), growth_ppm=50, growth_time=timedelta(hours=4)
    )
    clock = ManualClock(at(D, 2))
    sim = Simulator(seed=3, now=clock, publication=schedule, market=Market(3, until=D))
    params = {"start_date": D.isoformat(), "end_date": D.isoformat()}
    app_params = {**params, "limit": "5"}
    seen, apps = [], []
    with client_for(sim) as client:
        for hours in (2, 4, 6, 9):
            clock.set(at(D, hours))
            rows = client.get("/datasets/rankings-daily", params=params).json()["data"]
            seen.append(sum(int(r["total_tokens"]) for r in rows))
            data = client.get("/datasets/app-rankings", params=app_params).json()["data"]
            apps.append(int(data[0]["total_tokens"]))
    final = sum(r.total_tokens for r in sim.market.rankings_daily(D, D))
    assert seen[0] < seen[1] < seen[2] == seen[3] == final
    assert final - seen[0] == pytest.approx(final * 50e-6, rel=0.01)  # tens of ppm
    assert apps[0] < apps[1] < apps[2] == apps[3]


def test_the_day_before_does_not_grow() -> None:
    schedule = PublicationSchedule(growth_ppm=50, growth_time=timedelta(hours=4))
    sim = Simulator(seed=3, now=lambda: at(D, 1), publication=schedule, market=Market(3, until=D))
    older = D - timedelta(days=1)
    params = {"start_date": older.isoformat(), "end_date": older.isoformat()}
    with client_for(sim) as client:
        rows = client.get("/datasets/rankings-daily", params=params).json()["data"]
    assert sum(int(r["total_tokens"]) for r in rows) == sum(
        r.total_tokens for r in sim.market.rankings_daily(older, older)
    )


def test_session_cost_week_appears_monday_after_the_delay() -> None:
    schedule = PublicationSchedule(session_cost_delay=timedelta(hours=7))
    sim_before = Simulator(seed=3, now=lambda: MONDAY + timedelta(hours=6), publication=schedule)
    sim_after = Simulator(seed=3, now=lambda: MONDAY + timedelta(hours=7), publication=schedule)
    assert sim_before.session_cost_window_end() == D - timedelta(days=7)
    assert sim_after.session_cost_window_end() == D


def test_keys_are_refused_for_the_outage_window_only() -> None:
    start = datetime(2026, 5, 12, 8, tzinfo=UTC)
    clock = ManualClock(start)
    sim = Simulator(seed=3, now=clock, api_keys=[FAKE_KEY])
    sim.reject_keys(start + timedelta(minutes=10), start + timedelta(minutes=70))
    statuses = []
    with client_for(sim, FAKE_KEY) as client:
        for minutes in (0, 10, 69, 70):
            clock.set(start + timedelta(minutes=minutes))
            statuses.append(client.get("/datasets/session-cost").status_code)
    assert statuses == [200, 401, 401, 200]


def test_every_arrival_is_recorded_with_what_it_carried() -> None:
    clock = ManualClock(datetime(2026, 5, 12, 8, tzinfo=UTC))
    sim = Simulator(seed=3, now=clock)
    sim.faults.add(Fault.server_error(503))
    with client_for(sim) as client:
        client.get("/datasets/rankings-daily")  # the fault
        clock.advance(seconds=1)
        body = client.get("/datasets/app-rankings", params={"limit": "7"}).json()
    first, second = sim.arrivals()
    assert (first.status, first.fault, first.as_of, first.rows) == (503, "server_error", None, None)
    assert (second.status, second.as_of, second.rows) == (200, body["meta"]["as_of"], 7)
    assert sim.arrivals(1) == [second]
