"""The promises the soak holds the exporter to, checked from the simulator's own record of
what arrived and from what /metrics serves, never from the exporter's account of itself."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from exporter.simulator import RequestRecord, Simulator
from soak import served
from soak.adapter import Budgeted, ViewPromise

MINUTE, DAY = 60.0, 86400.0
FRESH_WITHIN = 2 * 3600.0  # a day published at T is on every view by T + 2 h
# A request is in the log from when it was recorded, up to the (sub-second) uplink latency
# before it arrived: compare windows this much narrower.
LOG_MARGIN = 1.0
# The exporter's log holds a few more entries than arrived (requests recorded but never
# sent, torn lines, finishing times): its 24 h budget is spent this close to the limit.
BUDGET_SLACK = 10
_USED_24H = re.compile(rb'openrouter_exporter_budget_used_requests\{window="24h"\} (\S+)')


class Violation(Exception):
    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant
        self.detail = detail


def day_of(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def as_of_seconds(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


class Arrivals:
    """Our key's requests as the simulator saw them, with the API's sliding windows."""

    def __init__(self, sim: Simulator, key: str, limits: Budgeted) -> None:
        self.sim = sim
        self.key = key
        self.limits = limits
        self._seen = 0
        self._minute: deque[float] = deque()
        self._day: deque[float] = deque()
        self.times: list[float] = []
        self.spent: list[tuple[float, float]] = []  # the 24 h budget was all used
        self.worst_minute = 0
        self.worst_day = 0
        self.per_day: Counter[date] = Counter()
        self.injected_429 = 0
        self.own_429 = 0
        self.rows_by_as_of: dict[float, int | None] = {}

    def update(self) -> None:
        new = self.sim.arrivals(self._seen)
        self._seen += len(new)
        for r in new:
            if r.key == self.key:
                self._arrived(r)

    def _arrived(self, r: RequestRecord) -> None:
        t = r.time.timestamp()
        self.times.append(t)
        self.per_day[day_of(t)] += 1
        if r.as_of is not None:
            self.rows_by_as_of[as_of_seconds(r.as_of)] = r.rows
        for window, span, limit in (
            (self._minute, MINUTE, self.limits.per_minute),
            (self._day, DAY, self.limits.per_day),
        ):
            window.append(t)
            while window[0] <= t - span:
                window.popleft()
            if len(window) > limit:
                raise Violation(
                    f"sliding {'60 s' if span == MINUTE else '24 h'} window <= {limit}",
                    f"{len(window)} requests arrived in the {span:.0f} s up to {iso(t)}",
                )
        self._spent(t)
        self.worst_minute = max(self.worst_minute, len(self._minute))
        self.worst_day = max(self.worst_day, len(self._day))
        if r.status == 429:
            if r.fault == "rate_limited":
                self.injected_429 += 1
            else:
                self.own_429 += 1
                raise Violation("no 429 of our making", f"the API refused {r.path} at {iso(t)}")

    def _spent(self, t: float) -> None:
        """From ``t``, fewer than BUDGET_SLACK requests are left in the 24 h budget until
        enough of the window's requests expire."""
        n = self.limits.per_day - BUDGET_SLACK
        if n < 1 or len(self.times) < n or t - self.times[-n] >= DAY:
            return
        until = self.times[-n] + DAY
        if self.spent and self.spent[-1][1] >= t:
            self.spent[-1] = (self.spent[-1][0], max(until, self.spent[-1][1]))
        else:
            self.spent.append((t, until))

    def within(self, start: float, end: float) -> int:
        return sum(1 for t in reversed(self.times) if start < t <= end)


