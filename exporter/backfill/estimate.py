"""What a run will cost and when it will finish, and the numbers of its progress lines.

Read from the shared request log without locking or writing: dry runs and estimates only;
``Budget.spend`` is what enforces the limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from exporter.backfill.history import Window, model_windows, sample_range
from exporter.backfill.options import Options
from exporter.backfill.sizing import instant_bytes
from exporter.budget import read_log
from exporter.config import MAX_WINDOW_DAYS, AppView, Config
from exporter.datasets import ROW_TYPES
from exporter.datasets.apps.progress import AppProgress
from exporter.durations import format_duration
from exporter.periods import DAY_SECONDS, utc_minute
from exporter.snapshot import Snapshot
from exporter.store import Store
from exporter.viewstatus import Key

LOG_TAG = "backfill/"  # prefix of our entries in the shared request log


@dataclass(frozen=True)
class LogUsage:
    day: int
    ours_day: int  # of ``day``, what backfills spent

    @property
    def others_day(self) -> int:
        return self.day - self.ours_day


def read_log_usage(path: Path, now: float) -> LogUsage:
    """Spend in the shared request log over the last 24 hours."""
    entries = read_log(path, now)
    ours = sum(1 for _, endpoint in entries if endpoint.startswith(LOG_TAG))
    return LogUsage(len(entries), ours)


def estimate_finish(
    remaining: int, now: float, per_minute: int, per_day: int, usage: LogUsage
) -> float:
    """When ``remaining`` requests are done at the current budget: what the last 24 hours
    leave free goes at the per-minute pace, the rest at what other consumers (the running
    exporter) left free over the last 24 hours, per day."""
    if remaining <= 0:
        return now
    free_now = max(0, per_day - usage.day)
    per_day_for_us = max(1, per_day - usage.others_day)
    if remaining <= free_now:
        return now + remaining / per_minute * 60
    return now + free_now / per_minute * 60 + (remaining - free_now) / per_day_for_us * DAY_SECONDS


def progress_line(
    done: int, total: int, now: float, per_minute: int, per_day: int, usage: LogUsage
) -> str:
    remaining = max(0, total - done)
    finish = estimate_finish(remaining, now, per_minute, per_day, usage)
    return (
        f"apps: {done}/{total} requests done, {remaining} remaining; "
        f"{usage.day}/{per_day} used in the last 24 hours; estimated finish {utc_minute(finish)}"
    )


def size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


@dataclass
class RequestPlan:
    """What a run asks the API for: model windows, and app views × days."""

    model_windows: dict[str, list[Window]]
    app_days: list[date]
    app_views: tuple[AppView, ...]
    app_done: dict[str, set[date]] = field(default_factory=dict)

    @property
    def model_requests(self) -> int:
        return sum(len(w) for w in self.model_windows.values())

    @property
    def detect_requests(self) -> int:
        """Without model views, one rankings-daily request finds the newest published day,
        so no app request is spent on a day the API does not serve yet."""
        return 1 if self.app_views and not self.model_windows else 0

    @property
    def app_total(self) -> int:
        return sum(v.pages for v in self.app_views) * len(self.app_days)

    @property
    def app_remaining(self) -> int:
        wanted = set(self.app_days)
        return sum(v.pages * len(wanted - self.app_done.get(v.name, set())) for v in self.app_views)

    @property
    def remaining(self) -> int:
        return self.model_requests + self.detect_requests + self.app_remaining


def stored_snapshots(state_dir: Path) -> Mapping[Key, Snapshot]:
    """The running exporter's last good data, read only: the real names for the estimate."""
    store = Store(state_dir, ROW_TYPES, create=False)
    store.load()
    return store.snapshots()


def make_plan(cfg: Config, opts: Options, progress: AppProgress | None) -> RequestPlan:
    windows = {v.name: model_windows(v, opts.first, opts.last) for v in cfg.model_views}
    days = [opts.first + timedelta(days=i) for i in range((opts.last - opts.first).days + 1)]
    views = cfg.app_views if opts.apps else ()
    done = {v.name: progress.done_days(v) for v in views} if progress else {}
    return RequestPlan(windows, days, views, done)


def describe(cfg: Config, opts: Options, plan: RequestPlan, now: float) -> str:
    """The plan, its cost, the estimated finish and file size (what --dry-run prints)."""
    t0, t1 = sample_range(opts, now)
    instants = max(0, t1 - t0) / opts.step
    lines = [
        f"data days {opts.first} … {opts.last} ({len(plan.app_days)} days); a sample every "
        f"{format_duration(opts.step)} from {utc_minute(t0)} to {utc_minute(t1)} "
        "(not the last 3 hours)",
        f"model views (rankings-daily, windows of at most {MAX_WINDOW_DAYS} days): "
        f"{plan.model_requests} requests",
    ]
    for v in cfg.model_views:
        windows = plan.model_windows[v.name]
        spans = ", ".join(f"{w.start}…{w.end}" for w in windows)
        n = len(windows)
        lines.append(f"  {v.name:<16} {v.period:<6} {n} request{'s' * (n != 1)}: {spans}")
    stored = stored_snapshots(Path(cfg.state_dir))
    model_bytes, app_bytes = instant_bytes(cfg, opts.labels, plan.app_views, stored)
    lines.append(_apps_line(cfg, opts, plan))
    lines.append(_budget_line(cfg, plan, now))
    est_bytes = instants * (model_bytes + app_bytes)
    basis = "the exporter's stored data" if stored else "typical name lengths"
    lines.append(
        f"output: about {size(est_bytes)} (from {basis}; promtool 2.42 needs about as much "
        "memory; narrower --from/--to make smaller files)"
    )
    return "\n".join(lines)


def _apps_line(cfg: Config, opts: Options, plan: RequestPlan) -> str:
    if not opts.apps:
        total = sum(v.pages for v in cfg.app_views) * len(plan.app_days)
        return (
            f"app views: not requested (--apps would add up to {total} requests "
            f"for {len(cfg.app_views)} views)"
        )
    pages = sum(v.pages for v in plan.app_views)
    per_day = f" ({pages} pages)" if pages != len(plan.app_views) else ""
    return (
        f"app views (app-rankings, one request per view, day and 100 rows): "
        f"{len(plan.app_views)} views{per_day} × {len(plan.app_days)} days = "
        f"{plan.app_total} requests; {plan.app_total - plan.app_remaining} done in "
        f"earlier runs, {plan.app_remaining} left"
    )


def _budget_line(cfg: Config, plan: RequestPlan, now: float) -> str:
    log_path = Path(cfg.state_dir) / "requests.log"
    per_minute, per_day = cfg.budget.effective_per_minute, cfg.budget.effective_per_day
    usage = read_log_usage(log_path, now)
    finish = estimate_finish(plan.remaining, now, per_minute, per_day, usage)
    return (
        f"total: {plan.remaining} requests; budget {per_day}/day and {per_minute}/min "
        f"after the reserve, {usage.day} used in the last 24 hours (shared with the "
        f"exporter via {log_path}); estimated finish {utc_minute(finish)}"
    )
