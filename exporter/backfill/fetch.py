"""The backfill's requests, through the same ``Budget`` and request log as the running
exporter: the ``HistoryRun`` each dataset's history fetches with (its requests and their
order are the history's own).

Short budget waits (the per-minute window) are sat out; longer ones stop the run with exit
3 and say when to run it again, unless ``--wait`` was given.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO, TypeVar

import httpx

from exporter.backfill.estimate import LOG_TAG, progress_line, read_log_usage
from exporter.backfill.options import Options
from exporter.budget import Budget, BudgetExhausted
from exporter.client import ApiError, Client, RateLimited, Unauthorized
from exporter.config import Config
from exporter.datasets.history import Progress
from exporter.periods import utc_minute

SHORT_WAIT = 90.0  # budget waits up to this long (the per-minute window) are sat out
RATE_LIMITED_RETRY = 600.0  # with --wait, a 429 without Retry-After is retried this often
PROGRESS_EVERY = 5.0  # seconds between progress lines
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

T = TypeVar("T")


class Stop(Exception):
    """The run cannot go on now (budget, 429, API error); what is saved stays saved."""

    def __init__(self, message: str, code: int = EXIT_INCOMPLETE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Fetcher:
    """One run's requests: the ``HistoryRun`` every dataset's history fetches through."""

    def __init__(
        self,
        cfg: Config,
        api_key: str | None,
        opts: Options,
        kept: Sequence[Progress] = (),
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        err: TextIO | None = None,
    ) -> None:
        self.cfg, self.opts, self.kept = cfg, opts, kept
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

    def call(self, fn: Callable[[], T], what: str) -> T:
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
        saved = [f"{k.what.capitalize()} fetched so far are saved in {k.dir}." for k in self.kept]
        raise Stop(" ".join([f"{why}.", *saved, again]))

    def note_published(self, end: date | None) -> None:
        # The API clamps end_date to its newest day: a smaller one means later days are late.
        if end is not None and (self.published is None or end > self.published):
            self.published = end

    def report(self, what: str, done: int, total: int, *, force: bool = False) -> None:
        now = self.clock()
        if force or now - self._last_report >= PROGRESS_EVERY:
            self._last_report = now
            usage = read_log_usage(self.log_path, now)
            line = progress_line(what, done, total, now, self.per_minute, self.per_day, usage)
            self.say(line)
