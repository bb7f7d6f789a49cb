"""History backfill: OpenMetrics for promtool, values as the live exporter showed them.

The acceptance test runs the real command against the simulator over HTTP, converts the file
with promtool and asks a real Prometheus; the rest drives the backfill in-process against the
simulator's transport with a settable clock.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import FAKE_KEY
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from promserver import create_blocks, running_prometheus

from exporter import backfill as bf
from exporter.backfill.options import parse
from exporter.budget import read_log
from exporter.cli import main
from exporter.config import Config
from exporter.configfile import parse_config
from exporter.datasets import REGISTRY
from exporter.datasets.history import NoHistory
from exporter.datasets.models import model_views
from exporter.datasets.models.history import model_windows
from exporter.simulator import ManualClock, Simulator, serve

SIM_NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the simulator's "now": yesterday is 02-28
SIM_URL = "http://sim/api/v1"
H = 3600

Samples = dict[tuple[str, frozenset[tuple[str, str]]], list[tuple[int, float]]]


# --- helpers --------------------------------------------------------------------------


def ts(d: date, hour: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, hour, tzinfo=UTC).timestamp())


def read_samples(path: Path) -> Samples:
    """Parse with client_python's strict OpenMetrics parser: it rejects interleaved families,
    split series, timestamps going backwards and a missing # EOF."""
    out: Samples = {}
    for family in text_string_to_metric_families(path.read_text(encoding="utf-8")):
        for s in family.samples:
            assert s.timestamp is not None, f"{s.name} has no timestamp"
            key = (s.name, frozenset(s.labels.items()))
            out.setdefault(key, []).append((int(s.timestamp.sec), s.value))
    return out


_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read_samples_fast(path: Path) -> Samples:
    """For big files whose format other tests check strictly (10x faster); label values
    stay escaped."""
    out: Samples = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            series, value, stamp = line.rsplit(" ", 2)
            name, _, labels = series.partition("{")
            key = (name, frozenset(_LABEL_RE.findall(labels)))
            out.setdefault(key, []).append((int(stamp), float(value)))
    return out


def at(samples: Samples, name: str, t: int, **match: str) -> dict[str, float]:
    """model (or app_id) → value of the sample exactly at t, for series matching ``match``."""
    found: dict[str, float] = {}
    for (n, labels), points in samples.items():
        lab = dict(labels)
        if n != name or any(lab.get(k) != v for k, v in match.items()):
            continue
        for when, value in points:
            if when == t:
                found[lab.get("model") or lab["app_id"]] = value
    return found


def market_day(sim: Simulator, start: date, end: date, period: str = "day") -> list[Any]:
    return sim.market.rankings_daily(start, end, period=period)


def tokens_of(rows: list[Any]) -> dict[str, float]:
    return {r.model_permaslug: float(r.total_tokens) for r in rows}


def ranks_of(rows: list[Any]) -> dict[str, float]:
    ranked = [r for r in rows if r.model_permaslug != "other"]
    return {r.model_permaslug: float(i) for i, r in enumerate(ranked, 1)}


def config(tmp_path: Path, base_url: str = SIM_URL, **extra: Any) -> Config:
    data: dict[str, Any] = {
        "openrouter": {"base_url": base_url},
        "state_dir": str(tmp_path / "state"),
    }
    data.update(extra)
    return parse_config(data)


def options(first: date, last: date, out: Path | None, apps: bool = False, **kw: Any) -> bf.Options:
    """``apps``: as ``--apps`` (the app rankings' history, behind its switch)."""
    asked = frozenset({"app-rankings"} if apps else ())
    return bf.Options(first=first, last=last, output=out, asked=asked, **kw)


class Run:
    def __init__(self, rc: int, err: str, out: str) -> None:
        self.rc, self.err, self.out = rc, err, out


def run_inproc(
    cfg: Config,
    opts: bf.Options,
    transport: httpx.BaseTransport,
    clock: ManualClock,
    *,
    key: str = FAKE_KEY,
    sleep: Any = None,
) -> Run:
    err, out = io.StringIO(), io.StringIO()
    rc = bf.run(
        cfg,
        key,
        opts,
        transport=transport,
        clock=clock.timestamp,
        sleep=sleep or (lambda s: pytest.fail(f"unexpected sleep {s}")),
        out=out,
        err=err,
    )
    return Run(rc, err.getvalue(), out.getvalue())


