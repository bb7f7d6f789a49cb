"""The freshness promises, as deadlines on the run's event queue, and the figures of how
long each publication took to become visible.

- A day published at T is on every view by T + 2 h (a rotated view: within the days the
  plan lets it trail), a new session-cost week within the plan's check interval + 2 h.
- Every view is served within 2 h of the start (of the plan's first fill, when that takes
  more than a day's budget) and within 2 h of its snapshot file being destroyed.
- A deadline moves back by the time the exporter could not refresh (see ``excused``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from soak import served
from soak.adapter import ViewPromise
from soak.invariants import FRESH_WITHIN, Violation, check_fresh, day_of, excused, iso
from soak.scenario import DAY, Scenario

Schedule = Callable[[float, str, object], None]  # when, kind, data
KINDS = ("fresh", "session", "filled", "refetch")


class Freshness:
    def __init__(
        self,
        scenario: Scenario,
        promises: list[ViewPromise],
        fill_days: int,
        unavailable: Callable[[], list[tuple[float, float]]],
        at: Schedule,
    ) -> None:
        self.scenario = scenario
        self.promises = promises
        # A config whose first fill takes days is promised nothing until it is full and
        # that fill's spend has left the 24 h window.
        self.fill_within = FRESH_WITHIN + DAY * fill_days
        self.filled_at: float | None = None
        self.unavailable = unavailable
        self.at = at
        self.published = scenario.published()
        self.session_windows = scenario.session_windows()
        self.session_every = next((p.session_every for p in promises if p.session_every), 0.0)
        self.delays: dict[str, list[float]] = {}  # dataset -> seconds to visible
        self._last_end: dict[served.Key, float] = {}

    def schedule(self) -> None:
        for day, published in self.published:
            self.at(published + FRESH_WITHIN, "fresh", (day, published))
        if self.session_every:
            for window, published in self.session_windows:
                deadline = published + self.session_every + FRESH_WITHIN
                self.at(deadline, "session", (window, published))
        self.at(self.scenario.start + self.fill_within, "filled", self.scenario.start)

    def destroyed(self, key: served.Key, now: float) -> None:
        """A view's snapshot file was destroyed on purpose: it must be re-fetched."""
        self.at(now + FRESH_WITHIN, "refetch", (key, now))

    def _due(self, deadline: float, since: float, kind: str, data: object, now: float) -> bool:
        """Whether a deadline has really come; if the exporter could not refresh for a
        while since ``since``, it is put back by that long."""
        later = excused(since, deadline, self.unavailable())
        if later > now:
            self.at(later, kind, data)
            return False
        return True

    def fire(
        self, kind: str, data: object, views: dict[served.Key, served.ServedView], now: float
    ) -> None:
        if kind == "fresh":
            day, published = data  # type: ignore[misc]
            warm = self.filled_at is not None and published >= self.filled_at + DAY
            if self.fill_within > FRESH_WITHIN and not warm:
                return
            if self._due(published + FRESH_WITHIN, published, kind, data, now):
                check_fresh(views, self.promises, day, published)
        elif kind == "session":
            window, published = data  # type: ignore[misc]
            if self._due(published + self.session_every + FRESH_WITHIN, published, kind, data, now):
                self._session_served(views.get(("session-cost", "default")), window, published)
        elif kind == "filled":
            start = float(data)  # type: ignore[arg-type]
            if self._due(start + self.fill_within, start, kind, data, now):
                wanted = {(p.dataset, p.view) for p in self.promises}
                self._served(wanted, views, "after start")
        else:
            key, since = data  # type: ignore[misc]
            if self._due(since + FRESH_WITHIN, since, kind, data, now):
                self._served({key}, views, "after its file was destroyed")

    @staticmethod
    def _served(wanted: set[served.Key], views: dict, when: str) -> None:
        missing = sorted(wanted - views.keys())
        if missing:
            raise Violation("every view serves within 2 h", f"{missing} not served 2 h {when}")

    @staticmethod
    def _session_served(view: served.ServedView | None, window: date, published: float) -> None:
        end = day_of(view.end_date) if view and view.end_date is not None else None
        if end is None or end < window:
            raise Violation(
                "a new session-cost week is served within a day",
                f"window ending {window} published {iso(published)}; served: {end or 'nothing'}",
            )

    def observed(self, views: dict[served.Key, served.ServedView], now: float) -> None:
        """Note when every view first served, and how long each published day took to
        show on each view."""
        if self.filled_at is None and all((p.dataset, p.view) in views for p in self.promises):
            self.filled_at = now
        for key, view in views.items():
            old, end = self._last_end.get(key), view.end_date
            if end is None or (old is not None and end <= old):
                continue
            self._last_end[key] = end
            if old is None:
                continue
            dataset = key[0]
            pubs = self.session_windows if dataset == "session-cost" else self.published
            for day, published in pubs:
                if day_of(old) < day <= day_of(end):
                    self.delays.setdefault(dataset, []).append(now - published)
