"""History → OpenMetrics with timestamps, for ``promtool tsdb create-blocks-from openmetrics``.

The file holds what Prometheus would have scraped from a live exporter at each instant, so
backfilled and live series join and ``offset 30d`` works on day one:

- A day D is first served at 00:00 UTC of D+1 (the API never serves the current day), so
  the value at t is the latest *complete* period whose last day is before t's UTC day: a
  day view shows D-1, a week view the last ISO week that ended before t, a month view the
  last month that ended before t.
- A day missing from the API (2025-06-15, 2025-07-15) leaves the previous period showing,
  exactly as the live exporter does (its latest period is the newest day present), until
  that period leaves the view's ``days`` window; a longer outage is a gap, as it is live.
- Sample lines are the live collectors' own lines (same names, labels, escaping, value
  formatting) with the ``--label`` target labels and a timestamp added.

Model history is cheap: rankings-daily answers up to 366 days per request, so 400 days cost
2 requests per view. App rankings have one window per request, so ``--apps`` costs one
request (per 100 rows of depth) per view and day; it goes through the same Budget and request
log as the running exporter, keeps its progress in ``state_dir/backfill-apps/`` and resumes
where the last run stopped.

Families must not be interleaved, so each family is spooled to its own temporary file while
the views are processed one at a time, and the spools are joined at the end: memory stays at
one view's history however long the file grows.
"""

from __future__ import annotations

import calendar
import fcntl
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TextIO, TypeVar

import httpx

from exporter import taxonomy as tx
from exporter.budget import Budget, BudgetExhausted, read_log
from exporter.client import (
    ApiError,
    Client,
    RateLimited,
    Unauthorized,
)
from exporter.collector import (
    AppRankingsCollector,
    Family,
    Fragment,
    ModelRankingsCollector,
    escape_label,
    period_end,
)
from exporter.config import MAX_WINDOW_DAYS, AppView, Config, ModelView
from exporter.snapshot import AppRow, Meta, ModelDayRow, Snapshot

FLOOR = date(2025, 1, 1)  # the first day the Data API has
DAY = 86400
HEAD_SECONDS = 3 * 3600  # Prometheus's head block: backfilling into it is not safe
SHORT_WAIT = 90.0  # budget waits up to this long (the per-minute window) are sat out
RATE_LIMITED_RETRY = 600.0  # with --wait, a 429 without Retry-After is retried this often
PROGRESS_EVERY = 5.0  # seconds between progress lines
LOG_TAG = "backfill/"  # prefix of our entries in the shared request log
PROGRESS_DIR = "backfill-apps"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
LINE_BYTES = {"model": 128, "app": 140}  # typical sample line without --label, for estimates

MODEL_FAMILIES = ModelRankingsCollector.families
APP_FAMILIES = AppRankingsCollector.families
TARGET_LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED_LABELS = frozenset(ModelRankingsCollector.LABELS + AppRankingsCollector.LABELS)

T = TypeVar("T")


class UsageError(ValueError):
    """A bad flag value; the message starts with the flag's name."""


class Stop(Exception):
    """The run cannot go on now (budget, 429, API error); what is saved stays saved."""

    def __init__(self, message: str, code: int = EXIT_INCOMPLETE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- flags ----------------------------------------------------------------------------


def parse_day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag}: {value!r} is not a date like 2025-01-01") from None


_STEP_RE = re.compile(r"^([1-9][0-9]*)(s|m|h|d)$")


def parse_step(value: str) -> int:
    """``90s``, ``5m``, ``1h``, ``1d`` → seconds, from 1 minute to 1 day."""
    m = _STEP_RE.match(value.strip())
    if not m:
        raise UsageError(f"--step: {value!r} is not a duration like 1h, 30m or 1d")
    seconds = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": DAY}[m.group(2)]
    if not 60 <= seconds <= DAY:
        raise UsageError(f"--step: {value!r} must be from 1m to 1d")
    return seconds