@dataclass
class Serving:
    """Every view keeps serving once it has, never serves older data than before or than
    is on disk, and serves no rows only when the API answered with none."""

    arrivals: Arrivals
    ever: set[served.Key] = field(default_factory=set)
    last: dict[served.Key, served.ServedView] = field(default_factory=dict)
    durable: dict[served.Key, float] = field(default_factory=dict)  # as_of written to disk
    lost: set[served.Key] = field(default_factory=set)  # snapshot destroyed on purpose
    _counter: served.RowCounter | None = None  # the app views' labels: fixed by the config

    def observe(self, text: bytes, after_restart: bool) -> dict[served.Key, served.ServedView]:
        current = served.views(text)
        when = "right after a restart" if after_restart else "after a step"
        for key in sorted(self.ever - self.lost - current.keys()):
            raise Violation("every view keeps serving", f"{key} vanished from /metrics {when}")
        for key, view in current.items():
            self._not_older(key, view, when)
            prev = self.last.get(key)
            if prev is not None and prev.as_of == view.as_of:
                continue
            rows = self.arrivals.rows_by_as_of.get(view.as_of or -1.0, "unknown")
            if rows == "unknown":
                raise Violation(
                    "served data came from the API",
                    f"{key} serves as_of {view.as_of}, which no response carried",
                )
            self._counter = self._counter or served.RowCounter(text)
            if rows and self._counter.rows(text, key) == 0:
                raise Violation(
                    "every view keeps serving", f"{key} shows no rows; the API sent {rows}"
                )
        self.lost -= current.keys()
        self.ever |= current.keys()
        self.last = current
        return current

    def _not_older(self, key: served.Key, view: served.ServedView, when: str) -> None:
        as_of = view.as_of or 0.0
        prev = self.last.get(key)
        if prev is not None and as_of < (prev.as_of or 0.0) and key not in self.lost:
            raise Violation(
                "never older data than before",
                f"{key} went back from as_of {prev.as_of} to {as_of} {when}",
            )
        floor = self.durable.get(key)
        if floor is not None and as_of < floor:
            raise Violation(
                "never older data than on disk",
                f"{key} serves as_of {as_of}; the disk holds {floor} ({when})",
            )


def check_log(self_metrics: bytes, arrivals: Arrivals, unsent: list[float], now: float) -> int:
    """The exporter's own count of the last 24 h (from its request log) covers every
    request the API saw in that time, and every one it recorded and never sent (a crash
    before sending or in the middle of recording it, a connection that failed): the log
    survived every crash."""
    m = _USED_24H.search(self_metrics)
    if m is None:
        raise Violation("request log survives", "no budget_used_requests{window=24h} metric")
    used = float(m.group(1))
    start = now - DAY + LOG_MARGIN
    seen = arrivals.within(start, now)
    lost = sum(1 for t in unsent if start < t <= now)
    if used < seen + lost:
        raise Violation(
            "request log survives",
            f"the log counts {used:.0f} requests in the last 24 h; the API saw {seen} and "
            f"{lost} more were recorded but never sent",
        )
    return int(used)


def excused(start: float, end: float, unavailable: list[tuple[float, float]]) -> float:
    """Deadline ``end`` pushed back by the time between ``start`` and it when the exporter
    could not refresh: the API refused service on purpose (key rejected, outage,
    Retry-After) or the 24 h budget was spent."""
    deadline = end
    while True:
        extra = sum(max(0.0, min(b, deadline) - max(a, start)) for a, b in unavailable)
        if end + extra <= deadline:
            return deadline
        deadline = end + extra


def check_fresh(
    views: dict[served.Key, served.ServedView],
    promises: list[ViewPromise],
    day: date,
    published: float,
) -> None:
    """Day ``day``, published at ``published``, is on every view (or as close as the plan
    lets a rotated view be)."""
    for p in promises:
        if p.session_every:
            continue
        view = views.get((p.dataset, p.view))
        end = day_of(view.end_date) if view and view.end_date is not None else None
        if end is None or (day - end).days > p.lag_days:
            allowed = f" (plan: within {p.lag_days} published days)" if p.lag_days else ""
            raise Violation(
                "a published day is on every view within 2 h",
                f"{day} published at {iso(published)}; {p.dataset}/{p.view} shows "
                f"{end or 'nothing'}{allowed}",
            )
