"""How big a backfill file will be, before anything is fetched.

The file is one line per sample: ``name{labels,--label…} value timestamp``. The bytes of one
instant of each view are measured by rendering it with the live collectors (the same code
that writes the file), from the exporter's stored snapshot of that view when there is one
(the running exporter shares ``state_dir``, so names and values are the real ones), else
from rows of typical size (each history's ``instant_bytes``). Multiplied by the number of
instants, that is the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exporter.backfill.history import Part, families, static_fragment
from exporter.config import Config
from exporter.datasets.history import fragment_bytes
from exporter.metrictext import escape_label
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key


def static_bytes(cfg: Config, asked: Sequence[Part], extra: int) -> int:
    """The citation facts and each dataset's series from the config alone, at one instant."""
    static = static_fragment(cfg, [p.dataset for p in asked])
    written = {f.name for f in families(p.history for p in asked)}
    return fragment_bytes({k: v for k, v in static.items() if k in written}, extra)


def instant_bytes(
    cfg: Config,
    labels: tuple[tuple[str, str], ...],
    asked: Sequence[Part],
    stored: Mapping[Key, Snapshot],
) -> int:
    """Bytes of one instant: every view of the histories asked for, and the static part."""
    extra = sum(len(f',{n}="{escape_label(v)}"'.encode()) for n, v in labels)
    views = sum(p.plan.instant_bytes(stored, extra) for p in asked)
    return static_bytes(cfg, asked, extra) + views
