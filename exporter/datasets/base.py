"""What a dataset tells the planner, the scheduler, the store, the exposition and the
pages, and the state kept per view.

A dataset knows its views (from the config), what one refresh of a view fetches, when a
view is next due and whether its data is current; its row type (what the store reads a
stored snapshot back as), its metric families (``Collector``), its citation and its history
for the backfill (``history.History``, or ``history.NoHistory`` and why). The
scheduler only orders due views, spends the budget, and records the outcome; the planner
only does the budget arithmetic.

Two kinds of timing exist: views that follow published days (refreshed once a new UTC day
is published, then re-polled while it settles) and views on a fixed cadence (session cost,
checked about daily). A dataset that follows days may allow rotation: when the budget
cannot refresh all its views every day, each refreshes every few published days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from exporter.datasets.history import History, NoHistory
from exporter.datasets.page import PageSection
from exporter.metrictext import Family, Fragment
from exporter.periods import day_start
from exporter.schema import Section, Setting
from exporter.snapshot import Meta, Snapshot
from exporter.viewstatus import Key, ViewState, ViewStatus

if TYPE_CHECKING:
    from exporter.client import Client
    from exporter.config import Config

NEVER = math.inf


@dataclass(frozen=True)
class PlannedView:
    dataset: str
    view: str
    requests: int  # per refresh, pages included
    priority: int  # lower first when several are due
    group: int = 0  # rotation group when stretched
    detector: bool = False  # the request that finds newly published days
    exported: bool = True  # False: fetched for its end_date only, never served


@dataclass(frozen=True)
class Cadence:
    """The plan's pace, as the datasets receive it (the planner computes it)."""

    detect_every: float  # seconds between detector polls while a new day can be due
    rounds: int  # refresh rounds per published day (1 + settling re-polls)
    rotation_days: int  # published days per turn of a rotating dataset


@dataclass
class Publication:
    """The newest published day seen, and the detector's pace."""

    detect_every: float
    rotation_days: int = 1
    latest: date | None = None

    def next_detect(self, now: float) -> float:
        """The next day can be published once it has closed: never poll before that."""
        if self.latest is None:
            return now
        possible = day_start(self.latest + timedelta(days=2))
        return max(possible, now + self.detect_every)


@dataclass(eq=False)
class View:
    """One configured view as the scheduler tracks it."""

    dataset: Dataset
    planned: PlannedView
    spec: Any  # the config's AppView / ModelView, or None
    status: ViewStatus
    due: float = 0.0
    failures: int = 0
    end_date: date | None = None  # data end of the snapshot served
    settle: list[float] = field(default_factory=list)  # re-polls while D-1 settles

    @property
    def name(self) -> str:
        return self.planned.view

    @property
    def key(self) -> Key:
        return (self.planned.dataset, self.planned.view)

    @property
    def fingerprint(self) -> str:
        """Changes when the view's config does (a refused view is tried again then)."""
        return repr(self.spec or self.name)

    @property
    def held(self) -> bool:
        """Never refreshed until something changes (config, key)."""
        return self.status.state in (
            ViewState.MISCONFIGURED,
            ViewState.NO_KEY,
            ViewState.TOO_COSTLY,
        )


@dataclass(frozen=True)
class Watched:
    """A dataset's watch-list entries against the data it holds."""

    info: Fragment  # its watch info family's lines (``Dataset.watch_families``)
    ranked: tuple[tuple[str, str, bool], ...]  # (kind, entry, in a ranking); () if no data
    missing: tuple[str, ...] = ()  # entries in no ranking held, for the log


class Collector(Protocol):
    """A dataset's metric families, rendered from one snapshot at a time."""

    families: tuple[Family, ...]  # per view, after each other dataset's (by dataset name)
    info_families: tuple[Family, ...]  # from the config alone, after the freshness families

    def render(self, snap: Snapshot) -> Fragment: ...

    def info(self) -> Fragment: ...


