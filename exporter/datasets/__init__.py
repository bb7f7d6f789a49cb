"""The datasets the exporter polls, registered in one place.

A dataset is one package here (``models/``, ``apps/``, ``session_cost/``,
``task_classifications/``, ``benchmarks/``) with a
``Dataset`` subclass: its config section (``config.py``, declared with ``exporter.schema``;
the ``Dataset`` names its key, its section and its ``watch:`` entry), its views, its
requests and paging, its row type and parser, its metric families, when each view is due
and whether its data is current. Adding one is a package and one line in ``REGISTRY``; the
config file (``exporter.configfile``), planner, scheduler, store, exposition, self-metrics
and status page iterate the registry and never name a dataset. Order matters: the first
dataset's first view is the detector of newly published days. ``CONFIG_ORDER`` is the
order of the sections in the config file, where it differs.
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

# The order of the datasets' sections in the config file (and under `watch:`), which the
# README's table, config.example.yaml and `DEFAULTS` show; a dataset not listed follows,
# in REGISTRY order. Not REGISTRY's order: that one puts the detector of new days first.
CONFIG_ORDER = ("apps", "models", "session_cost", "task_classifications", "benchmarks")

# What the store reads each dataset's stored snapshots back as.
ROW_TYPES: dict[str, type] = {name: d.row_type for name, d in REGISTRY.items()}


def source(dataset: str) -> str:
    """Where the dataset is published (its citation)."""
    known = REGISTRY.get(dataset)
    return known.source if known else "openrouter.ai"


def configured() -> list[Dataset]:
    """Every dataset, in the order of their sections in the config file."""
    rank = {key: i for i, key in enumerate(CONFIG_ORDER)}
    return sorted(REGISTRY.values(), key=lambda d: rank.get(d.config_key, len(rank)))


def sources(datasets: Iterable[str]) -> list[tuple[str, str]]:
    """(name, citation) of each dataset: what the citation family is rendered from."""
    return [(d, source(d)) for d in datasets]


__all__ = [
    "CONFIG_ORDER",
    "NEVER",
    "REGISTRY",
    "ROW_TYPES",
    "Cadence",
    "Collector",
    "Dataset",
    "PlannedView",
    "Publication",
    "View",
    "configured",
    "source",
    "sources",
]
