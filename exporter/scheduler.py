"""The poll loop: spend requests where data changes, inside the budget, through faults.

``step()`` does at most one view refresh and says how long until the next thing is due,
so tests drive it with a simulated clock and the real loop just sleeps in between.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from exporter import taxonomy as tx
from exporter.budget import Budget
from exporter.client import (
    ApiError,
    BadRequest,
    BudgetExhausted,
    Client,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedContentType,
)
from exporter.config import AppView, Config, ModelView
from exporter.planner import SESSION_COST_EVERY, SETTLE_DELAYS, Plan, plan
from exporter.selfmetrics import ViewStatus
from exporter.snapshot import Snapshot
from exporter.store import Store, atomic_write

log = logging.getLogger(__name__)

BACKOFF_BASE, BACKOFF_CAP = 30.0, 1800.0
UNAUTHORIZED_RETRY = 3600.0  # a bad key rarely fixes itself: ask again hourly
PACE_AFTER_429 = 600.0  # after a 429, send at most half the minute budget for this long
NEVER = math.inf


def utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def day_start(d: date) -> float:
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()


@dataclass
class Task:
    dataset: str
    view: str
    cost: int
    priority: int
    group: int
    status: ViewStatus
    app_view: AppView | None = None
    model_view: ModelView | None = None
    due: float = 0.0
    failures: int = 0
    misconfigured: str | None = None  # the API's 400 message
    end_date: date | None = None  # data end of the snapshot served
    settle: list[float] = field(default_factory=list)  # re-polls after ``due`` while D-1 settles

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, self.view)

    @property
    def fingerprint(self) -> str:
        return repr(self.app_view or self.model_view or self.view)


class Scheduler:
    def __init__(
        self,
        cfg: Config,
        client: Client,
        budget: Budget,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.cfg = cfg
        self.client = client
        self.budget = budget
        self.store = store
        self.clock = clock
        self.rng = rng or random.Random()
        self.plan: Plan = plan(cfg)
        self.state_file = state_dir / "scheduler.json" if state_dir else None
        app_views = {v.name: v for v in cfg.app_views}
        model_views = {v.name: v for v in cfg.model_views}
        self.tasks: list[Task] = []
        for p in self.plan.views:
            mv = model_views.get(p.view) if p.dataset == tx.DATASET_MODELS else None
            if p.dataset == tx.DATASET_MODELS and mv is None:
                mv = ModelView(p.view, "day", 7)  # the internal detector
            self.tasks.append(
                Task(
                    p.dataset,
                    p.view,
                    p.requests,
                    p.priority,
                    p.group,
                    ViewStatus(p.dataset, p.view),
                    app_view=app_views.get(p.view) if p.dataset == tx.DATASET_APPS else None,
                    model_view=mv,
                )
            )
        self.detector = self.tasks[0]
        self.latest_day: date | None = None  # newest published day seen
        self.hold_until = 0.0  # after a 429 or a bad key: nothing is sent before this
        self.pace_until = 0.0
        self.unauthorized = False
        self.outage = False
        self._last_sent = 0.0
        self._restore()

    # --- start-up -------------------------------------------------------------------

    def _restore(self) -> None:
        """Serve what the store has, and only fetch what is missing or out of date."""
        keys = [t.key for t in self.tasks if t.view != "_detector"]
        self.store.load(keys)
        self.store.retain(keys)
        snaps = self.store.snapshots()
        misconfigured = self._load_state().get("misconfigured", {})
        now = self.clock()
        for t in self.tasks:
            snap = snaps.get(t.key)
            if snap is not None:
                t.status.last_success = snap.fetched_at
                t.end_date = snap.meta.end_date
            bad = misconfigured.get(f"{t.dataset}|{t.view}")
            if bad and bad.get("fingerprint") == t.fingerprint:
                t.misconfigured = bad.get("message", "400")
                t.status.up = False
                t.status.error = f"misconfigured: {t.misconfigured}"
                t.due = NEVER
        if self.detector.end_date is not None:
            self.latest_day = self.detector.end_date
        for t in self.tasks:
            if t.misconfigured:
                continue
            if t is self.detector:
                t.due = self._next_detect(now) if t.end_date else now
            elif t.dataset == tx.DATASET_SESSION_COST:
                last = t.status.last_success
                t.due = now if last is None else max(now, last + SESSION_COST_EVERY)
            elif self._current(t):
                t.due = NEVER  # current: wait for its next turn
            else:
                t.due = now
        self._publish_due()

    def _current(self, t: Task) -> bool:
        """Served data is as new as the plan asks (a rotated app view: within its turn)."""
        return self.latest_day is not None and not self._missed(t, self.latest_day)

    def _missed(self, t: Task, day: date) -> bool:
        """The view lacks a day the plan refreshes it for, up to ``day``: any newer day for
        most views; for a rotated app view, a day of its group's turn. Days published
        together (one was late) or a turn lost to a failure and a restart count too."""
        if t.end_date is None:
            return True
        if t.end_date >= day:
            return False
        span = self.plan.rotation_days
        if t.dataset != tx.DATASET_APPS or span == 1 or (day - t.end_date).days >= span:
            return True
        first, last = t.end_date.toordinal() + 1, day.toordinal()
        return any(d % span == t.group for d in range(first, last + 1))

    def _load_state(self) -> dict:
        if self.state_file is None or not self.state_file.exists():
            return {}
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError) as e:
            log.warning(
                "scheduler state %s unreadable (%s); starting without it", self.state_file, e
            )
            return {}

    def _save_state(self) -> None:
        if self.state_file is None:
            return
        state = {
            "misconfigured": {
                f"{t.dataset}|{t.view}": {"fingerprint": t.fingerprint, "message": t.misconfigured}
                for t in self.tasks
                if t.misconfigured
            }
        }
        atomic_write(self.state_file, json.dumps(state, indent=1).encode())

    # --- timing ---------------------------------------------------------------------

    def _next_detect(self, now: float) -> float:
        """The next day can be published once it has closed: never poll before that."""
        if self.latest_day is None:
            return now
        possible = day_start(self.latest_day + timedelta(days=2))
        return max(possible, now + self.plan.detect_every)

    def _backoff(self, failures: int) -> float:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, failures - 1))
        return delay * self.rng.uniform(0.8, 1.2)

    def _publish_due(self) -> None:
        for t in self.tasks:
            t.status.next_refresh = None if math.isinf(t.due) else max(t.due, self.hold_until)

    def statuses(self) -> Iterable[ViewStatus]:
        return [t.status for t in self.tasks if t.view != "_detector"]

    # --- the loop -------------------------------------------------------------------

    def _due_tasks(self, now: float) -> list[Task]:
        due = []
        for t in self.tasks:
            if t.misconfigured:
                continue
            if t.due <= now:
                due.append(t)
        return sorted(due, key=lambda t: (t.priority, t.due))

    def step(self) -> float:
        """Refresh at most one due view; seconds until something is due again."""
        now = self.clock()
        if now < self.hold_until:
            return self.hold_until - now
        due = self._due_tasks(now)
        if not due:
            nxt = min([t.due for t in self.tasks if not t.misconfigured] + [now + 3600])
            return max(1.0, nxt - now)
        task = due[0]
        wait = self.budget.wait_time(task.cost)
        if now < self.pace_until:
            # Lowered pace after a 429: at most half the minute budget.
            spacing = 120.0 / max(1, self.plan.budget_per_minute)
            wait = max(wait, self._last_sent + spacing - now)
        if wait > 0:
            if math.isinf(wait):
                task.due = NEVER
                task.status.up = False
                task.status.error = "needs more requests than the budget allows"
                return 1.0
            self._publish_due()
            return wait
        self._run(task, now)
        self._publish_due()
        return 0.0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                wait = self.step()
            except Exception:  # a bug must not kill polling; the server keeps serving
                log.exception("scheduler step failed; retrying in 60s")
                wait = 60.0
            stop.wait(min(wait, 300.0))

    # --- one refresh ----------------------------------------------------------------

    def _fetch(self, t: Task, now: float) -> Snapshot:
        today = utc_day(now)
        if t.dataset == tx.DATASET_MODELS:
            assert t.model_view is not None
            days = t.model_view.days
            if t is self.detector or self.latest_day is None:
                # A week of slack: a start after the (delayed) latest day would be a 400.
                rows, meta = self.client.rankings_daily(
                    t.model_view, start=today - timedelta(days=days + 7)
                )
            else:
                rows, meta = self.client.rankings_daily(
                    t.model_view,
                    start=self.latest_day - timedelta(days=days - 1),
                    end=self.latest_day,
                )
            return Snapshot(t.dataset, t.view, tuple(rows), meta, self.clock(), 1)
        if t.dataset == tx.DATASET_APPS:
            assert t.app_view is not None and self.latest_day is not None
            rows, meta, pages = self.client.app_rankings(t.app_view, self.latest_day)
            return Snapshot(t.dataset, t.view, tuple(rows), meta, self.clock(), pages)
        rows_sc, meta, pages = self.client.session_cost()
        return Snapshot(t.dataset, t.view, tuple(rows_sc), meta, self.clock(), pages)

    def _run(self, t: Task, now: float) -> None:
        if t.dataset == tx.DATASET_APPS and self.latest_day is None:
            t.due = now + 1  # needs the detector's day first
            self.detector.due = min(self.detector.due, now)
            return
        self._last_sent = now
        try:
            snap = self._fetch(t, now)
        except BudgetExhausted as e:
            t.due = now + e.wait  # another process spent it; not a failure
            return
        except Unauthorized as e:
            self._unauthorized(t, e, now)
            return
        except BadRequest as e:
            t.misconfigured = e.message
            t.status.up = False
            t.status.error = f"misconfigured: {e.message}"
            t.due = NEVER
            log.error(
                "view %s/%s is misconfigured, the API answered 400: %s; not retried "
                "until the config changes",
                t.dataset,
                t.view,
                e.message,
            )
            self._save_state()
            return
        except ApiError as e:
            self._failed(t, e, now)
            return
        self._succeeded(t, snap, now)

    def _unauthorized(self, t: Task, e: ApiError, now: float) -> None:
        if not self.unauthorized:
            log.error(
                "OpenRouter rejected the API key (401: %s); polling paused, serving the "
                "last good data, retrying every %.0f min",
                e.message,
                UNAUTHORIZED_RETRY / 60,
            )
        self.unauthorized = True
        for other in self.tasks:
            other.status.up = False
            other.status.error = "API key rejected (401)"
        self.hold_until = now + UNAUTHORIZED_RETRY
        # Only the detector asks again; the rest follow once it succeeds.
        self.detector.due = min(self.detector.due, self.hold_until)
        t.due = max(t.due, self.hold_until)

    def _failed(self, t: Task, e: ApiError, now: float) -> None:
        t.failures += 1
        t.status.up = False
        t.status.error = f"{type(e).__name__}: {e.message}"
        if isinstance(e, RateLimited):
            wait = e.retry_after if e.retry_after is not None else self._backoff(t.failures)
            wait = min(max(wait, 1.0), 86400.0)
            self.hold_until = max(self.hold_until, now + wait)
            self.pace_until = now + max(wait, PACE_AFTER_429)
            t.due = now + wait
            log.warning(
                "rate limited (429) on %s/%s: %s; waiting %.0fs, then half pace",
                t.dataset,
                t.view,
                e.message,
                wait,
            )
            return
        t.due = now + self._backoff(t.failures)
        if isinstance(e, TransportError | ServerError | UnexpectedContentType):
            # An outage fails every view alike: say so once, not once per view.
            if not self.outage:
                log.warning(
                    "OpenRouter API unavailable (%s: %s); retrying with backoff, "
                    "serving the last good data",
                    type(e).__name__,
                    e.message,
                )
            self.outage = True
            return
        lvl = logging.WARNING if t.failures == 1 else logging.DEBUG
        log.log(
            lvl,
            "refresh of %s/%s failed (%s: %s); retry in %.0fs",
            t.dataset,
            t.view,
            type(e).__name__,
            e.message,
            t.due - now,
        )

    def _succeeded(self, t: Task, snap: Snapshot, now: float) -> None:
        if self.outage:
            log.info("OpenRouter API answers again")
            self.outage = False
        if self.unauthorized:
            log.info("the API key is accepted again; polling resumes")
            self.unauthorized = False
            for other in self.tasks:
                if other.status.error and "401" in other.status.error:
                    other.status.error = None
                    other.status.up = None if other.status.last_success is None else True
        t.failures = 0
        t.status.up = True
        t.status.error = None
        t.status.last_success = snap.fetched_at
        t.end_date = snap.meta.end_date
        if t.view != "_detector":
            self.store.put(snap)
        if t is self.detector:
            self._detected(snap, now)
        elif t.dataset == tx.DATASET_SESSION_COST:
            t.due = now + SESSION_COST_EVERY
        else:
            # This refresh also covers any re-poll that came due while it was retrying.
            t.settle = [s for s in t.settle if s > now]
            t.due = t.settle.pop(0) if t.settle else NEVER

    def _detected(self, snap: Snapshot, now: float) -> None:
        day = snap.meta.end_date
        if day is not None and (self.latest_day is None or day > self.latest_day):
            first = self.latest_day is None
            self.latest_day = day
            log.info("new published day %s: refreshing views", day)
            for t in self.tasks[1:]:
                if t.dataset == tx.DATASET_SESSION_COST or t.misconfigured:
                    continue
                if self._missed(t, day):
                    t.due = min(t.due, now)
                    rounds = self.plan.rounds - 1
                    t.settle = [] if first else [now + d for d in SETTLE_DELAYS[:rounds]]
        self.detector.due = self._next_detect(now)
