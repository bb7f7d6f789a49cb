"""`make alert-noise [REPLAY=FILE.csv]`: how many notifications the shipped market alerts
would have sent over a recorded market, at the default config and thresholds.

The history goes through the real parts: `fake-api --replay FILE` serves it (and its
synthetic app market on the file's calendar), the exporter's `backfill --apps` (default
config, a budget the simulator allows) writes what the exporter would have shown, promtool
turns that into blocks, a Prometheus without scrape targets serves them, and the recording rules are
evaluated over the whole history (hourly, on the backfill's grid) into blocks too.
Then each market alert's expression is evaluated once per published day D, at 12:00 UTC
of D+1, when D is the newest day shown; `for:` cannot be honoured by single instants and
is ignored. Progress goes to stderr, the report to stdout: what the synthetic app views
add on a line of their own, then what the market digest (prometheus/alertmanager.yml)
would have sent instead over model and app views, and three lines other tools read, which
count the model views only (the ones the file feeds):

    app views (synthetic, not counted below): A notifications, median X per published day
    digest messages: D on D published days with a move, model and app views (one per day; …)
    notifications in total: N
    notifications per published day: median M
    re-entries within K days: R

R counts the "entered the top N" notifications (OpenRouterNewTopModel) for a model that was
in that view's top N on one of the K published days before the previous one: a #10/#11
swap coming back. The target is none; the report lists every re-entry in the data and
marks one that was notified.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from exporter.configfile import load_config
from exporter.datasets.apps import app_views
from exporter.datasets.models import model_views
from exporter.periods import day_start
from exporter.simulator import Replay, ReplayError
from mixin.config import MixinConfig
from tools.alert_noise import noise, recording, stack
from tools.alert_noise.rules import ALERTS_FILE, Alert, market_alerts, recording_passes

NAME = "rankings-daily-2025-01-01_2025-03-04.csv"
SHARED = stack.ROOT.parent / "shared" / "reference" / "real-market" / NAME
FIXTURE = stack.ROOT / "tests" / "fixtures" / "real-market" / NAME
EVAL_HOUR = 12  # UTC, on the day after the published day
STEP = "1h"  # the backfill's default step; the recording rules are evaluated as often
STEP_SECONDS = 3600
ENTERED = "OpenRouterNewTopModel"  # the alert a re-entry into a model view's top N must not fire


def default_replay() -> Path:
    """The shared extract beside the repository, else the committed copy of it."""
    return SHARED if SHARED.is_file() else FIXTURE


def say(msg: str) -> None:
    print(f"alert-noise: {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Measured:
    days: list[date]
    counts: list[noise.AlertCount]
    entries: noise.Entries
    app_series: int


def instant(day: date) -> int:
    """When published day ``day`` is evaluated: 12:00 UTC the day after it."""
    return day_start(day + timedelta(days=1)) + EVAL_HOUR * 3600


def load_history(work: Path, replay: Path, days: list[date]) -> Path:
    """Replay → backfill → blocks (with a healthy exporter's up/view_up), into a TSDB dir."""
    data = work / "data"
    with stack.fake_api(replay, work) as url:
        started = time.monotonic()
        history = stack.backfill(url, days[0].isoformat(), days[-1].isoformat(), work)
        say(f"backfill: {history.stat().st_size / 1e6:.0f} MB in {time.monotonic() - started:.1f}s")
    health = healthy_exporter(work / "health.om", days)
    for om in (history, health):
        stack.create_blocks(om, data, work / f"promtool-{om.stem}.log")
        om.unlink()
    return data


def healthy_exporter(path: Path, days: list[date]) -> Path:
    """What a healthy exporter's scrape adds beside the data, on the backfill's grid: `up`,
    `build_info` and `view_up` of every model and app view, so the alerts' outage guards
    pass (OpenRouterAppLeftTopN needs every app view up)."""
    t0, t1 = day_start(days[0] + timedelta(days=1)), day_start(days[-1] + timedelta(days=2))
    target = f'job="{stack.JOB}",instance="{stack.INSTANCE}"'
    config = load_config(None)
    views = [("rankings-daily", v.name) for v in model_views(config)]
    views += [("app-rankings", v.name) for v in app_views(config)]
    families = {
        "up": [target],
        "openrouter_exporter_build_info": [f'{target},version="replay"'],
        "openrouter_exporter_view_up": [f'{target},dataset="{d}",view="{v}"' for d, v in views],
    }
    with path.open("w") as out:
        for name, series in families.items():
            out.write(f"# HELP {name} added by alert-noise: a healthy exporter\n")
            out.write(f"# TYPE {name} gauge\n")
            for labels in series:
                out.writelines(f"{name}{{{labels}}} 1 {t}\n" for t in range(t0, t1, 3600))
        out.write("# EOF\n")
    return path


def record_rules(work: Path, data: Path, days: list[date], retention: int) -> None:
    """The recording rules over the whole history on the backfill's grid, pass by pass (a
    pass reads what the earlier ones recorded), each pass's blocks added while Prometheus
    is stopped."""
    start = day_start(days[0] + timedelta(days=1))
    end = day_start(days[-1] + timedelta(days=2)) - STEP_SECONDS
    for n, rules in enumerate(recording_passes(), 1):
        started = time.monotonic()
        out = work / f"recorded-{n}.om"
        with stack.prometheus(data, work, retention) as prom:
            samples = recording.record(prom, rules, start, end, STEP_SECONDS, out)
        stack.create_blocks(out, data, work / f"promtool-recorded-{n}.log")
        out.unlink()
        count = sum(len(g["rules"]) for g in rules["groups"])
        took = time.monotonic() - started
        say(f"recording rules, pass {n}: {count} rules, {samples} samples, {took:.1f}s")


def evaluate(
    prom: stack.Prometheus, alerts: list[Alert], days: list[date], top_n: int, k: int
) -> Measured:
    stamps = [instant(d) for d in days]

    def firing(alert: Alert) -> list[set[noise.Labels]]:
        return [{noise.labels_of(r) for r in prom.query(alert.expr, t)} for t in stamps]

    with ThreadPoolExecutor(2) as pool:
        fired = list(pool.map(firing, alerts))
    counts = [noise.count(a.name, f) for a, f in zip(alerts, fired, strict=True)]
    rank = f"max by (view, model) (last_over_time(openrouter_model_rank[{STEP}])) <= {top_n}"
    top: list[dict[str, set[str]]] = []
    for t in stamps:
        views: dict[str, set[str]] = {}
        for r in prom.query(rank, t):
            views.setdefault(r["metric"]["view"], set()).add(r["metric"]["model"])
        top.append(views)
    entries = noise.entries(days, top, k)
    for alert, f in zip(alerts, fired, strict=True):
        if alert.name == ENTERED:
            entries = entries.with_notified(days, f)
    span = f"{(days[-1] - days[0]).days + 2}d"
    apps = prom.query(f"count(last_over_time(openrouter_app_rank[{span}]))", stamps[-1])
    app_series = int(float(apps[0]["value"][1])) if apps else 0
    return Measured(days, counts, entries, app_series)


def measure(replay: Path, days: list[date], top_n: int, k: int, keep: bool) -> Measured:
    work = Path(tempfile.mkdtemp(prefix="alert-noise-"))
    retention = (date.today() - days[0]).days + 30  # retention counts back from now
    try:
        data = load_history(work, replay, days)
        record_rules(work, data, days, retention)
        alerts = market_alerts()
        started = time.monotonic()
        with stack.prometheus(data, work, retention) as prom:
            measured = evaluate(prom, alerts, days, top_n, k)
        say(f"{len(alerts)} market alerts x {len(days)} days in {time.monotonic() - started:.1f}s")
        return measured
    finally:
        if keep:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(replay: Path, m: Measured, top_n: int, k: int) -> list[str]:
    first, last = m.days[0], m.days[-1]
    lines = [
        f"replayed: {replay} ({first} to {last}, {len(m.days)} published days)",
        f"rules: {ALERTS_FILE.relative_to(stack.ROOT)} (group openrouter-market-alerts), "
        f"default exporter config and mixin thresholds",
        f"evaluated: each alert's expr once per published day D at {EVAL_HOUR:02d}:00 UTC of "
        f"D+1 ('for:' ignored); a notification is a series firing on D and not on the day "
        f"before; per-day figures over the {len(m.days) - 1} days after {first}",
        "",
        *noise.table(m.counts),
        "",
    ]
    if m.app_series:
        lines.append(noise.app_line(m.counts))
    else:
        lines.append("app views: not in the replayed history")
    e = m.entries
    lines.append(
        f"entries into a model view's top {top_n} (from the ranks): {e.entries}, "
        f"of which re-entries within {k} days: {len(e.reentries)}, "
        f"{len(e.notified)} of them notified by {ENTERED}"
    )
    lines += [
        f"  re-entry {r.day} {r.view}: {r.model} (in the top {top_n} on {r.last_in})"
        + (" NOTIFIED" if (r.day, r.view, r.model) in e.notified else "")
        for r in e.reentries
    ]
    closing = noise.closing_lines(m.counts, len(e.notified), k)
    return [*lines, "", noise.digest_line(m.counts), *closing]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.alert_noise", description=__doc__)
    p.add_argument("--replay", type=Path, help=f"rankings-daily CSV (default: {default_replay()})")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, TSDB)")
    args = p.parse_args(argv)
    replay: Path = args.replay or default_replay()
    try:
        days = sorted(Replay.load(replay).days)
    except ReplayError as e:
        print(f"alert-noise: {e}", file=sys.stderr)
        return 2
    thresholds = MixinConfig().thresholds
    k, top_n = getattr(thresholds, "reentry_days", 7), thresholds.model_top_n
    try:
        measured = measure(replay, days, top_n, k, args.keep)
    except stack.StackError as e:
        print(f"alert-noise: {e}", file=sys.stderr)
        return 1
    print("\n".join(report(replay, measured, top_n, k)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
