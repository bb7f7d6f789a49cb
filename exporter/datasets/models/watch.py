"""Watched model entries against permaslugs.

A watched model may be written as its dated permaslug, as the metrics carry it
(``anthropic/claude-sonnet-4-20250514``), or in the short form people use
(``anthropic/claude-sonnet-4``): a short entry matches the permaslugs that add a date to
it, with the same ``:variant`` (``:free`` ranks as its own entry). A dated entry matches
only itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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
