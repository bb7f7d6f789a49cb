"""`fake-api --replay FILE.csv`: a recorded rankings-daily history served as the API would
serve it (its days exactly, week and month buckets summed, the same window rules and
errors), the other datasets still simulated, and a bad file refused with file and line."""

from __future__ import annotations

import csv
import os
import random
import re
import signal
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Proc, free_port, wait_until
from sim_client import client_for

from exporter.simulator import ManualClock, Replay, ReplayError, Simulator, main_fake_api

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests/fixtures/real-market/rankings-daily-2025-01-01_2025-03-04.csv"
FIRST, LAST = date(2025, 1, 1), date(2025, 3, 4)
# The instant the replay's clock starts on: the day after its last day.
AFTER = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)


def file_rows(path: Path = REAL) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def daily(params: dict[str, str], sim: Simulator) -> tuple[int, dict]:
    with client_for(sim) as c:
        r = c.get("/datasets/rankings-daily", params=params)
    return r.status_code, r.json()


@pytest.fixture(scope="module")
def replay() -> Replay:
    return Replay.load(REAL)


@pytest.fixture
def sim(replay: Replay) -> Simulator:
    return Simulator(replay=replay, now=ManualClock(AFTER))


def test_every_replayed_day_is_served_exactly_as_recorded(sim: Simulator) -> None:
    """One request for the whole file gives back the file: same days, models, tokens and
    order (tokens descending, `other` last in each day)."""
    status, body = daily({"start_date": "2025-01-01", "end_date": "2025-03-04"}, sim)
    assert status == 200
    assert body["data"] == file_rows()
    assert (body["meta"]["start_date"], body["meta"]["end_date"]) == ("2025-01-01", "2025-03-04")
    by_day: dict[str, list[str]] = defaultdict(list)
    for row in body["data"]:
        by_day[row["date"]].append(row["model_permaslug"])
    assert len(by_day) == 63 and all(slugs[-1] == "other" for slugs in by_day.values())


def test_the_newest_published_day_is_the_files_last(replay: Replay) -> None:
    """Without a clock of its own, the replay's "today" is the day after its last day: the
    default window ends there, and later days are clamped to it as the live API does."""
    sim = Simulator(replay=replay)
    assert sim.today() == LAST + timedelta(days=1)
    status, body = daily({}, sim)
    assert status == 200
    assert (body["meta"]["start_date"], body["meta"]["end_date"]) == ("2025-02-03", "2025-03-04")
    _, later = daily({"start_date": "2025-03-01", "end_date": "2026-01-01"}, sim)
    assert later["meta"]["end_date"] == "2025-03-04"
    assert {r["date"] for r in later["data"]} == {
        "2025-03-01",
        "2025-03-02",
        "2025-03-03",
        LAST.isoformat(),
    }


def test_a_file_in_any_order_is_served_in_the_apis_order() -> None:
    rows = [r for r in file_rows() if r["date"] == "2025-02-10"]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    text = ["date,model_permaslug,total_tokens"]
    text += [f"{r['date']},{r['model_permaslug']},{r['total_tokens']}" for r in shuffled]
    sim = Simulator(replay=Replay.parse(text), now=ManualClock(AFTER))
    _, body = daily({"start_date": "2025-02-10", "end_date": "2025-02-10"}, sim)
    assert body["data"] == rows
    assert body["data"][-1]["model_permaslug"] == "other"


def expected_bucket(days: list[str], bucket: str) -> list[dict[str, str]]:
    """A bucket as the API builds it, from the file alone: each model's tokens summed over
    the days, top 50 by tokens, and `other` = the days' `other` plus the models below."""
    totals: dict[str, int] = defaultdict(int)
    other = 0
    for r in file_rows():
        if r["date"] in days:
            if r["model_permaslug"] == "other":
                other += int(r["total_tokens"])
            else:
                totals[r["model_permaslug"]] += int(r["total_tokens"])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    other += sum(t for _, t in ranked[50:])
    rows = [{"date": bucket, "model_permaslug": m, "total_tokens": str(t)} for m, t in ranked[:50]]
    return [*rows, {"date": bucket, "model_permaslug": "other", "total_tokens": str(other)}]


