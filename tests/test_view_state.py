"""View states a person reads on /, /readyz and /metrics: no key, and the next refresh.

With no API key the exporter sends nothing at all and says why; every view always has a
next-refresh time (+Inf when nothing will refresh it until the config or key changes).
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml
from conftest import FAKE_KEY, Proc, drive, free_port, wait_for
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import Exporter, build
from exporter.cli import demo_config
from exporter.configfile import load_config, parse_config
from exporter.periods import day_start
from exporter.simulator import Fault, ManualClock, Simulator, serve
from exporter.viewstatus import ViewState

START = datetime(2026, 5, 12, 0, 30, tzinfo=UTC)
SMALL = {
    "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
    "models": {"views": [{"name": "daily"}, {"name": "weekly", "period": "week"}]},
}


class Rig:
    """The exporter in-process against the simulator, on one fake clock, counting requests."""

    def __init__(self, tmp_path: Any, cfg: dict | None = None, key: str | None = FAKE_KEY):
        self.clock = ManualClock(START)
        self.sim = Simulator(seed=42, now=self.clock)
        self.sent: list[str] = []
        self.cfg = (
            parse_config(cfg)
            if cfg is not None
            else demo_config(load_config(None), self.sim, explicit=False)
        )
        self.tmp_path = tmp_path
        self.exporter = self.build(key)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.url.path)
        return self.sim.handle(request)

    def build(self, key: str | None) -> Exporter:
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

    def series(self, name: str) -> dict[tuple[str, str], float]:
        text = self.exporter.self_metrics.exposition(False).decode()
        return {
            (s.labels["dataset"], s.labels["view"]): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == name
        }


NEXT = "openrouter_exporter_view_next_refresh_timestamp_seconds"
UP = "openrouter_exporter_view_up"


# --- no key ----------------------------------------------------------------------------


def test_no_key_sends_nothing_and_says_why(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        rig = Rig(tmp_path, key=None)
        rig.run(60)
        assert rig.sent == []
        rig.run(3 * 86400)  # days pass, new days are published: still nothing
    assert rig.sent == [] and rig.sim.log == []
    assert caplog.text.count("no API key") == 1, caplog.text
    statuses = list(rig.exporter.scheduler.statuses())
    assert len(statuses) == 45  # the demo config's views
    assert all(s.state is ViewState.NO_KEY for s in statuses)
    assert all("OPENROUTER_API_KEY" in (s.error or "") for s in statuses)
    # Every view is down and has no next refresh (+Inf) until a key is configured.
    assert set(rig.series(UP).values()) == {0.0}
    nxt = rig.series(NEXT)
    assert len(nxt) == 45 and all(math.isinf(v) for v in nxt.values())
    assert not rig.exporter.has_key


def test_no_key_still_serves_what_an_earlier_run_stored(tmp_path):
    rig = Rig(tmp_path, SMALL)
    rig.run(600)
    assert rig.sent
    sent = len(rig.sent)
    rig.clock.advance(seconds=86400)
    rig.exporter = rig.build(None)
    rig.run(86400)
    assert len(rig.sent) == sent
    assert "openrouter_app_rank{" in rig.exporter.cache.current.text.decode()
    last = {s.view: s.last_success for s in rig.exporter.scheduler.statuses()}
    assert all(t is not None for t in last.values())


@pytest.fixture
def counting_api():
    sim = Simulator(seed=7, api_keys={FAKE_KEY})
    server = serve(sim, "127.0.0.1", 0)
    try:
        yield sim, server.url
    finally:
        server.shutdown()


@pytest.mark.e2e
def test_run_without_a_key_sends_nothing_over_http(tmp_path, counting_api):
    """The real command, against the simulator over HTTP: with a key the detector's first
    request leaves within a second of start (tests/test_process.py); without, nothing."""
    sim, base_url = counting_api
    path = tmp_path / "config.yaml"
    cfg = {**SMALL, "openrouter": {"base_url": base_url}, "state_dir": str(tmp_path / "s")}
    path.write_text(yaml.safe_dump(cfg))
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    url = f"http://127.0.0.1:{free_port()}"
    proc = Proc(
        ["run", "--config.file", str(path), f"--web.listen-address={url[7:]}"],
        env,
        tmp_path / "run.log",
    )
    try:
        wait_for(f"{url}/healthz", lambda r: r.status_code == 200)
        time.sleep(3)
        page = httpx.get(f"{url}/", timeout=5).text
        ready = httpx.get(f"{url}/readyz", timeout=5)
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
    finally:
        assert proc.stop() == 0
    assert sim.log == [], "requests reached the API without a key"
    assert "OPENROUTER_API_KEY" in page
    # Ready (it serves /metrics, so Prometheus keeps scraping it), and says why it has no data.
    assert ready.status_code == 200 and "no data yet for" in ready.text
    assert ready.text.count("no key: set OPENROUTER_API_KEY") == 1, ready.text
    assert 'openrouter_exporter_view_up{dataset="app-rankings",view="7d/popular/all"} 0.0' in (
        metrics
    )
    assert proc.output().count("no API key") == 1, proc.output()


# --- next refresh -----------------------------------------------------------------------


def test_every_view_has_a_next_refresh_on_the_demo_config(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)  # every view filled for the newest day
    now = rig.clock.timestamp()
    sched = rig.exporter.scheduler
    nxt = rig.series(NEXT)
    assert set(nxt) == {s.key for s in sched.statuses()} and len(nxt) == 45
    # Views that follow published days wait for the next one: when the detector next
    # polls, which is never before 00:00 UTC after that day has closed.
    day = sched.days.latest
    assert day is not None
    detector = sched.detector.due
    assert detector >= day_start(day + timedelta(days=2)) > now
    for key, when in nxt.items():
        expected = (
            now + 86400
            if key[0] in ("session-cost", "task-classifications", "benchmarks")
            else detector
        )
        assert when == pytest.approx(expected, abs=600), key
    # Once the next day is found, views refresh and then wait for their settling re-poll.
    rig.clock.set(datetime.fromtimestamp(detector - 1, UTC))
    rig.run(600)
    assert sched.days.latest == day + timedelta(days=1)
    nxt = rig.series(NEXT)
    apps = {k: v for k, v in nxt.items() if k[0] == "app-rankings"}
    assert len(apps) == 36
    assert all(detector + 2 * 3600 <= t <= detector + 2 * 3600 + 600 for t in apps.values())


def test_next_refresh_follows_a_rejected_key_and_a_400(tmp_path):
    rig = Rig(tmp_path, SMALL, key=FAKE_KEY)
    rig.sim.faults.add(
        Fault.server_error(400, message="Invalid subcategory"), path="/datasets/app-rankings"
    )
    rig.run(600)
    nxt = rig.series(NEXT)
    # daily, weekly, the app view, session cost, task classifications, 4 benchmarks views
    assert len(nxt) == 9
    assert math.isinf(nxt[("app-rankings", "7d/popular/all")])  # held until the config changes
    assert all(math.isfinite(v) for k, v in nxt.items() if k[0] != "app-rankings")
    # The key is revoked: every view waits for the hourly retry.
    rig.sim.api_keys = {"another-key"}
    rig.clock.advance(seconds=86400)
    rig.run(60)
    sched = rig.exporter.scheduler
    assert sched.unauthorized
    nxt = rig.series(NEXT)
    for key, when in nxt.items():
        if key == ("app-rankings", "7d/popular/all"):
            assert math.isinf(when)
        else:
            assert when >= sched.hold_until > rig.clock.timestamp(), key
