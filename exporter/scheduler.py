"""The poll loop: orders due views, spends the budget, records what happened.

What each view fetches and when it is due belongs to its dataset (``exporter.datasets``);
what a failure does to the schedule to ``exporter.failures``. ``step()`` does at most one
view refresh and says how long until the next thing is due, so tests drive it with a
simulated clock and the real loop just sleeps in between.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from exporter.budget import Budget, BudgetExhausted
from exporter.client import ApiError, BadRequest, Client, Unauthorized
from exporter.config import Config
from exporter.datasets import NEVER, REGISTRY, PlannedView, Publication, View
from exporter.failures import Failures
from exporter.periods import utc_day
from exporter.planner import SETTLE_DELAYS, Plan, plan
from exporter.refusals import Refusals
from exporter.snapshot import Snapshot
from exporter.store import Store
from exporter.viewstatus import ViewState, ViewStatus

log = logging.getLogger(__name__)

IDLE = 3600.0  # the longest step() asks to wait when nothing is due
NO_KEY = "set OPENROUTER_API_KEY or openrouter.api_key_file; nothing is sent without a key"
TOO_COSTLY = "needs more requests than the budget allows"
NO_KEY_LOG = (
    "no API key (set OPENROUTER_API_KEY or openrouter.api_key_file): polling is off and "
    "nothing is sent; stored data, if any, is served. `openrouter-exporter demo` needs no key"
)


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
        polling: bool = True,
    ) -> None:
        self.client = client
        self.budget = budget
        self.store = store
        self.clock = clock
        self.plan: Plan = plan(cfg)
        self.days = Publication(self.plan.detect_every, self.plan.rotation_days)
        self.views = [_view(cfg, p) for p in self.plan.views]
        self.detector = self.views[0]
        self.failures = Failures(rng or random.Random())
        self.refusals = Refusals(state_dir)
        self.no_key = not polling
        self._last_sent = 0.0
        if self.no_key:
            log.error(NO_KEY_LOG)
        self._restore()

    # What the status page shows about polling as a whole.

    @property
    def hold_until(self) -> float:
        return self.failures.hold_until

    @property
    def unauthorized(self) -> bool:
        return self.failures.unauthorized

    @property
    def outage(self) -> bool:
        return self.failures.outage

    def statuses(self) -> Iterable[ViewStatus]:
        return [v.status for v in self.views if v.planned.exported]

    # --- start-up -------------------------------------------------------------------

    def _restore(self) -> None:
        """Serve what the store has, and only fetch what is missing or out of date."""
        keys = [v.key for v in self.views if v.planned.exported]
        self.store.load(keys)  # only configured views: others leave /metrics
        restore_states(self.views, self.store, self.refusals, self.no_key)
        self.days.latest = self.detector.end_date
        now = self.clock()
        for v in self.views:
            v.due = NEVER if v.held else v.dataset.first_due(v, now, self.days)
        self._publish_due()

    # --- the loop -------------------------------------------------------------------

    def step(self) -> float:
        """Refresh at most one due view; seconds until something is due again."""
        now = self.clock()
        if now < self.failures.hold_until:
            return self.failures.hold_until - now
        due = sorted(
            (v for v in self.views if v.due <= now), key=lambda v: (v.planned.priority, v.due)
        )
        if not due:
            return max(1.0, min([v.due for v in self.views] + [now + IDLE]) - now)
        view = due[0]
        wait = max(
            self.budget.wait_time(view.planned.requests),
            self.failures.pace_wait(now, self._last_sent, self.plan.budget_per_minute),
        )
        if math.isinf(wait):
            view.status.set(ViewState.TOO_COSTLY, TOO_COSTLY)
            view.due = NEVER
            wait = 1.0
        elif wait <= 0:
            self._refresh(view, now)
        self._publish_due()
        return max(wait, 0.0)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                wait = self.step()
            except Exception:  # a bug must not kill polling; the server keeps serving
                log.exception("scheduler step failed; retrying in 60s")
                wait = 60.0
            stop.wait(min(wait, 300.0))

    def _publish_due(self) -> None:
        hold = self.failures.hold_until
        for v in self.views:
            nxt = v.dataset.next_refresh(v, self.days, self.detector.due)
            v.status.next_refresh = nxt if math.isinf(nxt) else max(nxt, hold)

    # --- one refresh ----------------------------------------------------------------

    def _refresh(self, view: View, now: float) -> None:
        if not view.dataset.ready(view, self.days):
            view.due = now + 1  # needs the detector's day first
            self.detector.due = min(self.detector.due, now)
            return
        self._last_sent = now
        try:
            rows, meta = view.dataset.fetch(self.client, view, self.days, utc_day(now))
        except BudgetExhausted as e:
            view.due = now + e.wait  # another process spent it; not a failure
        except Unauthorized as e:
            self.failures.key_rejected(view, e, now, self.views)
            # Only the detector asks again; the rest follow once it succeeds.
            self.detector.due = min(self.detector.due, self.failures.hold_until)
        except BadRequest as e:
            self.failures.refused(view, e)
            self.refusals.save(self.views)
        except ApiError as e:
            self.failures.failed(view, e, now)
        else:
            snap = Snapshot(view.planned.dataset, view.name, tuple(rows), meta, self.clock())
            self._succeeded(view, snap, now)

    def _succeeded(self, view: View, snap: Snapshot, now: float) -> None:
        self.failures.recovered(self.views)
        view.failures = 0
        view.status.set(ViewState.OK)
        view.status.last_success = snap.fetched_at
        view.end_date = snap.meta.end_date
        if view.planned.exported:
            self.store.put(snap)
        day = view.dataset.announces(view, snap.meta)
        if day is not None:
            self._new_day(day, now)
        view.due = view.dataset.after_success(view, now, self.days)

    def _new_day(self, day: date, now: float) -> None:
        if self.days.latest is not None and day <= self.days.latest:
            return
        first = self.days.latest is None
        self.days.latest = day
        log.info("new published day %s: refreshing views", day)
        settle = [] if first else [now + d for d in SETTLE_DELAYS[: self.plan.rounds - 1]]
        for v in self.views:
            if v is not self.detector and not v.held and v.dataset.wants(v, day, self.days):
                v.due = min(v.due, now)
                v.settle = list(settle)


def _view(cfg: Config, planned: PlannedView) -> View:
    dataset = REGISTRY[planned.dataset]
    status = ViewStatus(planned.dataset, planned.view)
    return View(dataset, planned, dataset.spec(cfg, planned), status)


def restore_states(views: list[View], store: Store, refusals: Refusals, no_key: bool) -> None:
    """Each view's data end and last success from the store; refused and key-less views
    held."""
    snaps = store.snapshots()
    refused = refusals.load()
    for v in views:
        snap = snaps.get(v.key)
        if snap is not None:
            v.status.last_success = snap.fetched_at
            v.end_date = snap.meta.end_date
        fingerprint, message = refused.get(v.key, (None, ""))
        if fingerprint == v.fingerprint:
            v.status.set(ViewState.MISCONFIGURED, message)
        elif no_key:
            v.status.set(ViewState.NO_KEY, NO_KEY)