class Dataset:
    """A dataset whose views follow published days; subclasses fetch and may rotate."""

    name: ClassVar[str]  # the API's endpoint name, and the `dataset` label
    row_type: ClassVar[type]  # the one row type its snapshots hold
    source: ClassVar[str]  # where it is published: the citation
    follows_days: ClassVar[bool] = True
    rotates: ClassVar[bool] = False  # may refresh its views every few published days
    watch_families: ClassVar[tuple[Family, ...]] = ()  # its watch list's info series
    # Its history support for the backfill, or why it has none: declared by every dataset
    # (no default), so a new one cannot be skipped by the backfill without saying so.
    history: ClassVar[History | NoHistory]
    # Where its views' freshness comes from, as the HELP of the freshness families says it.
    as_of_from: ClassVar[str] = "meta.as_of"
    end_date_from: ClassVar[str] = "meta.end_date"
    # Its settings, declared in its package's config.py and read through ``Config.section``
    # (and ``Config.watched``): the section's key in the config file, the section, and the
    # list under ``watch:`` (same key) if it has a watch list.
    config_key: ClassVar[str]
    config_section: ClassVar[Section]
    watch_setting: ClassVar[Setting | None] = None

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The Data API endpoints its requests go to (the request metrics' labels)."""
        return (self.name,)

    def collector(self, cfg: Config) -> Collector:
        raise NotImplementedError

    def summary(self, cfg: Config) -> str:
        """Its views in a few words, as check-config prints them."""
        raise NotImplementedError

    def watch(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> Watched | None:
        """Its watch list (``watch:`` in the config) against its snapshots, if it has one."""
        return None

    def page(self, cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
        """Its part of the status page's market section, if it has one."""
        return None

    # --- plan -------------------------------------------------------------------------

    def planned(self, cfg: Config) -> list[PlannedView]:
        raise NotImplementedError

    def spec(self, cfg: Config, planned: PlannedView) -> Any:
        """The config object behind a planned view (what ``fetch`` needs)."""
        return None

    def per_day(self, planned: PlannedView) -> int:
        """Requests a day outside the per-published-day rounds (fixed-cadence views)."""
        return 0

    def when(self, planned: PlannedView, cadence: Cadence) -> str:
        """How often the view refreshes, as check-config prints it."""
        if cadence.rotation_days > 1 and self.rotates:
            return (
                f"every {cadence.rotation_days} published days (group "
                f"{planned.group + 1}/{cadence.rotation_days})"
            )
        if cadence.rounds <= 1:
            return "each new day"
        return f"each new day, then {cadence.rounds - 1} re-poll(s) while it settles"

    def rhythm(self, cadence: Cadence) -> str:
        """How often the dataset's views refresh, as the status page says it."""
        if self.rotates and cadence.rotation_days > 1:
            return f"in turns: each view every {cadence.rotation_days} published days"
        if cadence.rounds > 1:
            return f"each new published day, then {cadence.rounds - 1} re-poll(s) while it settles"
        return "each new published day"

    # --- one refresh ------------------------------------------------------------------

    def ready(self, view: View, days: Publication) -> bool:
        """Whether the view can be fetched now (app windows need the newest day first)."""
        return True

    def fetch(
        self, client: Client, view: View, days: Publication, today: date
    ) -> tuple[Sequence[Any], Meta]:
        raise NotImplementedError

    def announces(self, view: View, meta: Meta) -> date | None:
        """The newest published day a refresh revealed, if this view detects days."""
        return None

    # --- timing -----------------------------------------------------------------------

    def current(self, view: View, days: Publication) -> bool:
        """Served data is as new as the plan asks."""
        if view.end_date is None or days.latest is None:
            return False
        return view.end_date >= days.latest

    def first_due(self, view: View, now: float, days: Publication) -> float:
        """When a view is due after a start, given what the store served."""
        return NEVER if self.current(view, days) else now

    def wants(self, view: View, day: date, days: Publication) -> bool:
        """Whether a newly published ``day`` makes the view due."""
        return view.end_date is None or view.end_date < day

    def after_success(self, view: View, now: float, days: Publication) -> float:
        # This refresh also covers any re-poll that came due while it was retrying.
        view.settle = [s for s in view.settle if s > now]
        return view.settle.pop(0) if view.settle else NEVER

    def next_day(self, view: View, days: Publication) -> date | None:
        """The next published day the view waits for (None: it waits for no day)."""
        return None if days.latest is None else days.latest + timedelta(days=1)

    def next_refresh(self, view: View, days: Publication, detector_due: float) -> float:
        """When the view next refreshes: its due time or, while it waits for a published
        day, when the detector can find that day; +inf while it is held."""
        if view.held:
            return NEVER
        if math.isfinite(view.due):
            return view.due
        day = self.next_day(view, days)
        if day is None:
            return detector_due
        return max(detector_due, day_start(day + timedelta(days=1)))


class FixedCadence(Dataset):
    """A dataset on a cadence of its own, not following published days: each view is
    checked once every ``every`` seconds after its last success (and at once on a start
    without one)."""

    follows_days = False
    every: ClassVar[float] = 86400.0

    def per_day(self, planned: PlannedView) -> int:
        return planned.requests

    def first_due(self, view: View, now: float, days: Publication) -> float:
        last = view.status.last_success
        return now if last is None else max(now, last + self.every)

    def wants(self, view: View, day: date, days: Publication) -> bool:
        return False

    def after_success(self, view: View, now: float, days: Publication) -> float:
        return now + self.every

    def next_day(self, view: View, days: Publication) -> date | None:
        return None  # always has a due time of its own
