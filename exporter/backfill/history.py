"""Which datasets' histories a run writes, when its samples are, and what the file holds.

Every dataset declares its history on its ``Dataset`` (``exporter.datasets.history``): the
backfill iterates the registry and never names one. A day D is first served at 00:00 UTC of
D+1 (the API never serves the current day), so the value at t is the latest *complete*
period whose last day is before t's UTC day; each history renders its periods with the live
collectors and says when each was showing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain

from exporter.collector import MetaCollector
from exporter.config import Config
from exporter.datasets import REGISTRY, Dataset, sources
from exporter.datasets.history import History, HistoryPlan, NoHistory, Shown
from exporter.metrictext import Family, Fragment
from exporter.periods import day_start

HEAD_SECONDS = 3 * 3600  # Prometheus's head block: backfilling into it is not safe
# The view's freshness and the citation facts go with the rankings, as on /metrics: the
# dashboards' citation lines and data-age panels read them over the history too.
META_FAMILIES = (MetaCollector.AS_OF, MetaCollector.END, MetaCollector.INFO)


def histories() -> list[tuple[Dataset, History]]:
    """Every dataset with a history, in registry order (the one that finds the newest
    published day comes first, as live)."""
    return [(d, d.history) for d in REGISTRY.values() if not isinstance(d.history, NoHistory)]


def without_history() -> list[tuple[Dataset, NoHistory]]:
    """The datasets that declare no history, each with its reason."""
    return [(d, d.history) for d in REGISTRY.values() if isinstance(d.history, NoHistory)]


@dataclass(frozen=True)
class Part:
    """One dataset's history in a run; ``asked`` False: behind a switch not given, so only
    described."""

    dataset: Dataset
    history: History
    plan: HistoryPlan
    asked: bool


def families(asked: Iterable[History]) -> list[Family]:
    """What the file holds, in file order: each history's own families, the first one's
    followed by the meta families (every view's freshness, the citation facts)."""
    every = chain.from_iterable((*h.families, *META_FAMILIES) for h in asked)
    return list({f.name: f for f in every}.values())


def sample_range(first: date, last: date, now: float) -> tuple[int, int]:
    """[t0, t1): the day after ``first`` up to the end of the day after ``last``, never
    inside the last 3 hours."""
    t0 = day_start(first + timedelta(days=1))
    t1 = min(day_start(last + timedelta(days=2)), int(now) - HEAD_SECONDS)
    return t0, t1


def static_fragment(cfg: Config, datasets: Sequence[Dataset]) -> Fragment:
    """What the file holds at every instant, as live: the citation facts of the datasets
    written and what each one's collector renders from the config alone."""
    static = MetaCollector().static(sources(d.name for d in datasets))
    for d in datasets:
        static |= d.collector(cfg).info()
    return static


def static_history(
    cfg: Config, datasets: Sequence[Dataset], t0: int, t1: int
) -> list[tuple[Shown, Fragment]]:
    """The static part over the whole file."""
    return [(Shown(date.min, t0, t1), static_fragment(cfg, datasets))]