def parse_labels(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    labels: list[tuple[str, str]] = []
    for value in values:
        name, sep, label_value = value.partition("=")
        name = name.strip()
        if not sep:
            raise UsageError(f"--label: {value!r} is not NAME=VALUE (e.g. job=openrouter)")
        if not TARGET_LABEL_RE.match(name) or name.startswith("__"):
            raise UsageError(f"--label: {name!r} is not a valid label name")
        if name in RESERVED_LABELS:
            # The exporter's own label: a scrape would rename the target's to exported_*.
            raise UsageError(
                f"--label: {name!r} is a label of the exporter's metrics; "
                "pass target labels such as job and instance"
            )
        if any(n == name for n, _ in labels):
            raise UsageError(f"--label: {name!r} is given twice")
        labels.append((name, label_value))
    return tuple(labels)


@dataclass(frozen=True)
class Options:
    first: date  # first data day
    last: date  # last data day
    output: Path | None
    labels: tuple[tuple[str, str], ...] = ()
    step: int = 3600
    apps: bool = False
    dry_run: bool = False
    wait: bool = False


def make_options(
    *,
    first: str,
    last: str | None,
    output: str | None,
    labels: Sequence[str],
    step: str,
    apps: bool,
    dry_run: bool,
    wait: bool,
    today: date,
) -> Options:
    """Flag strings → Options, or UsageError naming the flag."""
    start = parse_day(first, "--from")
    yesterday = today - timedelta(days=1)
    end = parse_day(last, "--to") if last is not None else yesterday
    if start < FLOOR:
        raise UsageError(f"--from: {start} is before the API's first day, {FLOOR}")
    if end > yesterday:
        raise UsageError(
            f"--to: {end} is not served yet: the API's newest day is yesterday ({yesterday}, UTC)"
        )
    if start > end:
        raise UsageError(f"--from: {start} is after --to {end}")
    if output is None and not dry_run:
        raise UsageError("--output: required (the OpenMetrics file to write), unless --dry-run")
    return Options(
        start,
        end,
        Path(output) if output else None,
        parse_labels(labels),
        parse_step(step),
        apps,
        dry_run,
        wait,
    )


# --- periods, windows and what the live exporter shows when ---------------------------


def day_ts(d: date) -> int:
    return calendar.timegm(d.timetuple())


def bucket_start(d: date, period: str) -> date:
    if period == "week":
        return d - timedelta(days=d.weekday())  # the API buckets by ISO week (Monday)
    if period == "month":
        return d.replace(day=1)
    return d


def bucket_end(start: date, period: str) -> date:
    return period_end(start, period)


def latest_complete(day: date, period: str) -> date:
    """Start of the newest bucket whose last day is on or before ``day``."""
    b = bucket_start(day, period)
    if bucket_end(b, period) <= day:
        return b
    return bucket_start(b - timedelta(days=1), period)


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def split_windows(
    start: date, end: date, period: str = "day", max_days: int = MAX_WINDOW_DAYS
) -> list[Window]:
    """[start, end] in as few windows of at most ``max_days`` as fit, cut only at bucket
    boundaries, and of about equal length.

    A week or month cut in two would come back as two partial buckets with the same date.
    Equal lengths keep the newest window long: a few-day window after a late publication
    would start after the API's newest day, which is a 400.
    """
    windows: list[Window] = []
    cursor = start
    while cursor <= end:
        left = (end - cursor).days + 1
        parts = -(-left // max_days)
        stop = cursor + timedelta(days=-(-left // parts) - 1)
        if stop >= end:
            stop = end
        elif bucket_end(bucket_start(stop, period), period) != stop:
            stop = bucket_start(stop, period) - timedelta(days=1)
        windows.append(Window(cursor, stop))
        cursor = stop + timedelta(days=1)
    return windows


def model_range(view: ModelView, first: date, last: date) -> tuple[date, date]:
    """Days to fetch so every instant from ``first``+1 on has its latest complete period."""
    return max(FLOOR, latest_complete(first, view.period)), last


def model_windows(view: ModelView, first: date, last: date) -> list[Window]:
    start, end = model_range(view, first, last)
    return split_windows(start, end, view.period)


@dataclass(frozen=True)
class Shown:
    """A period and the instants [start, until) at which the live exporter showed it."""

    period: date
    start: int
    until: int


def shown_intervals(buckets: Iterable[date], period: str, hold_days: int) -> list[Shown]:
    """When each bucket is on /metrics: from 00:00 UTC of the day after its last day (when
    the API first serves that day) until the next bucket present replaces it, or until the
    bucket has left the live view's window of ``hold_days`` days, whichever is first."""
    ordered = sorted(set(buckets))
    out: list[Shown] = []
    for i, b in enumerate(ordered):
        last = bucket_end(b, period)
        until = day_ts(last + timedelta(days=hold_days + 1))
        if i + 1 < len(ordered):
            until = min(until, day_ts(bucket_end(ordered[i + 1], period) + timedelta(days=1)))
        out.append(Shown(b, day_ts(last + timedelta(days=1)), until))
    return out


def sample_range(opts: Options, now: float) -> tuple[int, int]:
    """[t0, t1): the day after ``--from`` up to the end of the day after ``--to``, never
    inside the last 3 hours."""
    t0 = day_ts(opts.first + timedelta(days=1))
    t1 = min(day_ts(opts.last + timedelta(days=2)), int(now) - HEAD_SECONDS)
    return t0, t1


# --- the file -------------------------------------------------------------------------


@dataclass
class WriteStats:
    samples: int = 0
    bytes: int = 0
    series: int = 0


class OpenMetricsWriter:
    """Timestamped samples, one contiguous block per family, ``# EOF`` at the end.

    Each family goes to its own spool file as views are added and the spools are joined on
    ``close``, so families are never interleaved and nothing is held in memory but the view
    being added. Within a series, intervals are added in time order, so timestamps strictly
    increase. The file appears under its name only when complete (write, fsync, rename).
    """

    def __init__(
        self,
        path: Path,
        families: Sequence[Family],
        *,
        t0: int,
        t1: int,
        step: int,
        labels: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.path = path
        self.families = list(families)
        self.t0, self.t1, self.step = t0, t1, step
        self._extra = "".join(f',{n}="{escape_label(v)}"' for n, v in labels)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Closed in close()/abort(); unnamed, so a crash leaves nothing behind.
        self._spools: dict[str, IO[str]] = {
            f.name: tempfile.TemporaryFile(  # noqa: SIM115
                "w+",
                encoding="utf-8",
                newline="\n",
                dir=path.parent,
                prefix=".backfill-",
            )
            for f in self.families
        }
        self.stats = WriteStats()

    def add(self, shown: Iterable[tuple[Shown, Fragment]]) -> None:
        """One view's history: each period's rendered lines and when they were showing."""
        by_family: dict[str, dict[str, list[tuple[int, int, str]]]] = {}
        for interval, fragment in shown:
            a = max(interval.start, self.t0)
            b = min(interval.until, self.t1)
            if a >= b:
                continue
            for name, text in fragment.items():
                if name not in self._spools:
                    continue
                series = by_family.setdefault(name, {})
                # split("\n"), not splitlines(): an app name may hold U+2028 and the like.
                for line in text.split("\n"):
                    if line:
                        key, _, value = line.rpartition(" ")
                        series.setdefault(key, []).append((a, b, value))
        step = self.step
        for name, series in by_family.items():
            out = self._spools[name]
            for key, runs in series.items():
                labelled = f"{key[:-1]}{self._extra}}}" if self._extra else key
                written = 0
                for a, b, value in runs:
                    first = -(-a // step) * step  # on the step grid: reruns give equal stamps
                    prefix = f"{labelled} {value} "
                    stamps = range(first, b, step)
                    if stamps:
                        out.write("".join([f"{prefix}{t}\n" for t in stamps]))
                        written += len(stamps)
                if written:
                    self.stats.samples += written
                    self.stats.series += 1

    def close(self) -> WriteStats:
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                for family in self.families:
                    spool = self._spools[family.name]
                    if spool.tell() == 0:
                        continue
                    f.write(family.header())
                    spool.seek(0)
                    shutil.copyfileobj(spool, f, 1 << 20)
                f.write("# EOF\n")
                f.flush()
                os.fsync(f.fileno())
                self.stats.bytes = f.tell()
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a half-written file would only fail in promtool
            raise
        finally:
            self.abort()
        return self.stats

    def abort(self) -> None:
        for spool in self._spools.values():
            spool.close()


def model_history(
    cfg: Config, view: ModelView, rows: Iterable[ModelDayRow], data_end: date
) -> Iterator[tuple[Shown, Fragment]]:
    """Each complete period of a model view, rendered by the live collector."""
    by_bucket: dict[date, list[ModelDayRow]] = {}
    for r in rows:
        by_bucket.setdefault(r.date, []).append(r)
    complete = [b for b in by_bucket if bucket_end(b, view.period) <= data_end]
    collector = ModelRankingsCollector(cfg)
    for shown in shown_intervals(complete, view.period, view.days):
        end = bucket_end(shown.period, view.period)
        snap = Snapshot(
            tx.DATASET_MODELS, view.name, tuple(by_bucket[shown.period]), Meta(end_date=end), 0.0
        )
        yield shown, collector.render(snap)


def app_history(
    cfg: Config, view: AppView, days: dict[date, list[AppRow]]
) -> Iterator[tuple[Shown, Fragment]]:
    """Each fetched day of an app view: the window ending D, shown during D+1."""
    collector = AppRankingsCollector(cfg)
    for shown in shown_intervals(days, "day", 1):
        snap = Snapshot(
            tx.DATASET_APPS, view.name, tuple(days[shown.period]), Meta(end_date=shown.period), 0.0
        )
        yield shown, collector.render(snap)


# --- app progress (resumable across runs) ----------------------------------------------


def _view_file(view: AppView) -> str:
    return re.sub(r"[^a-z0-9.-]+", "_", view.name.lower()) + ".jsonl"


class AppProgress:
    """Fetched app rankings, one JSON line per view and day, fsynced as they arrive, so a
    run that stops (budget, Ctrl-C, crash) loses at most the request in flight."""

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / PROGRESS_DIR
        self._lock_fd: int | None = None

    def lock(self) -> None:
        """One backfill at a time per state_dir, or two would fetch the same days twice."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Stop(f"another backfill is running on {self.dir}", EXIT_FAILED) from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _entries(self, view: AppView) -> Iterator[dict[str, Any]]:
        try:
            f = open(self.dir / _view_file(view), encoding="utf-8")  # noqa: SIM115
        except FileNotFoundError:
            return
        with f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line torn by a crash: that day is simply fetched again
                if (
                    isinstance(entry, dict)
                    and entry.get("view") == view.name
                    and entry.get("depth", 0) >= view.depth
                ):
                    yield entry

    def done_days(self, view: AppView) -> set[date]:
        return {date.fromisoformat(e["day"]) for e in self._entries(view)}

    def load(self, view: AppView) -> dict[date, list[AppRow]]:
        days: dict[date, list[AppRow]] = {}
        for e in self._entries(view):
            days[date.fromisoformat(e["day"])] = [AppRow(*r) for r in e["rows"]]
        return days

    def record(self, view: AppView, day: date, rows: Sequence[AppRow]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        entry = {
            "view": view.name,
            "day": day.isoformat(),
            "depth": view.depth,
            "rows": [
                [r.app_id, r.app_name, r.rank, r.total_requests, r.total_tokens] for r in rows
            ],
        }
        with open(self.dir / _view_file(view), "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
            f.flush()
            os.fsync(f.fileno())


# --- budget figures -------------------------------------------------------------------


@dataclass(frozen=True)
class LogUsage:
    minute: int
    day: int
    ours_day: int  # of ``day``, what backfills spent

    @property
    def others_day(self) -> int:
        return self.day - self.ours_day


def read_log_usage(path: Path, now: float) -> LogUsage:
    """Spend in the shared request log, read without locking or writing (dry runs and
    estimates only; Budget.acquire is what enforces the limits)."""
    entries = read_log(path, now)
    minute = sum(1 for t, _ in entries if t > now - 60)
    ours = sum(1 for _, endpoint in entries if endpoint.startswith(LOG_TAG))
    return LogUsage(minute, len(entries), ours)


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
    return now + free_now / per_minute * 60 + (remaining - free_now) / per_day_for_us * DAY


def _utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


# --- the run --------------------------------------------------------------------------


@dataclass
class Plan:
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


def make_plan(cfg: Config, opts: Options, progress: AppProgress | None) -> Plan:
    windows = {v.name: model_windows(v, opts.first, opts.last) for v in cfg.model_views}
    days = [opts.first + timedelta(days=i) for i in range((opts.last - opts.first).days + 1)]
    views = cfg.app_views if opts.apps else ()
    done = {v.name: progress.done_days(v) for v in views} if progress else {}
    return Plan(windows, days, views, done)


class Backfill:
    def __init__(
        self,
        cfg: Config,
        api_key: str | None,
        opts: Options,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.cfg, self.opts = cfg, opts
        self._key = api_key
        self._transport = transport
        self.clock, self.sleep = clock, sleep
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.state = Path(cfg.state_dir)
        self.progress = AppProgress(self.state)
        self.log_path = self.state / "requests.log"
        self.per_minute = cfg.budget.effective_per_minute
        self.per_day = cfg.budget.effective_per_day
        self.sent = 0
        self.published: date | None = None  # newest day the API served in this run
        self._last_report = 0.0

    def say(self, msg: str) -> None:
        print(f"backfill: {msg}", file=self.err, flush=True)

    # --- plan ----------------------------------------------------------------------

    def describe(self, plan: Plan) -> str:
        o = self.opts
        t0, t1 = sample_range(o, self.clock())
        hours = max(0, t1 - t0) / o.step
        lines = [
            f"data days {o.first} … {o.last} ({len(plan.app_days)} days); a sample every "
            f"{_duration(o.step)} from {_utc(t0)} to {_utc(t1)} (not the last 3 hours)",
            f"model views (rankings-daily, windows of at most {MAX_WINDOW_DAYS} days): "
            f"{plan.model_requests} requests",
        ]
        extra = sum(len(f',{n}="{escape_label(v)}"') for n, v in o.labels)
        est_samples = est_bytes = 0.0
        for v in self.cfg.model_views:
            spans = ", ".join(f"{w.start}…{w.end}" for w in plan.model_windows[v.name])
            n = len(plan.model_windows[v.name])
            lines.append(f"  {v.name:<16} {v.period:<6} {n} request{'s' * (n != 1)}: {spans}")
            est_samples += hours * 152  # top 50 ranks + 51 tokens + 51 shares
        est_bytes += est_samples * (LINE_BYTES["model"] + extra)
        if o.apps:
            pages = sum(v.pages for v in plan.app_views)
            per_day = f" ({pages} pages)" if pages != len(plan.app_views) else ""
            lines.append(
                f"app views (app-rankings, one request per view, day and 100 rows): "
                f"{len(plan.app_views)} views{per_day} × {len(plan.app_days)} days = "
                f"{plan.app_total} requests; {plan.app_total - plan.app_remaining} done in "
                f"earlier runs, {plan.app_remaining} left"
            )
            app_samples = hours * sum(3 * v.depth for v in plan.app_views)
            est_samples += app_samples
            est_bytes += app_samples * (LINE_BYTES["app"] + extra)
        else:
            total = sum(v.pages for v in self.cfg.app_views) * len(plan.app_days)
            lines.append(
                f"app views: not requested (--apps would add up to {total} requests "
                f"for {len(self.cfg.app_views)} views)"
            )
        remaining = plan.model_requests + plan.detect_requests + plan.app_remaining
        usage = read_log_usage(self.log_path, self.clock())
        finish = estimate_finish(remaining, self.clock(), self.per_minute, self.per_day, usage)
        lines.append(
            f"total: {remaining} requests; budget {self.per_day}/day and {self.per_minute}/min "
            f"after the reserve, {usage.day} used in the last 24 hours (shared with the "
            f"exporter via {self.log_path}); estimated finish {_utc(finish)}"
        )
        lines.append(
            f"output: about {est_samples / 1e6:.1f} million samples, about "
            f"{_size(est_bytes)} (promtool 2.42 needs about as much memory; "
            "narrower --from/--to make smaller files)"
        )
        return "\n".join(lines)

    # --- requests --------------------------------------------------------------------

    def _client(self) -> Client:
        budget = Budget(self.per_minute, self.per_day, self.log_path, clock=self.clock)

        def count(_endpoint: str, _code: str, _seconds: float) -> None:
            self.sent += 1

        return Client(
            self.cfg,
            self._key,
            spend=lambda endpoint: budget.spend(LOG_TAG + endpoint),
            observe=count,
            transport=self._transport,
            clock=self.clock,
        )

    def _call(self, fn: Callable[[], T], what: str) -> T:
        """One API call, sitting out short budget waits (and long ones with --wait)."""
        while True:
            try:
                return fn()
            except BudgetExhausted as e:
                self._wait_or_stop(
                    e.wait,
                    f"the request budget for the last {e.window} "
                    "is used up (shared with the running exporter)",
                )
            except RateLimited as e:
                wait = e.retry_after
                if wait is None:
                    wait = RATE_LIMITED_RETRY if self.opts.wait else math.inf
                self._wait_or_stop(
                    wait,
                    f"OpenRouter answered 429 to {what} ({e.message}); "
                    "something else is using the account's budget",
                )
            except Unauthorized as e:
                raise Stop(f"OpenRouter rejected the API key ({e.message})", EXIT_FAILED) from None
            except ApiError as e:
                raise Stop(f"{what} failed: {e.code} {e.message}", EXIT_FAILED) from None

    def _wait_or_stop(self, wait: float, why: str) -> None:
        now = self.clock()
        if wait <= SHORT_WAIT or (self.opts.wait and math.isfinite(wait)):
            if wait > 10:
                self.say(f"{why}; waiting until {_utc(now + wait)}")
            self.sleep(wait + 0.01)
            if wait > 10:
                self.say("resumed")
            return
        when = f" after {_utc(now + wait)}" if math.isfinite(wait) else " later"
        again = f"Run the same command again{when} to continue, or add --wait to keep going"
        if self.opts.apps:
            again = f"App rankings fetched so far are saved in {self.progress.dir}. {again}"
        raise Stop(f"{why}. {again}")

    def fetch_models(self, client: Client, plan: Plan) -> dict[str, tuple[list[ModelDayRow], date]]:
        """Every model view's rows and data end; also learns the newest published day."""
        got: dict[str, tuple[list[ModelDayRow], date]] = {}
        n = 0
        if plan.detect_requests:
            start = max(FLOOR, self.opts.last - timedelta(days=6))
            _rows, meta = self._call(
                lambda: client.rankings_daily(ModelView("detect"), start, self.opts.last),
                "rankings-daily (newest published day)",
            )
            self._saw_end(meta.end_date)
        for view in self.cfg.model_views:
            rows: list[ModelDayRow] = []
            data_end = self.opts.last
            for w in plan.model_windows[view.name]:
                n += 1
                self.say(f"models: {view.name} {w.start} … {w.end} ({n}/{plan.model_requests})")
                page, meta = self._call(
                    lambda v=view, w=w: client.rankings_daily(v, w.start, w.end),
                    f"rankings-daily {view.name}",
                )
                rows.extend(page)
                if meta.end_date is not None:
                    data_end = min(self.opts.last, meta.end_date)
                self._saw_end(meta.end_date)
            got[view.name] = (rows, data_end)
        return got

    def _saw_end(self, end: date | None) -> None:
        # The API clamps end_date to its newest day: a smaller one means later days are late.
        if end is not None and (self.published is None or end > self.published):
            self.published = end

    def fetch_apps(self, client: Client, plan: Plan) -> set[date]:
        """Newest day first, every view per day: a partial history is the recent one.
        Returns the days the API does not serve yet (publication is sometimes late)."""
        total = plan.app_total
        done = total - plan.app_remaining
        # A 1-day window on an unpublished day is a 400 (its start is after the clamped end).
        unpublished = {
            d for d in plan.app_days if self.published is not None and d > self.published
        }
        for day in reversed(plan.app_days):
            for view in plan.app_views:
                if day in plan.app_done.get(view.name, set()) or day in unpublished:
                    continue
                self._report(done, total)
                before = self.sent
                rows, meta, _pages = self._call(
                    lambda v=view, d=day: client.app_rankings(v, d),
                    f"app-rankings {view.name} {day}",
                )
                done += self.sent - before
                if meta.end_date is not None and meta.end_date < day:
                    # Not published yet (the API clamped end_date): fetched again next run.
                    unpublished.add(day)
                    self.say(f"apps: {day} is not published yet; skipped")
                    continue
                self.progress.record(view, day, rows)
                plan.app_done.setdefault(view.name, set()).add(day)
        self._report(done, total, force=True)
        return unpublished

    def _report(self, done: int, total: int, force: bool = False) -> None:
        now = self.clock()
        if not force and now - self._last_report < PROGRESS_EVERY:
            return
        self._last_report = now
        remaining = max(0, total - done)
        usage = read_log_usage(self.log_path, now)
        finish = estimate_finish(remaining, now, self.per_minute, self.per_day, usage)
        self.say(
            f"apps: {done}/{total} requests done, {remaining} remaining; "
            f"{usage.day}/{self.per_day} used in the last 24 hours; estimated finish "
            f"{_utc(finish)}"
        )

    # --- write -----------------------------------------------------------------------

    def write(self, models: dict[str, tuple[list[ModelDayRow], date]]) -> WriteStats:
        assert self.opts.output is not None
        t0, t1 = sample_range(self.opts, self.clock())
        families = [*MODEL_FAMILIES, *(APP_FAMILIES if self.opts.apps else ())]
        writer = OpenMetricsWriter(
            self.opts.output, families, t0=t0, t1=t1, step=self.opts.step, labels=self.opts.labels
        )
        try:
            for view in self.cfg.model_views:
                rows, data_end = models[view.name]
                writer.add(model_history(self.cfg, view, rows, data_end))
            if self.opts.apps:
                for app_view in self.cfg.app_views:
                    days = {
                        d: r
                        for d, r in self.progress.load(app_view).items()
                        if self.opts.first <= d <= self.opts.last
                    }
                    writer.add(app_history(self.cfg, app_view, days))
            return writer.close()
        except BaseException:
            writer.abort()
            raise

    def run(self) -> int:
        o = self.opts
        plan = make_plan(self.cfg, o, self.progress if o.apps else None)
        if o.dry_run:
            print("backfill plan (dry run: nothing is sent)", file=self.out)
            print(self.describe(plan), file=self.out, flush=True)
            return EXIT_OK
        if not self._key:
            raise UsageError("no API key: set OPENROUTER_API_KEY or openrouter.api_key_file")
        if not o.labels:
            self.say(
                "warning: no --label given; scraped series carry job and instance, so "
                "pass the same ones (--label job=… --label instance=…) or the history "
                "will not join them"
            )
        started = time.monotonic()
        self.say(self.describe(plan).replace("\n", "\nbackfill: "))
        stopped: Stop | None = None
        client = self._client()
        try:
            if o.apps:
                self.progress.lock()
            models = self.fetch_models(client, plan)
            if o.apps and plan.app_views:
                try:
                    late = self.fetch_apps(client, plan)
                    if late:
                        stopped = Stop(
                            f"{', '.join(map(str, sorted(late)))} not published "
                            "yet; run the same command again later to add it"
                        )
                except Stop as e:
                    if e.code != EXIT_INCOMPLETE:
                        raise
                    stopped = e  # write what there is; the next run continues
            try:
                stats = self.write(models)
            except OSError as e:
                raise Stop(f"cannot write {o.output}: {e.strerror or e}", EXIT_FAILED) from None
        except Stop as e:
            kept = ""
            if o.apps and e.code == EXIT_FAILED and self.progress.dir.exists():
                kept = (
                    f" (app rankings fetched so far are kept in {self.progress.dir}; "
                    "the next run continues from there)"
                )
            self.say(f"stopped: {e.message}{kept}")
            return e.code
        finally:
            client.close()
            self.progress.unlock()
        assert o.output is not None
        self.say(
            f"wrote {o.output}: {stats.samples} samples in {stats.series} series, "
            f"{_size(stats.bytes)}, {self.sent} requests, "
            f"{time.monotonic() - started:.1f}s"
        )
        self.say(
            f"load it with: promtool tsdb create-blocks-from openmetrics "
            f"--max-block-duration=8760h {o.output} DIR (then move DIR's blocks into "
            f"Prometheus's data directory)"
        )
        if stopped is not None:
            left = make_plan(self.cfg, o, self.progress).app_remaining
            self.say(f"incomplete: {left} app requests left. {stopped.message}")
            return stopped.code
        return EXIT_OK


def run(cfg: Config, api_key: str | None, opts: Options, **kw: Any) -> int:
    return Backfill(cfg, api_key, opts, **kw).run()
