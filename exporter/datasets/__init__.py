"""The datasets the exporter polls, registered in one place.

A dataset is one package here (``models/``, ``apps/``, ``session_cost/``,
``task_classifications/``, ``benchmarks/``) with a
``Dataset`` subclass: its views, its requests and paging, its row type and parser, its
metric families, when each view is due and whether its data is current. Adding one is a
package and one line in ``REGISTRY``; the planner, scheduler, store, exposition,
self-metrics and status page iterate the registry and never name a dataset. Order
matters: the first dataset's first view is the detector of newly published days.
"""

from __future__ import annotations

from collections.abc import Iterable

from exporter.datasets.apps import AppRankings
from exporter.datasets.base import (
    NEVER,
    Cadence,
    Collector,
    Dataset,
    PlannedView,
    Publication,
    View,
)
from exporter.datasets.benchmarks import Benchmarks
from exporter.datasets.models import ModelRankings
from exporter.datasets.session_cost import SessionCost
from exporter.datasets.task_classifications import TaskClassifications

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        ModelRankings(),
        AppRankings(),
        SessionCost(),
        TaskClassifications(),
        Benchmarks(),
    )
}

# What the store reads each dataset's stored snapshots back as.
ROW_TYPES: dict[str, type] = {name: d.row_type for name, d in REGISTRY.items()}


def source(dataset: str) -> str:
    """Where the dataset is published (its citation)."""
    known = REGISTRY.get(dataset)
    return known.source if known else "openrouter.ai"


def sources(datasets: Iterable[str]) -> list[tuple[str, str]]:
    """(name, citation) of each dataset: what the citation family is rendered from."""
    return [(d, source(d)) for d in datasets]


__all__ = [
    "NEVER",
    "REGISTRY",
    "ROW_TYPES",
    "Cadence",
    "Collector",
    "Dataset",
    "PlannedView",
    "Publication",
    "View",
    "source",
    "sources",
]
