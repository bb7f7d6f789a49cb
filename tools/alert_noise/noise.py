"""Counting what the alerts would have sent, from what was firing on each published day.

A notification is an alert (its name and the labels of its result) firing on day D that
was not firing on the published day before: one per new firing series, as Alertmanager
would notify a new alert once (its repeat_interval re-sends are not counted). The first
day is the baseline (what fires there has no day before it to be new against).

A re-entry is an entry into a view's top N (in it on day D, not on the published day
before, while the view had a ranking that day) by a model that was in that top N on one
of the K published days before that: what an "entered the top N" alert would have had to
suppress to stay quiet on a #N/#N+1 swap.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

Labels = frozenset[tuple[str, str]]
# Labels that mark a result as the app rankings' (their series carry no model view).
APP_LABELS = frozenset({"window", "app_id", "app"})


def labels_of(result: Mapping[str, object]) -> Labels:
    """An instant-query result's series labels, without the metric name."""
    metric = result["metric"]
    assert isinstance(metric, dict)
    return frozenset((k, str(v)) for k, v in metric.items() if k != "__name__")


def on_model_views(labels: Labels) -> bool:
    """Whether a firing series is about a model view (the views a replay feeds)."""
    names = dict(labels)
    if names.get("kind") in ("model", "app"):
        return names["kind"] == "model"
    return "view" in names and not APP_LABELS & names.keys()


def new_per_day(firing: Sequence[set[Labels]]) -> list[set[Labels]]:
    """Per published day after the first, the series firing that day and not the day
    before."""
    return [firing[i] - firing[i - 1] for i in range(1, len(firing))]


@dataclass(frozen=True)
class Reentry:
    day: date
    view: str
    model: str
    last_in: date
    """The last published day before ``day``'s previous one it was in the top N."""


@dataclass(frozen=True)
class Entries:
    entries: int
    reentries: list[Reentry]
    notified: frozenset[tuple[date, str, str]] = frozenset()
    """The re-entries (day, view, model) an "entered" alert notified: what must be none."""

    def with_notified(self, days: Sequence[date], firing: Sequence[set[Labels]]) -> Entries:
        """The re-entries among an "entered" alert's notifications (``firing`` per day)."""
        new = new_per_day(firing)
        told = {
            (days[i + 1], names["view"], names["model"])
            for i, day in enumerate(new)
            for names in map(dict, day)
            if "view" in names and "model" in names
        }
        hits = frozenset((r.day, r.view, r.model) for r in self.reentries) & told
        return Entries(self.entries, self.reentries, hits)


def entries(days: Sequence[date], top: Sequence[Mapping[str, set[str]]], k: int) -> Entries:
    """Entries into each view's top N and the re-entries among them. ``top[i]`` is, per
    view, the models in the top N on ``days[i]``."""
    count = 0
    found: list[Reentry] = []
    for i in range(1, len(days)):
        for view, models in top[i].items():
            before = top[i - 1].get(view, set())
            if not before:  # the view had no ranking the day before: nothing is "new"
                continue
            for model in sorted(models - before):
                count += 1
                back = [j for j in range(max(0, i - k), i - 1) if model in top[j].get(view, ())]
                if back:
                    found.append(Reentry(days[i], view, model, days[back[-1]]))
    return Entries(count, found)


@dataclass(frozen=True)
class AlertCount:
    name: str
    per_day: list[int]
    """Notifications on the model views, per published day after the first."""
    app_per_day: list[int]
    """Notifications on app views (the simulator's synthetic market), per published day
    after the first."""
    by_view: dict[str, int]
    """Notifications on the model views, per view."""

    @property
    def total(self) -> int:
        return sum(self.per_day)

    @property
    def app(self) -> int:
        return sum(self.app_per_day)


def count(name: str, firing: Sequence[set[Labels]]) -> AlertCount:
    new = new_per_day(firing)
    per_day = [sum(1 for labels in day if on_model_views(labels)) for day in new]
    app = [sum(1 for labels in day if not on_model_views(labels)) for day in new]
    views = Counter(dict(labels)["view"] for day in new for labels in day if on_model_views(labels))
    return AlertCount(name, per_day, app, dict(sorted(views.items())))


def _number(x: float) -> str:
    return f"{x:g}"


def table(counts: Sequence[AlertCount]) -> list[str]:
    """Per alert: the model views' total, median and maximum per day and views, and in a
    column of its own the app views' total, kept apart as the app market is synthetic."""
    width = max([len("alert"), *(len(c.name) for c in counts)])
    head = f"{'alert':<{width}}  {'total':>6}  {'median/day':>10}  {'max/day':>7}  {'apps':>6}"
    lines = [f"{head}  by view"]
    for c in counts:
        median = statistics.median(c.per_day) if c.per_day else 0
        peak = max(c.per_day, default=0)
        views = ", ".join(f"{v} {n}" for v, n in c.by_view.items()) or "-"
        row = f"{c.name:<{width}}  {c.total:>6}  {_number(median):>10}  {peak:>7}  {c.app:>6}"
        lines.append(f"{row}  {views}")
    return lines


def per_day(counts: Sequence[AlertCount], apps: bool = False) -> list[int]:
    """Notifications of every alert together, per published day after the first: on the
    model views, or with ``apps`` on the app views."""
    days = len(counts[0].per_day) if counts else 0
    return [sum((c.app_per_day if apps else c.per_day)[i] for c in counts) for i in range(days)]


def app_line(counts: Sequence[AlertCount]) -> str:
    """What the app views add: the simulator's synthetic app market on the replay's
    calendar, so apart from the closing lines, which count the recorded model views."""
    daily = per_day(counts, apps=True)
    median = statistics.median(daily) if daily else 0
    return (
        f"app views (synthetic, not counted below): {sum(daily)} notifications, "
        f"median {_number(median)} per published day"
    )


def digest_line(counts: Sequence[AlertCount]) -> str:
    """What the shipped Alertmanager route sends instead: every market alert carries
    digest="market" and the route groups by it, so a day's notifications (model and app
    views alike) are one group, sent once in the day's window — one message per published
    day with a notification."""
    daily = [m + a for m, a in zip(per_day(counts), per_day(counts, True), strict=True)]
    moved = sum(1 for n in daily if n)
    return (
        f"digest messages: {moved} on {moved} published days with a move, model and app "
        f"views (one per day; {len(daily)} days, the busiest {max(daily, default=0)} "
        f"notifications)"
    )


def closing_lines(counts: Sequence[AlertCount], reentries: int, k: int) -> list[str]:
    """The last three lines, which other tools read."""
    daily = per_day(counts)
    median = statistics.median(daily) if daily else 0
    return [
        f"notifications in total: {sum(daily)}",
        f"notifications per published day: median {_number(median)}",
        f"re-entries within {k} days: {reentries}",
    ]
