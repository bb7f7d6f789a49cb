"""The backfill's requests: model history in windows of up to 366 days, app rankings one
view and day at a time (newest first), through the same ``Budget`` and request log as the
running exporter.

Short budget waits (the per-minute window) are sat out; longer ones stop the run with exit
3 and say when to run it again, unless ``--wait`` was given.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO, TypeVar

import httpx

from exporter.backfill.estimate import LOG_TAG, RequestPlan, progress_line, read_log_usage
from exporter.backfill.options import FLOOR, Options
from exporter.budget import Budget, BudgetExhausted
from exporter.client import ApiError, Client, RateLimited, Unauthorized
from exporter.config import Config, ModelView
from exporter.datasets.apps import app_rankings
from exporter.datasets.apps.progress import AppProgress
from exporter.datasets.models import ModelDayRow, rankings_daily
from exporter.datasets.models.history import ModelFetch
from exporter.periods import utc_minute

SHORT_WAIT = 90.0  # budget waits up to this long (the per-minute window) are sat out
RATE_LIMITED_RETRY = 600.0  # with --wait, a 429 without Retry-After is retried this often
PROGRESS_EVERY = 5.0  # seconds between progress lines
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

T = TypeVar("T")
ModelHistory = dict[str, ModelFetch]  # by view name


class Stop(Exception):
    """The run cannot go on now (budget, 429, API error); what is saved stays saved."""

    def __init__(self, message: str, code: int = EXIT_INCOMPLETE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Fetcher:
    def __init__(
        self,
        cfg: Config,
        api_key: str | None,
        opts: Options,
        progress: AppProgress,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        err: TextIO | None = None,
    ) -> None:
        self.cfg, self.opts, self.progress = cfg, opts, progress
        self.clock, self.sleep = clock, sleep
        self.err = err or sys.stderr
        self.log_path = Path(cfg.state_dir) / "requests.log"
        self.per_minute = cfg.budget.effective_per_minute
        self.per_day = cfg.budget.effective_per_day
        self.sent = 0
        self.published: date | None = None  # newest day the API served in this run
        self._last_report = 0.0
        budget = Budget(self.per_minute, self.per_day, self.log_path, clock=clock)
        self.client = Client(
            cfg,
            api_key,
            spend=lambda endpoint: budget.spend(LOG_TAG + endpoint),
            observe=self._count,
            transport=transport,
            clock=clock,
        )

    def _count(self, _endpoint: str, _code: str, _seconds: float) -> None:
        self.sent += 1  # called once per request that was sent, whatever its outcome

    def say(self, msg: str) -> None:
        print(f"backfill: {msg}", file=self.err, flush=True)

    # --- one call, with the budget's and the API's waits ------------------------------

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
                self.say(f"{why}; waiting until {utc_minute(now + wait)}")
            self.sleep(wait + 0.01)
            if wait > 10:
                self.say("resumed")
            return
        when = f" after {utc_minute(now + wait)}" if math.isfinite(wait) else " later"
        again = f"Run the same command again{when} to continue, or add --wait to keep going"
        if self.opts.apps:
            again = f"App rankings fetched so far are saved in {self.progress.dir}. {again}"
        raise Stop(f"{why}. {again}")

    # --- the datasets -----------------------------------------------------------------

    def models(self, plan: RequestPlan) -> ModelHistory:
        """Every model view's rows and data end; also learns the newest published day."""
        got: ModelHistory = {}
        n = 0
        if plan.detect_requests:
            start = max(FLOOR, self.opts.last - timedelta(days=6))
            _rows, meta = self._call(
                lambda: rankings_daily(self.client, ModelView("detect"), start, self.opts.last),
                "rankings-daily (newest published day)",
            )
            self._saw_end(meta.end_date)
        for view in self.cfg.model_views:
            rows: list[ModelDayRow] = []
            data_end, as_of = self.opts.last, None
            for w in plan.model_windows[view.name]:
                n += 1
                self.say(f"models: {view.name} {w.start} … {w.end} ({n}/{plan.model_requests})")
                page, meta = self._call(
                    lambda v=view, w=w: rankings_daily(self.client, v, w.start, w.end),
                    f"rankings-daily {view.name}",
                )
                rows.extend(page)
                as_of = meta.as_of or as_of
                if meta.end_date is not None:
                    data_end = min(self.opts.last, meta.end_date)
                self._saw_end(meta.end_date)
            got[view.name] = ModelFetch(rows, data_end, as_of)
        return got

    def _saw_end(self, end: date | None) -> None:
        # The API clamps end_date to its newest day: a smaller one means later days are late.
        if end is not None and (self.published is None or end > self.published):
            self.published = end

    def apps(self, plan: RequestPlan) -> set[date]:
        """Newest day first, every view per day: a partial history is the recent one.
        Returns the days the API does not serve yet (publication is sometimes late)."""
        total = plan.app_total
        done = total - plan.app_remaining
        # A 1-day window on an unpublished day is a 400 (its start is after the clamped end).
        unpublished = {d for d in plan.app_days if self.published and d > self.published}
        for day in reversed(plan.app_days):
            for view in plan.app_views:
                if day in plan.app_done.get(view.name, set()) or day in unpublished:
                    continue
                self._report(done, total)
                before = self.sent
                rows, meta, _pages = self._call(
                    lambda v=view, d=day: app_rankings(self.client, v, d),
                    f"app-rankings {view.name} {day}",
                )
                done += self.sent - before
                if meta.end_date is not None and meta.end_date < day:
                    # Not published yet (the API clamped end_date): fetched again next run.
                    unpublished.add(day)
                    self.say(f"apps: {day} is not published yet; skipped")
                    continue
                self.progress.record(view, day, rows, meta.as_of)
                plan.app_done.setdefault(view.name, set()).add(day)
        self._report(done, total, force=True)
        return unpublished

    def _report(self, done: int, total: int, force: bool = False) -> None:
        now = self.clock()
        if force or now - self._last_report >= PROGRESS_EVERY:
            self._last_report = now
            usage = read_log_usage(self.log_path, now)
            self.say(progress_line(done, total, now, self.per_minute, self.per_day, usage))
