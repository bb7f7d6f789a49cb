"""Each fault the scheduler must handle: what it logs, what /metrics says, what it sends."""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import FAKE_KEY, drive

from exporter.app import Exporter, build, handover
from exporter.configfile import parse_config
from exporter.datasets import ROW_TYPES
from exporter.simulator import Fault, ManualClock, Simulator
from exporter.store import Store

START = datetime(2026, 5, 12, 0, 30, tzinfo=UTC)
CFG = {
    "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
    "models": {"views": [{"name": "daily"}]},
    "session_cost": {"enabled": False},
}


class Rig:
    def __init__(self, tmp_path, cfg: dict | None = None, **sim_kw) -> None:
        self.clock = ManualClock(START)
        self.sim = Simulator(seed=5, now=self.clock, **sim_kw)
        self.sent: list[tuple[float, str]] = []
        self.tmp_path = tmp_path
        self.cfg = parse_config(cfg or CFG)
        self.exporter = self.build()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock.timestamp(), request.url.path.rsplit("/", 1)[-1]))
        return self.sim.handle(request)

    def build(self, key: str = FAKE_KEY) -> Exporter:
        return build(
            self.cfg,
            key,
            transport=httpx.MockTransport(self.handler),
            clock=self.clock.timestamp,
            state_dir=self.tmp_path,
            rng=random.Random(1),
        )

    def run(self, seconds: float) -> None:
        drive(self.exporter.scheduler.step, self.clock, self.clock.timestamp() + seconds)

    def metrics(self) -> str:
        return (
            self.exporter.cache.current.text + self.exporter.self_metrics.exposition(False)
        ).decode()


def up_line(view: str, value: int, dataset: str = "app-rankings") -> str:
    return f'openrouter_exporter_view_up{{dataset="{dataset}",view="{view}"}} {value}.0'


def test_429_with_retry_after_is_honoured_and_pace_lowered(tmp_path, caplog):
    rig = Rig(tmp_path)
    rig.sim.faults.add(Fault.rate_limited(120), path="/datasets/app-rankings")
    with caplog.at_level(logging.WARNING):
        rig.run(600)
    app_times = [t for t, ep in rig.sent if ep == "app-rankings"]
    assert len(app_times) >= 2
    assert app_times[1] - app_times[0] >= 120  # nothing sent before Retry-After passed
    assert "rate limited (429)" in caplog.text and "waiting 120s" in caplog.text
    assert (
        'openrouter_exporter_api_requests_total{code="429",endpoint="app-rankings"} 1.0'
        in rig.metrics()
    )
    assert up_line("7d/popular/all", 1) in rig.metrics()


def test_429_without_retry_after_backs_off(tmp_path, caplog):
    rig = Rig(tmp_path)
    rig.sim.faults.add(Fault.rate_limited(), times=3, path="/datasets/app-rankings")
    with caplog.at_level(logging.WARNING):
        rig.run(3600)
    app_times = [t for t, ep in rig.sent if ep == "app-rankings"]
    gaps = [b - a for a, b in itertools.pairwise(app_times)][:3]
    assert len(gaps) == 3
    assert gaps[0] >= 24 and gaps[1] > gaps[0] * 1.3 and gaps[2] > gaps[1] * 1.3  # exponential
    assert caplog.text.count("rate limited (429)") == 3
    assert up_line("7d/popular/all", 1) in rig.metrics()