@pytest.fixture
def sim() -> Simulator:
    return Simulator(seed=7, now=ManualClock(SIM_NOW))


@pytest.fixture
def clock() -> ManualClock:  # the backfill's clock: real "now", moved by the tests
    return ManualClock(datetime.now(UTC))


def requests_to(sim: Simulator, path: str) -> list[dict[str, str]]:
    return [r.params for r in sim.log if r.path == f"/datasets/{path}"]


# --- windows and periods --------------------------------------------------------------


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_windows_are_at_most_366_days_and_cut_at_bucket_edges(period):
    rng = random.Random(period)
    for _ in range(300):
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(0, 500))
        end = start + timedelta(days=rng.randrange(0, 1200))
        windows = bf.split_windows(start, end, period)
        assert windows[0].start == start and windows[-1].end == end
        for w, nxt in itertools.pairwise(windows):
            assert nxt.start == w.end + timedelta(days=1), "gap or overlap"
            # A cut inside a week/month would return two partial buckets with one date.
            assert bf.bucket_start(nxt.start, period) == nxt.start
        assert all(1 <= w.days <= 366 for w in windows)
        total = (end - start).days + 1
        # Whole buckets only cost at most one extra request over the plain 366-day split.
        assert len(windows) <= -(-total // 366) + (period != "day")
        if total > 366:  # and no stub: a few-day newest window could start past a late day
            assert windows[-1].days >= 150


def test_400_days_cost_two_requests_per_default_view():
    cfg = parse_config({})
    last = date(2026, 2, 28)
    first = last - timedelta(days=399)
    for view in model_views(cfg):
        windows = model_windows(view, first, last)
        assert len(windows) == 2, (view.name, windows)
        # Weeks and months start early enough that the first instant has a complete period.
        assert windows[0].start <= max(bf.FLOOR, bf.latest_complete(first, view.period))


def test_latest_complete_period():
    assert bf.latest_complete(date(2026, 2, 28), "day") == date(2026, 2, 28)
    # 2026-02-28 is a Saturday: the last complete ISO week ended Sunday 2026-02-22.
    assert bf.latest_complete(date(2026, 2, 28), "week") == date(2026, 2, 16)
    assert bf.latest_complete(date(2026, 3, 1), "week") == date(2026, 2, 23)
    assert bf.latest_complete(date(2026, 2, 27), "month") == date(2026, 1, 1)
    assert bf.latest_complete(date(2026, 2, 28), "month") == date(2026, 2, 1)


def test_a_held_day_ends_when_it_leaves_the_views_window():
    d = date(2025, 6, 1)
    shown = bf.shown_intervals([d, d + timedelta(days=1), d + timedelta(days=12)], "day", 7)
    assert (shown[0].start, shown[0].until) == (
        ts(d + timedelta(days=1)),
        ts(d + timedelta(days=2)),
    )
    # Nothing newer for 10 days: the live exporter (7-day window) drops it after 7 days.
    assert (shown[1].start, shown[1].until) == (
        ts(d + timedelta(days=2)),
        ts(d + timedelta(days=9)),
    )


# --- value at t -----------------------------------------------------------------------


def test_day_view_shows_day_d_from_midnight_of_d_plus_1_and_holds_over_a_missing_day(
    tmp_path, sim, clock
):
    cfg = config(tmp_path, models={"views": [{"name": "daily"}]})
    out = tmp_path / "h.om"
    first, last = date(2025, 6, 10), date(2025, 6, 20)
    r = run_inproc(cfg, options(first, last, out), sim.transport(), clock)
    assert r.rc == 0, r.err
    s = read_samples(out)
    d = date(2025, 6, 12)
    assert at(s, "openrouter_model_tokens", ts(d + timedelta(days=1))) == tokens_of(
        market_day(sim, d, d)
    )
    # 23:00 on day D itself: D is not published yet, D-1 is what the exporter showed.
    assert at(s, "openrouter_model_tokens", ts(d, 23)) == tokens_of(
        market_day(sim, d - timedelta(days=1), d - timedelta(days=1))
    )
    assert at(s, "openrouter_model_rank", ts(d + timedelta(days=1), 5)) == ranks_of(
        market_day(sim, d, d)
    )
    # 2025-06-15 is missing from the API: the 14th stays (no zero, no invented value).
    missing, before = date(2025, 6, 15), date(2025, 6, 14)
    assert market_day(sim, missing, missing) == []
    held = at(s, "openrouter_model_tokens", ts(missing + timedelta(days=1), 12))
    assert held == tokens_of(market_day(sim, before, before))
    assert at(s, "openrouter_model_tokens", ts(date(2025, 6, 17))) == tokens_of(
        market_day(sim, date(2025, 6, 16), date(2025, 6, 16))
    )
    # Shares are of that period's total, as live.
    shares = at(s, "openrouter_model_share", ts(d + timedelta(days=1)))
    total = sum(tokens_of(market_day(sim, d, d)).values())
    assert shares == {m: t / total for m, t in tokens_of(market_day(sim, d, d)).items()}
    # First sample: 00:00 after --from; last: the end of the day after --to.
    times = sorted({t for pts in s.values() for t, _ in pts})
    assert times[0] == ts(first + timedelta(days=1))
    assert times[-1] == ts(last + timedelta(days=2)) - H
    assert all(b - a == H for a, b in itertools.pairwise(times))


def test_week_and_month_views_show_the_latest_complete_bucket(tmp_path, sim, clock):
    cfg = config(
        tmp_path,
        models={
            "views": [{"name": "weekly", "period": "week"}, {"name": "monthly", "period": "month"}]
        },
    )
    out = tmp_path / "h.om"
    r = run_inproc(cfg, options(date(2025, 9, 20), date(2026, 1, 14), out), sim.transport(), clock)
    assert r.rc == 0, r.err
    s = read_samples_fast(out)
    # Sunday 2025-11-16 23:00: the week of 11-10 is still open; the week of 11-03 shows.
    w_prev, w = date(2025, 11, 3), date(2025, 11, 10)
    sunday = w + timedelta(days=6)
    assert at(s, "openrouter_model_tokens", ts(sunday, 23), view="weekly") == tokens_of(
        market_day(sim, w_prev, w_prev + timedelta(days=6), "week")
    )
    assert at(
        s, "openrouter_model_tokens", ts(sunday + timedelta(days=1)), view="weekly"
    ) == tokens_of(market_day(sim, w, sunday, "week"))
    # October shows from 1 November 00:00 until 1 December 00:00.
    oct1, oct31 = date(2025, 10, 1), date(2025, 10, 31)
    for t in (ts(date(2025, 11, 1)), ts(date(2025, 11, 30), 23)):
        assert at(s, "openrouter_model_rank", t, view="monthly") == ranks_of(
            market_day(sim, oct1, oct31, "month")
        )
    assert at(s, "openrouter_model_rank", ts(oct31, 23), view="monthly") == ranks_of(
        market_day(sim, date(2025, 9, 1), date(2025, 9, 30), "month")
    )
    # The first instant already has a complete week (fetched from before --from) ...
    assert at(s, "openrouter_model_rank", ts(date(2025, 9, 21)), view="weekly")
    # ... and the trailing partial January (to 01-14) is never shown: December holds.
    last = ts(date(2026, 1, 16)) - H
    assert at(s, "openrouter_model_tokens", last, view="monthly") == tokens_of(
        market_day(sim, date(2025, 12, 1), date(2025, 12, 31), "month")
    )


# --- format, labels, escaping ---------------------------------------------------------


NASTY_APP = 'Tab\t"Quote" back\\slash\nnew line \u2028 end'
NASTY_MODEL = 'evil/"quoted"\\model:free'


def _nasty_api(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    day = params["end_date"]
    meta = {
        "as_of": f"{day}T02:00:00Z",
        "start_date": params.get("start_date", day),
        "end_date": day,
        "version": "v1",
    }
    if request.url.path.endswith("/rankings-daily"):
        start = date.fromisoformat(params["start_date"])
        days = (date.fromisoformat(day) - start).days + 1
        data = []
        for i in range(days):
            d = (start + timedelta(days=i)).isoformat()
            data += [
                {"date": d, "model_permaslug": NASTY_MODEL, "total_tokens": "300"},
                {"date": d, "model_permaslug": "a/b", "total_tokens": "100"},
            ]
        return httpx.Response(200, json={"data": data, "meta": meta})
    data = [
        {
            "app_id": 7,
            "app_name": NASTY_APP,
            "rank": 1,
            "total_requests": 5,
            "total_tokens": "123456789012345",
        }
    ]
    return httpx.Response(200, json={"data": data, "meta": meta})


def test_label_values_are_escaped_and_target_labels_added(tmp_path, clock):
    cfg = config(
        tmp_path,
        models={"views": [{"name": "daily"}]},
        apps={"windows": ["7d"], "sorts": ["popular"], "filters": ["all"]},
    )
    out = tmp_path / "h.om"
    instance = 'host "a"\\b'
    opts = options(
        date(2025, 3, 1),
        date(2025, 3, 3),
        out,
        apps=True,
        labels=(("job", "openrouter"), ("instance", instance)),
    )
    r = run_inproc(cfg, opts, httpx.MockTransport(_nasty_api), clock)
    assert r.rc == 0, r.err
    s = read_samples(out)  # the strict parser unescapes: values must come back intact
    app = {dict(lab)["app"] for (n, lab) in s if n == "openrouter_app_tokens"}
    assert app == {NASTY_APP}
    model_series = {dict(lab)["model"]: dict(lab) for (n, lab) in s if n == "openrouter_model_rank"}
    assert model_series[NASTY_MODEL]["author"] == "evil"
    assert model_series[NASTY_MODEL]["variant"] == "free"
    assert all(
        dict(lab)["instance"] == instance and dict(lab)["job"] == "openrouter" for (_, lab) in s
    )
    assert at(s, "openrouter_app_tokens", ts(date(2025, 3, 3))) == {"7": 123456789012345.0}
    # promtool reads the same bytes.
    blocks = tmp_path / "blocks"
    create_blocks(out, blocks)


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--from", "2025-13-01"], "--from"),
        (["--from", "2024-12-31"], "--from"),
        (["--from", "2025-03-01", "--to", "2025-02-01"], "--from"),
        (["--from", "2025-03-01", "--to", "2999-01-01"], "--to"),
        (["--from", "2025-03-01", "--to", "yesterday"], "--to"),
        (["--from", "2025-03-01", "--step", "1y"], "--step"),
        (["--from", "2025-03-01", "--step", "10s"], "--step"),
        (["--from", "2025-03-01", "--label", "job"], "--label"),
        (["--from", "2025-03-01", "--label", "view=x"], "--label"),
        (["--from", "2025-03-01", "--label", "2x=y"], "--label"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(tmp_path, capsys, argv, flag):
    rc = main(["backfill", *argv, "--output", str(tmp_path / "x.om"), "--dry-run"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"error: {flag}:" in err, err
    assert not (tmp_path / "x.om").exists()


def test_output_is_required_without_dry_run(tmp_path, capsys):
    assert main(["backfill", "--from", "2025-03-01"]) == 2
    assert "--output: required" in capsys.readouterr().err


# --- apps: budget, resume, progress ----------------------------------------------------


APPS = {"windows": ["1d", "7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20}
ONE_MODEL_VIEW = {"views": [{"name": "daily"}]}
FIRST, LAST = date(2026, 2, 20), date(2026, 2, 24)  # 5 days × 2 app views = 10 requests


def app_requests(sim: Simulator) -> list[tuple[str, str]]:
    return [(p["start_date"], p["end_date"]) for p in requests_to(sim, "app-rankings")]


def prefill(log: Path, times: list[float]) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(f"{t!r} app-rankings\n" for t in times))


def test_shared_budget_limits_the_backfill_and_says_when_to_resume(tmp_path, sim, clock):
    budget = {"requests_per_minute": 1000, "requests_per_day": 20, "reserve": 0}
    cfg = config(tmp_path, models=ONE_MODEL_VIEW, apps=APPS, budget=budget)
    log = tmp_path / "state" / "requests.log"
    oldest = clock.timestamp() - 5000
    prefill(log, [oldest + i for i in range(12)])  # the running exporter spent 12 of 20
    out = tmp_path / "h.om"
    r = run_inproc(cfg, options(FIRST, LAST, out, apps=True), sim.transport(), clock)
    assert r.rc == bf.EXIT_INCOMPLETE, r.err
    assert len(sim.log) == 8  # 1 model request + 7 app requests: 12 + 8 = the day's 20
    assert len(read_log(log, clock.timestamp())) == 20
    # Each backfill request was recorded when sent and moved to when it finished.
    ours = [x.split() for x in log.read_text().splitlines() if "backfill/" in x]
    assert len(ours) == 2 * 8 and len({x[2] for x in ours}) == 8
    assert "Run the same command again after" in r.err
    assert bf.utc_minute(oldest + 86400) in r.err  # when the exporter's first request expires
    assert "3 app requests left" in r.err
    # What was fetched is in the file: the newest days first.
    s = read_samples(out)
    fetched_days = {date.fromisoformat(e) for _, e in app_requests(sim)}
    assert fetched_days == {LAST - timedelta(days=i) for i in range(4)}
    assert at(s, "openrouter_app_rank", ts(LAST + timedelta(days=1)), window="1d")


def test_apps_resume_and_fetch_only_what_is_left(tmp_path, sim, clock):
    budget = {"requests_per_minute": 1000, "requests_per_day": 7, "reserve": 0}
    cfg = config(tmp_path, models=ONE_MODEL_VIEW, apps=APPS, budget=budget)
    out = tmp_path / "h.om"
    opts = options(FIRST, LAST, out, apps=True)
    first = run_inproc(cfg, opts, sim.transport(), clock)
    assert first.rc == bf.EXIT_INCOMPLETE, first.err
    run1 = app_requests(sim)
    assert len(run1) == 6
    assert "4 app requests left" in first.err
    clock.advance(seconds=86400 + 1)  # a day later the budget is free again
    second = run_inproc(cfg, opts, sim.transport(), clock)
    assert second.rc == 0, second.err
    run2 = app_requests(sim)[len(run1) :]
    assert len(run2) == 4 and not set(run1) & set(run2)
    assert len(set(run1) | set(run2)) == 10
    assert "apps: 10/10 requests done, 0 remaining" in second.err
    # The file of the second run holds all 5 days of both views, exactly as the API said.
    s = read_samples(out)
    for i in range(5):
        d = FIRST + timedelta(days=i)
        for window, days in (("1d", 1), ("7d", 7)):
            ranking = sim.market.app_rankings(d - timedelta(days=days - 1), d)[:20]
            expect = {str(a.app.id): float(a.total_tokens) for a in ranking}
            got = at(s, "openrouter_app_tokens", ts(d + timedelta(days=1), 6), window=window)
            assert got == expect, (d, window)
    # A third run has nothing left to fetch: only the model history is requested again.
    before = len(sim.log)
    third = run_inproc(cfg, opts, sim.transport(), clock)
    assert third.rc == 0 and len(sim.log) - before == 1


def test_wait_sits_out_the_budget_and_says_when_it_resumes(tmp_path, sim, clock):
    budget = {"requests_per_minute": 1000, "requests_per_day": 6, "reserve": 0}
    cfg = config(tmp_path, models=ONE_MODEL_VIEW, apps=APPS, budget=budget)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds=seconds)

    r = run_inproc(
        cfg,
        options(FIRST, LAST, tmp_path / "h.om", apps=True, wait=True),
        sim.transport(),
        clock,
        sleep=sleep,
    )
    assert r.rc == 0, r.err
    assert len(app_requests(sim)) == 10
    assert len(slept) == 1 and slept[0] == pytest.approx(86400, abs=1)
    assert "waiting until" in r.err and "resumed" in r.err


def test_a_day_not_published_yet_is_fetched_by_the_next_run(tmp_path, sim, clock):
    cfg = config(tmp_path, models=ONE_MODEL_VIEW, apps=APPS)
    opts = options(FIRST, LAST, tmp_path / "h.om", apps=True)
    late = Simulator(seed=7, now=ManualClock(SIM_NOW), publication_lag_days=5)
    assert late.latest_day() == LAST - timedelta(days=1)  # publication is a day late
    first = run_inproc(cfg, opts, late.transport(), clock)
    assert first.rc == bf.EXIT_INCOMPLETE, first.err
    assert f"{LAST} not published yet" in first.err
    # The model request showed the newest day: no app request was spent on LAST.
    assert len(app_requests(late)) == 8
    assert str(LAST) not in {e for _, e in app_requests(late)}
    second = run_inproc(cfg, opts, sim.transport(), clock)
    assert second.rc == 0, second.err
    assert sorted(e for _, e in app_requests(sim)) == [str(LAST)] * 2


def test_nothing_is_written_for_the_last_3_hours(tmp_path, sim):
    cfg = config(tmp_path, models=ONE_MODEL_VIEW)
    out = tmp_path / "h.om"
    now = ManualClock(SIM_NOW)  # 12:00 on the day after --to
    r = run_inproc(cfg, options(date(2026, 2, 26), date(2026, 2, 28), out), sim.transport(), now)
    assert r.rc == 0, r.err
    newest = max(t for pts in read_samples(out).values() for t, _ in pts)
    assert newest == ts(SIM_NOW.date(), 8)  # the 09:00 sample would be inside the head block


def test_every_dataset_declares_its_history_and_the_estimate_names_those_without(
    tmp_path, sim, clock
):
    """A dataset's history support, or its declared "no history", is its own (issue 19):
    ``Dataset.history`` has no default, and the estimate says why a dataset has none."""
    without = {}
    for d in REGISTRY.values():
        if isinstance(d.history, NoHistory):
            without[d.name] = d.history.reason
        else:
            assert callable(d.history.plan) and callable(d.history.detect), d.name
    # These endpoints take no date: only their current value exists.
    assert set(without) == {"session-cost", "task-classifications", "benchmarks"}
    opts = options(FIRST, LAST, None, dry_run=True)
    r = run_inproc(config(tmp_path), opts, sim.transport(), clock)
    assert r.rc == 0 and not sim.log, r.err
    for name, reason in without.items():
        assert f"{name}: no history ({reason})" in r.out.splitlines()


def test_a_history_behind_a_switch_is_asked_for_by_its_flag():
    """The switch is the dataset's: the flag is spelled and parsed as before."""
    switched = {
        d.name: d.history.switch
        for d in REGISTRY.values()
        if not isinstance(d.history, NoHistory) and d.history.switch is not None
    }
    assert [s.flag for s in switched.values()] == ["--apps"]
    today = date(2026, 3, 1)
    _, off = parse(["--from", "2026-02-01", "--dry-run"], today)
    assert off.asked == frozenset()
    for name, switch in switched.items():
        _, on = parse(["--from", "2026-02-01", "--dry-run", switch.flag], today)
        assert on.asked == {name}


def test_estimated_finish_counts_what_the_exporter_leaves_free():
    now = 1_000_000.0
    usage = bf.LogUsage(day=100, ours_day=0)  # the exporter: 100 a day
    # 300 fit today at 24/minute (12.5 min); the other 700 at 300/day.
    eta = bf.estimate_finish(1000, now, 24, 400, usage)
    assert eta == pytest.approx(now + 300 / 24 * 60 + 700 / 300 * 86400)
    assert bf.estimate_finish(48, now, 24, 400, usage) == pytest.approx(now + 120)
    assert bf.estimate_finish(0, now, 24, 400, usage) == now


# --- real processes: dry run, key, acceptance ------------------------------------------


@pytest.fixture
def sim_http() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(seed=7, now=ManualClock(SIM_NOW), api_keys={FAKE_KEY})
    server = serve(sim, "127.0.0.1", 0)
    try:
        yield sim, server.url
    finally:
        server.shutdown()


def cli(
    tmp_path: Path,
    base_url: str,
    args: list[str],
    key: str | None = FAKE_KEY,
    extra: dict[str, Any] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    cfg = {
        "openrouter": {"base_url": base_url},
        "state_dir": str(tmp_path / "state"),
        **(extra or {}),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    if key:
        env["OPENROUTER_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "exporter", "backfill", "--config.file", str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.e2e
def test_dry_run_sends_nothing_and_counts_what_a_run_sends(tmp_path, sim_http):
    sim, url = sim_http
    extra = {"apps": APPS}
    args = ["--from", str(FIRST), "--to", str(LAST), "--apps"]
    dry = cli(tmp_path, url, [*args, "--dry-run"], extra=extra)
    assert dry.returncode == 0, dry.stderr
    assert sim.log == []
    assert not (tmp_path / "state" / "requests.log").exists()
    assert "app views (app-rankings" in dry.stdout and "10 left" in dry.stdout
    planned = int(dry.stdout.split("total: ")[1].split(" requests")[0])
    assert planned == 3 * 1 + 10  # 3 default model views, 5 days each in one window
    real = cli(tmp_path, url, [*args, "--output", str(tmp_path / "h.om")], extra=extra)
    assert real.returncode == 0, real.stderr
    assert len(sim.log) == planned
    assert f"{planned} requests" in real.stderr


@pytest.mark.e2e
def test_api_key_is_never_printed_or_written(tmp_path, sim_http):
    _sim, url = sim_http
    out = tmp_path / "h.om"
    args = ["--from", str(FIRST), "--to", str(LAST), "--apps", "--output", str(out)]
    ok = cli(tmp_path, url, args, extra={"apps": APPS})
    assert ok.returncode == 0, ok.stderr
    wrong = "sk-or-v1-WRONG-key-that-must-not-appear-0000"
    (tmp_path / "bad").mkdir()
    bad = cli(tmp_path / "bad", url, args, key=wrong, extra={"apps": APPS})
    assert bad.returncode == 1
    assert "rejected the API key" in bad.stderr
    assert wrong not in bad.stdout + bad.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".jsonl") for p in written)  # the progress is there ...
    for p in written:
        assert FAKE_KEY.encode() not in p.read_bytes(), p  # ... and holds no key
    assert FAKE_KEY not in ok.stdout + ok.stderr
    missing = cli(tmp_path, url, args, key=None)
    assert missing.returncode == 2 and "no API key" in missing.stderr


class Prom:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str, t: int) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": expr, "time": t}, timeout=30)
        body = r.json()
        assert body["status"] == "success", body
        return body["data"]["result"]

    def by_model(self, expr: str, t: int) -> dict[str, float]:
        return {r["metric"]["model"]: float(r["value"][1]) for r in self.query(expr, t)}


@pytest.fixture
def prometheus_on(tmp_path) -> Iterator[Any]:
    """Start a Prometheus (the shared helper, tests/promserver.py) on a data directory."""
    with contextlib.ExitStack() as stack:

        def start(data_dir: Path, oldest: date) -> Prom:
            # Retention counts from now: keep the backfilled days, however old they are.
            keep = max(1000, (datetime.now(UTC).date() - oldest).days + 60)
            server = stack.enter_context(
                running_prometheus(tmp_path, data_dir=data_dir, retention_days=keep)
            )
            return Prom(server.url)

        yield start


@pytest.mark.e2e
def test_400_days_load_into_prometheus_with_the_simulators_values(
    tmp_path, sim_http, prometheus_on
):
    sim, url = sim_http
    last = SIM_NOW.date() - timedelta(days=1)
    first = last - timedelta(days=399)
    out = tmp_path / "history.om"
    labels = {"job": "openrouter", "instance": "127.0.0.1:10110"}
    started = time.monotonic()
    r = cli(
        tmp_path,
        url,
        [
            "--from",
            str(first),
            "--to",
            str(last),
            "--output",
            str(out),
            *[f"--label={k}={v}" for k, v in labels.items()],
        ],
    )
    elapsed = time.monotonic() - started
    assert r.returncode == 0, r.stderr
    assert elapsed < 60, f"backfill took {elapsed:.0f}s"
    assert FAKE_KEY not in r.stderr + r.stdout

    # Cost: two rankings-daily requests per view for 400 days, none wider than 366 days.
    calls = requests_to(sim, "rankings-daily")
    assert len(sim.log) == len(calls) == 6
    by_period: dict[str, int] = {}
    for p in calls:
        by_period[p.get("period", "day")] = by_period.get(p.get("period", "day"), 0) + 1
        span = (date.fromisoformat(p["end_date"]) - date.fromisoformat(p["start_date"])).days
        assert span + 1 <= 366
    assert by_period == {"day": 2, "week": 2, "month": 2}

    with open(out, "rb") as f:
        f.seek(-6, os.SEEK_END)
        assert f.read() == b"# EOF\n"
    blocks = tmp_path / "data"
    create_blocks(out, blocks)
    prom = prometheus_on(blocks, first)

    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    day = last - timedelta(days=100)
    t = ts(day + timedelta(days=1), 12)
    rows = market_day(sim, day, day)
    assert prom.by_model(f'openrouter_model_tokens{{view="daily",{sel}}}', t) == tokens_of(rows)
    assert prom.by_model(f'openrouter_model_rank{{view="daily",{sel}}}', t) == ranks_of(rows)
    # A missing day holds the day before it.
    held = prom.by_model(
        f'openrouter_model_tokens{{view="daily",{sel}}}', ts(date(2025, 6, 16), 12)
    )
    assert held == tokens_of(market_day(sim, date(2025, 6, 14), date(2025, 6, 14)))
    week = bf.latest_complete(day, "week")
    assert prom.by_model(f'openrouter_model_tokens{{view="weekly",{sel}}}', t) == tokens_of(
        market_day(sim, week, week + timedelta(days=6), "week")
    )

    # offset 30d at the last backfilled hour: the same ranks as a plain query 30 days back.
    end = ts(last + timedelta(days=2)) - H
    offset = prom.query("openrouter_model_rank offset 30d", end)
    assert len(offset) >= 3 * 50
    assert all(s["metric"]["job"] == "openrouter" for s in offset)
    then = {
        (s["metric"]["view"], s["metric"]["model"]): s["value"][1]
        for s in prom.query("openrouter_model_rank", end - 30 * 86400)
    }
    assert {(s["metric"]["view"], s["metric"]["model"]): s["value"][1] for s in offset} == then
    # Between hourly samples, the shipped rules' last_over_time(x[1h] offset 1d) finds one.
    recent = prom.query("last_over_time(openrouter_model_rank[1h] offset 1d)", end - 1234)
    assert len(recent) >= 3 * 50
    print(
        f"\n400 days x 3 views: {elapsed:.1f}s, {out.stat().st_size / 1e6:.0f} MB, "
        f"{len(sim.log)} requests"
    )


def _estimate(dry_run_stdout: str) -> float:
    m = re.search(r"output: about ([\d.]+) (B|kB|MB|GB) \(from ([^;]+);", dry_run_stdout)
    assert m, dry_run_stdout
    return float(m.group(1)) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("first", "apps", "labels"),
    [
        (date(2025, 3, 1), False, ["--label=job=openrouter", "--label=instance=host:10110"]),
        (date(2026, 2, 23), True, []),
    ],
    ids=["a-year-of-model-views-with-labels", "six-days-with-app-views"],
)
def test_dry_run_size_estimate_is_within_10_percent(tmp_path, sim_http, first, apps, labels):
    _sim, url = sim_http
    # 6 days × 4 app views + 3 model requests fit the simulator's 30 a minute.
    budget = {"requests_per_minute": 30, "reserve": 0}
    extra = {"apps": {**APPS, "filters": ["all", "coding"]}, "budget": budget} if apps else None
    args = ["--from", str(first), "--to", "2026-02-28", *labels, *(["--apps"] if apps else [])]
    dry = cli(tmp_path, url, [*args, "--dry-run"], extra=extra)
    assert dry.returncode == 0, dry.stderr
    assert "typical name lengths" in dry.stdout
    out = tmp_path / "h.om"
    real = cli(tmp_path, url, [*args, "--output", str(out)], extra=extra)
    assert real.returncode == 0, real.stderr
    actual = out.stat().st_size
    assert abs(_estimate(dry.stdout) - actual) <= 0.10 * actual, (_estimate(dry.stdout), actual)


@pytest.mark.e2e
def test_dry_run_estimate_uses_the_exporters_stored_data(tmp_path, sim_http):
    """With the running exporter's snapshots in state_dir, the estimate is from the real
    names and values, and still within 10 % of the file."""
    sim, url = sim_http
    from exporter.app import build

    cfg = parse_config({"openrouter": {"base_url": url}, "state_dir": str(tmp_path / "state")})
    clock = ManualClock(SIM_NOW)
    exporter = build(
        cfg,
        FAKE_KEY,
        transport=sim.transport(),
        clock=clock.timestamp,
        state_dir=tmp_path / "state",
    )
    for _ in range(200):
        if all(("rankings-daily", v.name) in exporter.store.snapshots() for v in model_views(cfg)):
            break
        clock.advance(seconds=max(exporter.scheduler.step(), 0.01))
    exporter.client.close()
    args = ["--from", "2025-06-01", "--to", "2026-02-28"]
    dry = cli(tmp_path, url, [*args, "--dry-run"])
    assert dry.returncode == 0, dry.stderr
    assert "the exporter's stored data" in dry.stdout
    out = tmp_path / "h.om"
    real = cli(tmp_path, url, [*args, "--output", str(out)])
    assert real.returncode == 0, real.stderr
    actual = out.stat().st_size
    assert abs(_estimate(dry.stdout) - actual) <= 0.10 * actual, (_estimate(dry.stdout), actual)