def _days(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


@pytest.mark.parametrize(
    ("period", "start", "end", "buckets"),
    [
        # Whole ISO weeks, and a window starting mid-week: its bucket is dated Monday
        # and holds only the days inside the window.
        ("week", "2025-02-03", "2025-02-16", [("02-03", "02-09"), ("02-10", "02-16")]),
        ("week", "2025-02-06", "2025-02-09", [("02-06", "02-09")]),
        ("month", "2025-01-15", "2025-02-28", [("01-15", "01-31"), ("02-01", "02-28")]),
    ],
)  # fmt: skip
def test_week_and_month_buckets_are_the_files_days_summed(
    sim: Simulator, period: str, start: str, end: str, buckets: list[tuple[str, str]]
) -> None:
    status, body = daily({"period": period, "start_date": start, "end_date": end}, sim)
    assert status == 200
    expected: list[dict[str, str]] = []
    for first, last in buckets:
        day = date.fromisoformat(f"2025-{first}")
        dated = day - timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)
        expected += expected_bucket(_days(f"2025-{first}", f"2025-{last}"), dated.isoformat())
    assert body["data"] == expected


def test_a_day_after_the_file_is_refused_as_the_synthetic_market_refuses_a_future_day(
    sim: Simulator,
) -> None:
    synthetic = Simulator(now=ManualClock(AFTER))
    after = {"start_date": "2025-03-05"}
    assert daily(after, sim) == daily(after, synthetic)
    status, body = daily(after, sim)
    assert status == 400
    assert body["error"]["message"] == "start_date must be on or before end_date."


def test_a_day_before_a_files_first_day_is_refused_as_before_the_dataset(tmp_path: Path) -> None:
    """A file starting later than 2025-01-01 is a dataset starting then: earlier starts are
    clamped to its first day, an end before it is the API's 400 for an end before 2025."""
    part = tmp_path / "part.csv"
    rows = [r for r in file_rows() if "2025-02-01" <= r["date"] <= "2025-02-10"]
    part.write_text(
        "date,model_permaslug,total_tokens\n"
        + "".join(f"{r['date']},{r['model_permaslug']},{r['total_tokens']}\n" for r in rows)
    )
    sim = Simulator(replay=Replay.load(part))
    assert sim.latest_day() == date(2025, 2, 10)
    status, body = daily({"start_date": "2025-01-20"}, sim)
    assert status == 200 and body["meta"]["start_date"] == "2025-02-01"
    assert body["data"] == rows
    status, body = daily({"end_date": "2025-01-31"}, sim)
    assert (status, body["error"]["message"]) == (400, "end_date must be on or after 2025-02-01.")
    synthetic = Simulator(now=ManualClock(AFTER))
    assert daily({"end_date": "2024-12-31"}, synthetic)[1]["error"]["message"] == (
        "end_date must be on or after 2025-01-01."
    )


def test_the_apis_parameter_checks_and_limits_still_apply(replay: Replay) -> None:
    sim = Simulator(replay=replay, now=ManualClock(AFTER), requests_per_minute=3)
    assert daily({"start_date": "2025-02-30"}, sim)[0] == 400
    assert daily({"period": "fortnight"}, sim)[0] == 400
    assert daily({}, sim)[0] == 200
    status, body = daily({}, sim)
    assert status == 429 and body["error"]["code"] == 429


def test_datasets_the_file_does_not_hold_come_from_the_synthetic_market(sim: Simulator) -> None:
    """App rankings, session cost and the modality/estimate views are simulated, on the
    replay's calendar (a default config runs against it)."""
    synthetic = Simulator(now=ManualClock(AFTER))
    with client_for(sim) as c, client_for(synthetic) as s:
        for path, params in [
            ("/datasets/app-rankings", {"limit": "5"}),
            ("/datasets/rankings-daily", {"modality": "image"}),
            ("/datasets/rankings-daily", {"category": "programming", "period": "week"}),
            ("/datasets/session-cost", {"limit": "5"}),
        ]:
            ours, theirs = c.get(path, params=params).json(), s.get(path, params=params).json()
            assert ours["data"] == theirs["data"], (path, params)
            assert ours["meta"].get("end_date") in (None, "2025-03-04")
    _, image = daily({"modality": "image", "start_date": "2025-03-04"}, sim)
    assert image["data"] != [r for r in file_rows() if r["date"] == "2025-03-04"]


