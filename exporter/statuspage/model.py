"""What the status page shows, as plain data: banners, the budget, the market, the views
and the plan. ``page_model`` is the one function that reads the running exporter; every
other function here takes plain values, so the renderer can be tested without one.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from exporter import __version__
from exporter.config import BudgetConfig
from exporter.datasets import REGISTRY, source
from exporter.planner import Plan
from exporter.snapshot import Snapshot
from exporter.statuspage.market import Market, market
from exporter.statuspage.source import PageSource
from exporter.viewstatus import Key, ViewState, ViewStatus


class State(enum.Enum):
    """A view's state as a person reads it: (css tone, icon, words). Never colour alone."""

    OK = ("good", "✓", "ok")
    PENDING = ("muted", "…", "waiting for first data")
    FAILING = ("bad", "✗", "failing")
    UNAUTHORIZED = ("bad", "✗", "key rejected")
    MISCONFIGURED = ("warn", "⚠", "misconfigured")
    TOO_COSTLY = ("warn", "⚠", "costs more than the minute budget")
    NO_KEY = ("muted", "–", "not polled: no API key")

    @property
    def tone(self) -> str:
        return self.value[0]

    @property
    def icon(self) -> str:
        return self.value[1]

    @property
    def words(self) -> str:
        return self.value[2]


@dataclass(frozen=True)
class Pause:
    """Why nothing is being sent, if that is the case."""

    no_key: bool = False
    unauthorized: bool = False
    rate_limited_until: float | None = None  # the scheduler's hold after a 429
    budget_free_at: float | None = None  # when the 24 h window has room again
    retry_at: float | None = None  # the next try after a rejected key
    outage: bool = False


@dataclass(frozen=True)
class Banner:
    tone: str  # info, warn, bad
    icon: str  # info, pause, warning: drawn as inline SVG, whatever fonts are installed
    title: str
    text: str
    next_try: float | None = None


@dataclass(frozen=True)
class Meter:
    label: str
    used: int
    allowed: int  # what the exporter allows itself (the configured limit minus the reserve)
    limit: int  # the configured limit, reserve included
    planned: int | None = None


@dataclass(frozen=True)
class Budget:
    minute: Meter
    day: Meter
    reserve: float


@dataclass(frozen=True)
class ViewRow:
    view: str
    state: State
    end_date: date | None
    as_of: datetime | None
    last_success: float | None
    next_refresh: float | None
    error: str | None


@dataclass(frozen=True)
class ViewGroup:
    dataset: str
    source: str
    rows: tuple[ViewRow, ...]

    @property
    def counts(self) -> list[tuple[State, int]]:
        c = Counter(r.state for r in self.rows)
        return [(s, c[s]) for s in State if c[s]]

    @property
    def errors(self) -> list[tuple[str, int]]:
        return Counter(r.error for r in self.rows if r.error).most_common()


@dataclass(frozen=True)
class PlanLine:
    label: str
    text: str


@dataclass(frozen=True)
class PlanSummary:
    lines: tuple[PlanLine, ...]
    per_day: int
    allowed_per_day: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class PageModel:
    version: str
    demo: bool
    now: float
    upstream: str
    telemetry_path: str
    banners: tuple[Banner, ...]
    budget: Budget
    market: Market
    groups: tuple[ViewGroup, ...]
    plan: PlanSummary


# --- banners ---------------------------------------------------------------------------


DEMO = Banner(
    "info",
    "info",
    "Demo: simulated data, not OpenRouter's.",
    "Every ranking, share and cost on this page comes from the exporter's built-in "
    "simulator. Set OPENROUTER_API_KEY and run the exporter without `demo` to see the "
    "real market.",
)
NO_KEY = Banner(
    "warn",
    "pause",
    "Polling is off: no API key is configured.",
    "The exporter sends no requests without a key. Set OPENROUTER_API_KEY or "
    "`openrouter.api_key_file` and restart it (or try `openrouter-exporter demo`, which "
    "needs none).",
)
REJECTED = Banner(
    "bad",
    "pause",
    "Polling paused: OpenRouter rejected the API key (401).",
    "The last good data stays served. Check the key; the exporter tries it again by itself.",
)
RATE_LIMITED = Banner(
    "warn",
    "pause",
    "Polling paused: OpenRouter answered 429 (rate limited).",
    "Something else may be using the same account's 500 requests a day. The exporter "
    "waits, then polls at half pace for a while.",
)
BUDGET_USED_UP = Banner(
    "warn",
    "pause",
    "Polling paused: the 24-hour request budget is used up.",
    "Requests are counted in a log shared by every process using this state directory; "
    "the oldest ones age out of the window one by one.",
)
OUTAGE = Banner(
    "warn",
    "warning",
    "OpenRouter's API is not answering.",
    "Views are retried with backoff; the last good data stays served.",
)


def banners(pause: Pause, demo: bool) -> tuple[Banner, ...]:
    """At most one line per reason, with the time of the next try where there is one."""
    candidates: list[tuple[bool, Banner, float | None]] = [
        (demo, DEMO, None),
        (pause.no_key, NO_KEY, None),
        (pause.unauthorized and not pause.no_key, REJECTED, pause.retry_at),
        (pause.rate_limited_until is not None, RATE_LIMITED, pause.rate_limited_until),
        (pause.budget_free_at is not None, BUDGET_USED_UP, pause.budget_free_at),
        (pause.outage and not (pause.unauthorized or pause.no_key), OUTAGE, None),
    ]
    return tuple(replace(b, next_try=at) for shown, b, at in candidates if shown)