@pytest.mark.parametrize(
    "fault",
    [Fault.server_error(503), Fault.html(502), "timeout"],
    ids=["5xx", "html-proxy-page", "timeout"],
)
def test_server_errors_and_timeouts_retry_with_backoff(tmp_path, caplog, fault):
    rig = Rig(tmp_path)
    if fault == "timeout":
        calls = {"n": 0}
        inner = rig.handler

        def flaky(request: httpx.Request) -> httpx.Response:
            if "app-rankings" in request.url.path and calls["n"] < 2:
                calls["n"] += 1
                inner(request)
                raise httpx.ReadTimeout("simulated", request=request)
            return inner(request)

        rig.exporter = build(
            rig.cfg,
            FAKE_KEY,
            transport=httpx.MockTransport(flaky),
            clock=rig.clock.timestamp,
            state_dir=tmp_path / "t",
            rng=random.Random(1),
        )
    else:
        rig.sim.faults.add(fault, times=2, path="/datasets/app-rankings")
    with caplog.at_level(logging.WARNING):
        rig.run(20)
        assert up_line("7d/popular/all", 0) in rig.metrics()
        rig.run(600)
    assert up_line("7d/popular/all", 1) in rig.metrics()
    assert caplog.text.count("OpenRouter API unavailable") == 1
    app_times = [t for t, ep in rig.sent if ep == "app-rankings"]
    assert len(app_times) == 3 and app_times[2] - app_times[1] > app_times[1] - app_times[0]


def test_401_stops_polling_keeps_data_and_retries_rarely(tmp_path, caplog):
    rig = Rig(tmp_path, api_keys={FAKE_KEY})
    rig.run(120)
    assert "openrouter_app_rank{" in rig.metrics()
    # The key is revoked: restart with a key the API refuses.
    rig.exporter = rig.build(key="sk-or-v1-revoked")
    rig.clock.advance(seconds=86400)  # a new day is due
    before = len(rig.sent)
    with caplog.at_level(logging.WARNING):
        rig.run(3 * 3600)
    refused = rig.sent[before:]
    assert 2 <= len(refused) <= 4, refused  # one try, then about one an hour
    assert all(ep == "rankings-daily" for _, ep in refused)
    assert caplog.text.count("rejected the API key") == 1
    m = rig.metrics()
    assert up_line("daily", 0, "rankings-daily") in m and up_line("7d/popular/all", 0) in m
    assert "openrouter_app_rank{" in m  # last good data still served
    assert "revoked" not in caplog.text


def test_400_marks_view_misconfigured_not_retried_until_config_changes(tmp_path, caplog):
    rig = Rig(tmp_path)
    rig.sim.faults.add(
        Fault.server_error(400, message="Invalid subcategory"), path="/datasets/app-rankings"
    )
    with caplog.at_level(logging.ERROR):
        rig.run(3 * 86400)
    app = [t for t, ep in rig.sent if ep == "app-rankings"]
    assert len(app) == 1
    assert "7d/popular/all is misconfigured" in caplog.text
    assert "Invalid subcategory" in caplog.text
    assert up_line("7d/popular/all", 0) in rig.metrics()
    # A restart with the same config does not retry it...
    rig.exporter = rig.build()
    rig.run(86400)
    assert len([t for t, ep in rig.sent if ep == "app-rankings"]) == 1
    # ...a changed view does.
    rig.cfg = parse_config({**CFG, "apps": {**CFG["apps"], "depth": 30}})
    rig.exporter = rig.build()
    rig.run(600)
    assert len([t for t, ep in rig.sent if ep == "app-rankings"]) == 2
    assert up_line("7d/popular/all", 1) in rig.metrics()


@pytest.mark.parametrize(
    "fault",
    [Fault.malformed_json(), Fault.truncated(), Fault.missing_field("rank")],
    ids=["malformed-json", "truncated", "missing-field"],
)
def test_malformed_body_is_a_failed_refresh(tmp_path, caplog, fault):
    rig = Rig(tmp_path)
    rig.sim.faults.add(fault, path="/datasets/app-rankings")
    with caplog.at_level(logging.WARNING):
        rig.run(10)
    assert up_line("7d/popular/all", 0) in rig.metrics()
    assert "refresh of app-rankings/7d/popular/all failed (MalformedResponse" in caplog.text
    rig.run(600)
    assert up_line("7d/popular/all", 1) in rig.metrics()