HEADER = "date,model_permaslug,total_tokens"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"bad\.csv: empty file: expected a header date,model_permaslug,total_tokens"),
        ("date,model,total_tokens\n", r"bad\.csv:1: missing column model_permaslug"),
        (f"{HEADER},rank\n", r"bad\.csv:1: unexpected column 'rank'"),
        (f"{HEADER}\n", r"bad\.csv: no rows after the header"),
        (f"{HEADER}\n2025-01-01,a/b,5\n2025/01/02,a/b,5\n", r"bad\.csv:3: bad date '2025/01/02'"),
        (f"{HEADER}\n2025-02-30,a/b,5\n", r"bad\.csv:2: bad date '2025-02-30': not a calendar"),
        (f"{HEADER}\n2024-12-31,a/b,5\n", r"bad\.csv:2: 2024-12-31 is before the dataset's"),
        (f"{HEADER}\n2025-01-01,a/b,1.5e9\n", r"bad\.csv:2: bad total_tokens '1\.5e9'"),
        (f"{HEADER}\n2025-01-01,a/b,-3\n", r"bad\.csv:2: bad total_tokens '-3'"),
        (f"{HEADER}\n2025-01-01,,3\n", r"bad\.csv:2: bad model_permaslug ''"),
        (f"{HEADER}\n2025-01-01,a/b\n", r"bad\.csv:2: 2 fields, the header has 3"),
        (f"{HEADER}\n2025-01-01,a/b,1\n2025-01-01,c/d,2\n2025-01-01,a/b,3\n",
         r"bad\.csv:4: a/b on 2025-01-01 again \(first on line 2\)"),
        (f'{HEADER}\n2025-01-01,"a/b,1\n', r"bad\.csv:\d+: not CSV"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_file_line_and_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(ReplayError, match=message):
        Replay.load(bad)


def test_fake_api_refuses_a_bad_file_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n2025-01-01,a/b,lots\n")
    assert main_fake_api("127.0.0.1:0", 42, 30, 500, str(bad)) == 2
    assert f"fake-api: --replay: {bad}:2: bad total_tokens 'lots'" in capsys.readouterr().err
    assert main_fake_api("127.0.0.1:0", 42, 30, 500, str(tmp_path / "none.csv")) == 2
    assert "none.csv: cannot read: No such file or directory" in capsys.readouterr().err


@pytest.mark.e2e
def test_fake_api_replay_command_serves_the_file_over_http(tmp_path: Path) -> None:
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    proc = Proc(
        ["fake-api", "--listen", f"127.0.0.1:{port}", "--replay", str(REAL)],
        env,
        tmp_path / "fake-api.log",
    )
    try:
        wait_until(
            lambda: re.search(r"replaying .*2025-03-04", proc.output()), "its banner", 30, proc
        )
        r = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/datasets/rankings-daily",
            params={"start_date": "2025-03-04"},
            headers={"Authorization": "Bearer sk-or-test"},
            timeout=10,
        )
        assert r.status_code == 200
        assert r.json()["data"] == [row for row in file_rows() if row["date"] == "2025-03-04"]
    finally:
        assert proc.stop(signal.SIGTERM) == 0, proc.output()


@pytest.mark.e2e
def test_demo_replay_shows_the_files_last_day_on_metrics(tmp_path: Path) -> None:
    """`demo --replay`: the exporter runs on the replay's calendar, so its daily view is
    the file's last day, ranked as recorded."""
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    env["TMPDIR"] = str(tmp_path)
    args = ["demo", f"--web.listen-address=127.0.0.1:{port}", "--replay", str(REAL)]
    proc = Proc(args, env, tmp_path / "demo.log")
    top = [r["model_permaslug"] for r in file_rows() if r["date"] == "2025-03-04"][:3]

    def daily_ranks() -> dict[str, float]:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        found = re.findall(
            r'^openrouter_model_rank\{view="daily",model="([^"]+)".*\} (\S+)$', text, re.M
        )
        return {model: float(rank) for model, rank in found}

    try:
        ranks = wait_until(daily_ranks, "the daily view on /metrics", 60, proc)
        assert [ranks[m] for m in top] == [1.0, 2.0, 3.0]
    finally:
        assert proc.stop(signal.SIGTERM) == 0, proc.output()