# --- budget and plan -------------------------------------------------------------------


def budget(
    cfg: BudgetConfig, limits: Mapping[str, int], used: Mapping[str, int], planned: int
) -> Budget:
    return Budget(
        Meter("Last minute", used.get("1m", 0), limits["1m"], cfg.requests_per_minute),
        Meter("Last 24 hours", used.get("24h", 0), limits["24h"], cfg.requests_per_day, planned),
        cfg.reserve,
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plan_summary(plan: Plan) -> PlanSummary:
    """One line per dataset, not one per view."""
    lines = []
    detector = plan.views[0].view if plan.views else "_detector"
    if plan.views:
        also = f"; it also keeps the {detector} view current" if detector != "_detector" else ""
        lines.append(
            PlanLine(
                "new-day detector",
                f"1 request every {plan.detect_every / 60:.0f} min, only while a new day can "
                f"be due (at most {plan.detector_per_day} a day){also}",
            )
        )
    for dataset in REGISTRY.values():
        views = [v for v in plan.views[1:] if v.dataset == dataset.name]
        if views:
            cost = sum(v.requests for v in views)
            lines.append(
                PlanLine(
                    dataset.name,
                    f"{_count(len(views), 'view')}, {_count(cost, 'request')} a round — "
                    f"{dataset.rhythm(plan.cadence)}",
                )
            )
    return PlanSummary(tuple(lines), plan.requests_per_day, plan.budget_per_day, plan.warnings)


# --- views -----------------------------------------------------------------------------


STATES = {
    ViewState.OK: State.OK,
    ViewState.PENDING: State.PENDING,
    ViewState.FAILING: State.FAILING,
    ViewState.UNAUTHORIZED: State.UNAUTHORIZED,
    ViewState.MISCONFIGURED: State.MISCONFIGURED,
    ViewState.TOO_COSTLY: State.TOO_COSTLY,
    ViewState.NO_KEY: State.NO_KEY,
}


def view_state(status: ViewStatus) -> State:
    return STATES[status.state]


def view_groups(
    statuses: Iterable[ViewStatus], snaps: Mapping[Key, Snapshot], pause: Pause
) -> tuple[ViewGroup, ...]:
    rows: dict[str, list[ViewRow]] = {}
    for s in statuses:
        snap = snaps.get((s.dataset, s.view))
        meta = snap.meta if snap else None
        rows.setdefault(s.dataset, []).append(
            ViewRow(
                s.view,
                view_state(s),
                meta.end_date if meta else None,
                meta.as_of if meta else None,
                s.last_success,
                s.next_refresh,
                s.message if s.state not in (ViewState.OK, ViewState.PENDING) else None,
            )
        )
    order = {d: i for i, d in enumerate(REGISTRY)}
    return tuple(
        ViewGroup(d, source(d), tuple(rows[d]))
        for d in sorted(rows, key=lambda d: (order.get(d, len(order)), d))
    )


# --- the exporter ----------------------------------------------------------------------


class MarketCache:
    """The market part changes only when a snapshot does: computed once per change."""

    def __init__(self) -> None:
        self._entry: tuple[Mapping[Key, Snapshot], Market] | None = None

    def get(self, source: PageSource, snaps: Mapping[Key, Snapshot]) -> Market:
        entry = self._entry  # one read: the pair stays consistent across server threads
        if entry is None or entry[0] is not snaps:  # the store swaps the mapping whole
            entry = (snaps, market(source.cfg, snaps))
            self._entry = entry
        return entry[1]


def pause_of(
    source: PageSource, now: float, limits: Mapping[str, int], used: Mapping[str, int]
) -> Pause:
    hold_until, unauthorized = source.hold_until, source.unauthorized
    held = hold_until > now
    budget_free_at = None
    if used.get("24h", 0) >= limits["24h"]:
        budget_free_at = now + source.budget_wait(1)
    return Pause(
        no_key=not source.has_key,
        unauthorized=unauthorized,
        rate_limited_until=hold_until if held and not unauthorized else None,
        budget_free_at=budget_free_at,
        retry_at=hold_until if held and unauthorized else None,
        outage=source.outage,
    )


def page_model(source: PageSource, cache: MarketCache | None = None) -> PageModel:
    """Everything the page shows, read from the running exporter, in memory only."""
    now = source.now()
    snaps = source.snapshots()
    statuses = list(source.statuses())
    limits, used = source.budget_figures()
    pause = pause_of(source, now, limits, used)
    cfg, plan = source.cfg, source.plan
    return PageModel(
        version=__version__,
        demo=source.demo,
        now=now,
        upstream=cfg.openrouter.base_url,
        telemetry_path=cfg.web.telemetry_path,
        banners=banners(pause, source.demo),
        budget=budget(cfg.budget, limits, used, plan.requests_per_day),
        market=(cache or MarketCache()).get(source, snaps),
        groups=view_groups(statuses, snaps, pause),
        plan=plan_summary(plan),
    )