class OddMetaRig(Rig):
    """The simulator's answers with odd values in the meta fields nothing reads."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        response = super().handler(request)
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        if "meta" not in body:  # /classifications/task has none
            return response
        body["meta"].update(window_days="seven", version=None)
        if "start_date" in body["meta"]:  # not where the simulator's fault removed it
            body["meta"]["start_date"] = "yesterday"
        return httpx.Response(200, json=body)


def test_odd_values_in_meta_fields_nothing_reads_never_fail_a_refresh(tmp_path, caplog):
    rig = OddMetaRig(tmp_path, {**CFG, "session_cost": {"enabled": True}})
    rig.sim.faults.add(Fault.missing_field("start_date"), times=None, path="/datasets/app-rankings")
    with caplog.at_level(logging.WARNING):
        rig.run(120)
    m = rig.metrics()
    for dataset, view in (
        ("app-rankings", "7d/popular/all"),
        ("rankings-daily", "daily"),
        ("session-cost", "default"),
    ):
        assert up_line(view, 1, dataset) in m
    assert "openrouter_app_rank{" in m and "openrouter_model_rank{" in m
    assert "failed" not in caplog.text


def test_state_files_of_earlier_versions_with_meta_fields_no_longer_kept_still_load(
    tmp_path, caplog
):
    """Earlier versions stored meta.start_date, window_days and version; they load, and
    what is served from them is what was served before."""
    rig = Rig(tmp_path, {**CFG, "session_cost": {"enabled": True}})
    rig.run(120)
    before = rig.exporter.store.snapshots()
    old = {"start_date": "2026-04-12", "window_days": 30, "version": "v1"}
    for path in (tmp_path / "snapshots").glob("*.json"):
        d = json.loads(path.read_text())
        d["meta"].update(old)
        path.write_text(json.dumps(d))
    with caplog.at_level(logging.WARNING):
        rig.exporter = rig.build()
    assert "moved aside" not in caplog.text and not list(
        (tmp_path / "snapshots").glob("*.corrupt-*")
    )
    assert rig.exporter.store.snapshots() == before
    assert "openrouter_app_rank{" in rig.metrics()


def test_stored_data_served_at_once_after_restart_with_its_age(tmp_path):
    rig = Rig(tmp_path)
    rig.run(120)
    fetched = rig.clock.timestamp() - 120
    rig.clock.advance(seconds=3600)
    rig.exporter = rig.build()  # no step taken yet: nothing sent
    m = rig.metrics()
    assert "openrouter_app_rank{" in m and "openrouter_model_rank{" in m
    line = next(
        x
        for x in m.splitlines()
        if x.startswith(
            'openrouter_exporter_view_last_success_timestamp_seconds{dataset="app-rankings"'
        )
    )
    assert fetched <= float(line.split()[-1]) <= fetched + 120


def test_corrupt_state_file_is_moved_aside(tmp_path, caplog):
    rig = Rig(tmp_path)
    rig.run(120)
    snaps = sorted((tmp_path / "snapshots").glob("*.json"))
    snaps[0].write_text('{"dataset": "app-rankings", "rows": [tru')
    with caplog.at_level(logging.WARNING):
        rig.exporter = rig.build()
    assert "is unreadable" in caplog.text and "moved aside" in caplog.text
    assert list((tmp_path / "snapshots").glob("*.corrupt-*"))
    rig.run(600)  # the lost view is fetched again
    assert snaps[0].exists()


def test_state_file_with_wrong_field_types_is_moved_aside_and_metrics_still_render(
    tmp_path, caplog
):
    """Valid JSON, wrong types (edited by hand, or written by another version): refused
    at load, like any damaged file, never left to break every scrape."""
    rig = Rig(tmp_path)
    rig.run(120)
    path = next(p for p in (tmp_path / "snapshots").glob("app-rankings__*.json"))
    d = json.loads(path.read_text())
    d["rows"][0]["rank"] = "first"
    path.write_text(json.dumps(d))
    with caplog.at_level(logging.WARNING):
        rig.exporter = rig.build()
    assert "rows[0].rank: expected int, got str" in caplog.text and "moved aside" in caplog.text
    assert "openrouter_model_rank{" in rig.metrics()  # the other views still serve
    rig.run(600)  # the refused view is fetched again
    assert "openrouter_app_rank{" in rig.metrics() and path.exists()


def test_temporary_files_left_by_a_crash_mid_write_are_removed_at_start(tmp_path):
    rig = Rig(tmp_path)
    rig.run(120)
    snaps = tmp_path / "snapshots"
    stale = snaps / ".app-rankings__x.json.0123456789ab.tmp"  # a writer died before rename
    fresh = snaps / ".app-rankings__y.json.ba9876543210.tmp"  # another writer, mid-write
    stale.write_text('{"dataset": "app-rank')
    fresh.write_text('{"dataset": "app-rank')
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    rig.exporter = rig.build()
    assert not stale.exists() and fresh.exists()
    assert "openrouter_app_rank{" in rig.metrics()


def test_a_reload_keeps_a_429s_hold(tmp_path):
    """SIGHUP during a Retry-After wait: the reloaded exporter waits it out too."""
    rig = Rig(tmp_path)
    rig.sim.faults.add(Fault.rate_limited(1200), path="/datasets/app-rankings")
    rig.run(120)
    limited = next(t for t, ep in rig.sent if ep == "app-rankings")
    fresh = rig.build()
    handover(rig.exporter, fresh)
    rig.exporter = fresh
    n = len(rig.sent)
    rig.run(1500)
    after = [t for t, _ in rig.sent[n:]]
    assert after and min(after) >= limited + 1200, (limited, after[:3])


def test_a_file_holding_another_datasets_rows_is_moved_aside(tmp_path, caplog):
    rig = Rig(tmp_path)
    rig.run(120)
    snaps = tmp_path / "snapshots"
    apps = json.loads(next(snaps.glob("app-rankings__*.json")).read_text())
    models = snaps / "rankings-daily__daily.json"
    models.write_text(json.dumps({**apps, "dataset": "rankings-daily", "view": "daily"}))
    with caplog.at_level(logging.WARNING):
        rig.exporter = rig.build()  # it used to load, then fail in the first render
    assert "rankings-daily holds ModelDayRow rows, not 'AppRow'" in caplog.text
    assert not models.exists() and list(snaps.glob("rankings-daily__daily.json.corrupt-*"))
    assert "openrouter_app_rank{" in rig.metrics()


def test_a_read_only_store_never_moves_a_file(tmp_path, caplog):
    """The backfill's estimate reads the live exporter's state: it must not touch it."""
    rig = Rig(tmp_path)
    rig.run(120)
    path = next((tmp_path / "snapshots").glob("*.json"))
    path.write_text('{"dataset": "app-rank')
    with caplog.at_level(logging.WARNING):
        Store(tmp_path, ROW_TYPES, create=False).load()
    assert path.exists() and not list((tmp_path / "snapshots").glob("*.corrupt-*"))
    assert "unreadable" in caplog.text and "skipped" in caplog.text


def test_new_day_refreshes_views_and_old_days_are_not_refetched(tmp_path):
    rig = Rig(tmp_path)
    rig.run(3600)
    first = len(rig.sent)
    rig.run(20 * 3600)  # the rest of the day: only settling re-polls, no detector spam
    same_day = rig.sent[first:]
    assert all(ep != "rankings-daily" or t < START.timestamp() + 86400 for t, ep in same_day)
    midnight = datetime(2026, 5, 13, tzinfo=UTC).timestamp()
    rig.clock.set(max(rig.clock(), datetime.fromtimestamp(midnight - 60, UTC)))
    n = len(rig.sent)
    rig.run(3600)
    after = [(t - midnight, ep) for t, ep in rig.sent[n:]]
    assert after and after[0][1] == "rankings-daily" and after[0][0] >= 0
    assert any(ep == "app-rankings" for _, ep in after)
    snap = rig.exporter.store.snapshots()[("app-rankings", "7d/popular/all")]
    assert snap.meta.end_date == datetime(2026, 5, 12, tzinfo=UTC).date() + timedelta(0)
