"""Sliding windows over a persistent, shared request log."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from exporter.budget import Budget, BudgetExhausted
from exporter.simulator import ManualClock


@pytest.fixture
def fclock() -> ManualClock:
    from datetime import UTC, datetime

    return ManualClock(datetime(2026, 5, 12, tzinfo=UTC))


def spend(b: Budget, n: int) -> int:
    sent = 0
    for _ in range(n):
        try:
            with b.spend("x"):
                sent += 1
        except BudgetExhausted:
            break
    return sent


def test_minute_window_slides(fclock, tmp_path):
    b = Budget(5, 100, tmp_path / "log", clock=fclock.timestamp)
    assert spend(b, 10) == 5
    assert b.wait_time() == pytest.approx(60)
    fclock.advance(seconds=30)
    assert spend(b, 1) == 0
    fclock.advance(seconds=30.01)
    assert spend(b, 10) == 5
    assert b.used() == {"1m": 5, "24h": 10}


def test_day_window_slides_not_calendar(fclock, tmp_path):
    b = Budget(100, 12, tmp_path / "log", clock=fclock.timestamp)
    for _ in range(12):
        assert spend(b, 1) == 1
        fclock.advance(seconds=3600)  # one an hour
    assert spend(b, 1) == 0
    # The oldest entry leaves the window 24 h after it was sent (now it is 12 h old).
    assert b.wait_time() == pytest.approx(12 * 3600, abs=1)
    fclock.advance(seconds=12 * 3600 + 1)
    assert spend(b, 5) == 1


def test_wait_time_for_several_requests(fclock, tmp_path):
    b = Budget(3, 100, tmp_path / "log", clock=fclock.timestamp)
    spend(b, 2)
    fclock.advance(seconds=10)
    assert b.wait_time(1) == 0
    assert b.wait_time(2) == pytest.approx(50)  # the first entry must leave
    assert b.wait_time(4) == float("inf")  # more than the window allows at all


def test_log_survives_restarts(fclock, tmp_path):
    path = tmp_path / "state" / "requests.log"
    for _ in range(50):  # a crash loop: every start sees what the others spent
        b = Budget(1000, 12, path, clock=fclock.timestamp)
        spend(b, 1)
        fclock.advance(seconds=1)
    assert Budget(1000, 12, path, clock=fclock.timestamp).used()["24h"] == 12


def test_torn_or_garbage_lines_count_as_spent(fclock, tmp_path):
    path = tmp_path / "requests.log"
    path.write_text(f"{fclock.timestamp() - 10:.3f} app-rankings\ngarbage\n\x00\x00\x00")
    b = Budget(1000, 1000, path, clock=fclock.timestamp)
    assert b.used()["24h"] == 3


def test_clock_going_backwards_does_not_hide_spend(fclock, tmp_path):
    path = tmp_path / "requests.log"
    b = Budget(1000, 3, path, clock=fclock.timestamp)
    spend(b, 3)
    fclock.advance(seconds=-7200)  # clock jumped back two hours
    assert spend(Budget(1000, 3, path, clock=fclock.timestamp), 1) == 0


def test_log_is_compacted(fclock, tmp_path):
    path = tmp_path / "requests.log"
    b = Budget(1000, 100, path, clock=fclock.timestamp)
    for _ in range(300):
        spend(b, 1)
        fclock.advance(seconds=600)  # most entries expire
    assert len(path.read_text().splitlines()) < 300


def _worker(path: str, n: int, q: multiprocessing.Queue) -> None:
    b = Budget(10_000, 50, Path(path))
    q.put(spend(b, n))


def test_two_processes_share_one_budget(tmp_path):
    """A backfill beside a running exporter: together they stay inside the day budget."""
    path = tmp_path / "requests.log"
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(path), 40, q)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    sent = sum(q.get(timeout=5) for _ in procs)
    assert sent == 50
    # 50 requests in the file, each recorded when sent and again when it finished.
    ids = [line.split()[2] for line in path.read_text().splitlines()]
    assert len(set(ids)) == 50 and len(ids) == 100


def test_window_counts_from_when_a_request_finished(fclock, tmp_path):
    """The API counts a request when it arrives, after we recorded it: a slow request must
    not let the next minute's first request land inside the API's window."""
    b = Budget(1, 100, tmp_path / "log", clock=fclock.timestamp)
    with b.spend("x"):
        fclock.advance(seconds=5)  # the request took 5 s
    fclock.advance(seconds=56)  # 61 s after it was recorded, 56 s after it finished
    assert spend(b, 1) == 0
    assert b.wait_time() == pytest.approx(4)
    fclock.advance(seconds=4.01)
    assert spend(b, 1) == 1
    assert Budget(1, 100, tmp_path / "log", clock=fclock.timestamp).used()["24h"] == 2  # not 3


def test_a_request_that_raises_still_moves_to_its_finishing_time(fclock, tmp_path):
    """A timeout or an error answer arrived at the API too: it counts from when it ended."""
    b = Budget(1, 100, tmp_path / "log", clock=fclock.timestamp)
    with pytest.raises(TimeoutError), b.spend("x"):
        fclock.advance(seconds=30)
        raise TimeoutError
    fclock.advance(seconds=31)  # 61 s after it was recorded, 31 s after it ended
    assert b.wait_time() == pytest.approx(29)
    assert b.used() == {"1m": 1, "24h": 1}


def test_a_refused_request_records_nothing(fclock, tmp_path):
    path = tmp_path / "log"
    b = Budget(1, 100, path, clock=fclock.timestamp)
    spend(b, 1)
    lines = path.read_text().splitlines()
    with pytest.raises(BudgetExhausted) as info, b.spend("x"):
        pytest.fail("the body of a refused request ran")
    assert info.value.window == "minute" and info.value.wait == pytest.approx(60)
    assert path.read_text().splitlines() == lines


def test_the_entry_is_on_disk_before_the_request_is_sent(fclock, tmp_path):
    path = tmp_path / "log"
    b = Budget(10, 100, path, clock=fclock.timestamp)
    with b.spend("app-rankings"):
        # What another process (or this one after a crash) would read at this moment.
        assert Budget(10, 100, path, clock=fclock.timestamp).used()["24h"] == 1
        assert "app-rankings" in path.read_text()


def test_compaction_replaces_the_log_atomically(fclock, tmp_path):
    path = tmp_path / "requests.log"
    b = Budget(1000, 100, path, clock=fclock.timestamp)
    for _ in range(200):
        spend(b, 1)
        fclock.advance(seconds=600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requests.log"]  # no temp left
    # What compaction kept still counts: 24 h at one request per 10 minutes.
    assert Budget(1000, 100, path, clock=fclock.timestamp).used()["24h"] == 100 - 1


def test_torn_last_line_does_not_swallow_the_next_entry(fclock, tmp_path):
    """A crash mid-write leaves a fragment without a line break; the next entry must not
    be glued to it (it would take the fragment's time and id)."""
    path = tmp_path / "requests.log"
    path.write_bytes(f"{fclock.timestamp() - 10!r} app-r".encode())
    b = Budget(1000, 1000, path, clock=fclock.timestamp)
    with b.spend("x"):
        pass
    lines = path.read_text().splitlines()
    assert lines[0] == f"{fclock.timestamp() - 10!r} app-r"
    start, finish = (line.split() for line in lines[1:])
    assert start[:2] == finish[:2] == [repr(fclock.timestamp()), "x"] and start[2] == finish[2]
    assert b.used()["24h"] == 2  # the fragment counts too: it may have gone out
