"""Watched model entries against permaslugs.

A watched model may be written as its dated permaslug, as the metrics carry it
(``anthropic/claude-sonnet-4-20250514``), or in the short form people use
(``anthropic/claude-sonnet-4``): a short entry matches the permaslugs that add a date to
it, with the same ``:variant`` (``:free`` ranks as its own entry). A dated entry matches
only itself. An entry no ranking contains is reported (``openrouter_watched_ranked`` 0 and
a log line): a typo, or a model below the top 50.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from exporter.config import Config
from exporter.datasets.base import Watched
from exporter.datasets.models.config import model_views, watched_models
from exporter.datasets.models.metrics import model_period
from exporter.datasets.models.requests import ENDPOINT
from exporter.metrictext import Family, label_string, sample_line
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

_DATED = re.compile(r"-\d{4}-?\d{2}-?\d{2}$")


def matches(entry: str, permaslug: str) -> bool:
    """Whether a watch-list entry names this permaslug (see the module docstring)."""
    if entry == permaslug:
        return True
    base, _, variant = entry.partition(":")
    slug, _, slug_variant = permaslug.partition(":")
    if variant != slug_variant or _DATED.search(base):
        return False
    return slug.startswith(base) and bool(_DATED.fullmatch(slug[len(base) :]))


def watched_models_in(entries: Iterable[str], ranks: Mapping[str, int]) -> dict[str, int | None]:
    """The best rank of each entry among a view's permaslugs (for the status page)."""
    out: dict[str, int | None] = {}
    for entry in entries:
        found = [rank for slug, rank in ranks.items() if matches(entry, slug)]
        out[entry] = min(found) if found else None
    return out


WATCHED = Family(
    "openrouter_watched_model_info",
    "Models on the configured watchlist (watch.models) as the data names them (a short "
    "entry matches its dated permaslugs), for scoping alerts by join on model.",
    ("model", "watch"),
)


def watched(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Watched:
    """Each entry's permaslugs in the latest period of every model view held."""
    views = {v.name: v for v in model_views(cfg)}
    slugs: set[str] = set()
    known = False  # some model view has data: "not ranked" means something
    for (dataset, view), snap in snaps.items():
        if dataset == ENDPOINT and view in views:
            period = model_period(snap, views[view].period)
            known = known or period is not None
            slugs.update(m for m, _ in (period.rows if period else ()) if m != "other")
    found = {e: tuple(sorted(s for s in slugs if matches(e, s))) for e in watched_models(cfg)}
    lines = [
        sample_line(WATCHED.name, label_string(WATCHED.labels, [slug, entry]), 1)
        for entry, matched in found.items()
        for slug in matched or (entry,)  # unmatched: as written, for a later exact match
    ]
    ranked = tuple(("model", e, bool(m)) for e, m in found.items()) if known else ()
    missing = tuple(e for e, m in found.items() if known and not m)
    return Watched({WATCHED.name: "".join(lines)}, ranked, missing)
