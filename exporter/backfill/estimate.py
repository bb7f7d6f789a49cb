"""What a run will cost and when it will finish, and the numbers of its progress lines.

Read from the shared request log without locking or writing: dry runs and estimates only;
``Budget.spend`` is what enforces the limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from exporter.backfill.history import Part, histories, sample_range, without_history
from exporter.backfill.options import Options
from exporter.backfill.sizing import instant_bytes
from exporter.budget import read_log
from exporter.config import Config
from exporter.datasets import ROW_TYPES
from exporter.datasets.history import Progress
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
    what: str, done: int, total: int, now: float, per_minute: int, per_day: int, usage: LogUsage
) -> str:
    remaining = max(0, total - done)
    finish = estimate_finish(remaining, now, per_minute, per_day, usage)
    return (
        f"{what}: {done}/{total} requests done, {remaining} remaining; "
        f"{usage.day}/{per_day} used in the last 24 hours; estimated finish {utc_minute(finish)}"
    )


def size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


@dataclass(frozen=True)
class RequestPlan:
    """What a run asks the API for: each dataset's history, in registry order."""

    parts: list[Part]

    @property
    def asked(self) -> list[Part]:
        return [p for p in self.parts if p.asked]

    @property
    def kept(self) -> list[Progress]:
        """Where the resumable histories asked for keep what they fetched."""
        return [p.plan.progress for p in self.asked if p.plan.progress is not None]

    @property
    def detect_requests(self) -> int:
        """When a history needs the newest published day and no other one's requests tell
        it, one request finds it, so none is spent on a day the API does not serve yet."""
        asked = [p.plan for p in self.asked]
        needed = any(p.needs_published for p in asked)
        return 1 if needed and not any(p.reveals_published for p in asked) else 0

    @property
    def remaining(self) -> int:
        return sum(p.plan.remaining for p in self.asked) + self.detect_requests


def stored_snapshots(state_dir: Path) -> Mapping[Key, Snapshot]:
    """The running exporter's last good data, read only: the real names for the estimate."""
    store = Store(state_dir, ROW_TYPES, create=False)
    store.load()
    return store.snapshots()


def make_plan(cfg: Config, opts: Options) -> RequestPlan:
    parts = [
        Part(d, h, h.plan(cfg, opts.first, opts.last), h.switch is None or d.name in opts.asked)
        for d, h in histories()
    ]
    return RequestPlan(parts)


def describe(cfg: Config, opts: Options, plan: RequestPlan, now: float) -> str:
    """The plan, its cost, the estimated finish and file size (what --dry-run prints)."""
    t0, t1 = sample_range(opts.first, opts.last, now)
    instants = max(0, t1 - t0) / opts.step
    days = (opts.last - opts.first).days + 1
    lines = [
        f"data days {opts.first} … {opts.last} ({days} days); a sample every "
        f"{format_duration(opts.step)} from {utc_minute(t0)} to {utc_minute(t1)} "
        "(not the last 3 hours)",
    ]
    for part in plan.parts:
        lines += part.plan.describe(part.asked)
    lines += [f"{d.name}: no history ({no.reason})" for d, no in without_history()]
    stored = stored_snapshots(Path(cfg.state_dir))
    lines.append(_budget_line(cfg, plan, now))
    est_bytes = instants * instant_bytes(cfg, opts.labels, plan.asked, stored)
    basis = "the exporter's stored data" if stored else "typical name lengths"
    lines.append(
        f"output: about {size(est_bytes)} (from {basis}; promtool 2.42 needs about as much "
        "memory; narrower --from/--to make smaller files)"
    )
    return "\n".join(lines)


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
