"""The watch lists (``watch:`` in the config), matched against the data the exporter holds:
each dataset matches its own entries (``Dataset.watch``); here they become series.

An entry no ranking contains is reported (a metric and a log line per refresh): a typo, a
model below the top 50, an app below every view's depth.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from exporter.config import Config
from exporter.datasets import REGISTRY
from exporter.metrictext import Family, Fragment, label_string, sample_line
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

log = logging.getLogger(__name__)


class WatchCollector:
    """The watch lists as series to join alerts on, and whether each entry is ranked.

    Emits, for example::

        openrouter_watched_model_info{model="anthropic/claude-sonnet-4-20250514",\
watch="anthropic/claude-sonnet-4"} 1.0
        openrouter_watched_app_info{app_id="12345"} 1.0
        openrouter_watched_ranked{kind="model",watch="anthropic/claude-sonnet-4"} 1.0
    """

    RANKED = Family(
        "openrouter_watched_ranked",
        "1 if the watch-list entry is in a ranking the exporter holds, 0 if in none (a typo, "
        "or below the top 50 / every app view's depth).",
        ("kind", "watch"),
    )
    # Each dataset's info family (by dataset name), then whether each entry is ranked.
    families = (
        *(f for name in sorted(REGISTRY) for f in REGISTRY[name].watch_families),
        RANKED,
    )

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def render(self, snapshots: Mapping[Key, Snapshot]) -> Fragment:
        out: Fragment = {}
        ranked, missing = [], []
        for dataset in REGISTRY.values():
            watched = dataset.watch(self.cfg, snapshots)
            if watched is None:
                continue
            out |= watched.info
            ranked += [self._ranked(kind, entry, found) for kind, entry, found in watched.ranked]
            missing += watched.missing
        if missing:
            log.warning(
                "watch list: %s in no ranking the exporter holds (a typo, or below the top 50 "
                "/ every app view's depth); openrouter_watched_ranked is 0 for them",
                ", ".join(missing),
            )
        out[self.RANKED.name] = "".join(ranked)
        return out

    def _ranked(self, kind: str, entry: str, found: bool) -> str:
        return sample_line(self.RANKED.name, label_string(self.RANKED.labels, [kind, entry]), found)
