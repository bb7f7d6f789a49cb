"""The market at a glance, from the snapshots the exporter already holds: each dataset's
section (a chart of its top entries, the watch list's ranks in it), in registry order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter.config import Config
from exporter.datasets import REGISTRY
from exporter.datasets.page import Board, Chart, WatchTable
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key


@dataclass(frozen=True)
class Market:
    charts: tuple[tuple[str, Chart | Board], ...]  # (slot, chart) per dataset with a section
    watch: tuple[WatchTable, ...]  # empty when nothing is watched


def market(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Market:
    sections = [s for d in REGISTRY.values() if (s := d.page(cfg, snaps)) is not None]
    # Watch tables by slot ("apps" before "models"), as the page has always listed them.
    watched = sorted((s for s in sections if s.watch), key=lambda s: s.slot)
    return Market(
        tuple((s.slot, s.chart) for s in sections), tuple(s.watch for s in watched if s.watch)
    )
