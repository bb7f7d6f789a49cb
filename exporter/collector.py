"""The families every view has: its freshness (meta.as_of, meta.end_date) and the
citation facts of the datasets in use. Each dataset's own families are its package's
(``exporter/datasets/*/metrics.py``); exporter.exposition puts them together, and the
datasets' history support renders the same lines into the backfill.
"""

from __future__ import annotations

from collections.abc import Iterable

from exporter.metrictext import Family, Fragment, label_string, sample_line
from exporter.periods import day_start
from exporter.snapshot import Snapshot

LICENSE = "CC-BY-4.0"


class MetaCollector:
    """Freshness and citation facts of every view.

    Emits, for example::

        openrouter_data_as_of_timestamp_seconds{dataset="D",view="daily"} 1.78e+09
        openrouter_dataset_info{dataset="D",source="openrouter.ai/rankings",\
license="CC-BY-4.0"} 1.0
    """

    # The HELP without the datasets (the backfill's, which holds no other datasets); an
    # instance made with the datasets in use says where each one's value comes from.
    AS_OF = Family(
        "openrouter_data_as_of_timestamp_seconds",
        "The view's as_of, for the citation: Source: OpenRouter (openrouter.ai/...), as of "
        "<as_of> (scores from another site: credit it too).",
        ("dataset", "view"),
    )
    END = Family(
        "openrouter_data_end_date_timestamp_seconds",
        "Last day the view's data covers, at 00:00 UTC.",
        ("dataset", "view"),
    )
    INFO = Family(
        "openrouter_dataset_info",
        "Citation facts of each dataset in use: data is CC BY 4.0 and must be "
        "credited to OpenRouter.",
        ("dataset", "source", "license"),
    )
    families = (AS_OF, END, INFO)

    def __init__(self, origins: Iterable[tuple[str, str, str]] = ()) -> None:
        """``origins``: (dataset, where its as_of comes from, where its end date does),
        each dataset once, in the registry's order."""
        listed = list(origins)
        self.families = (
            _from(self.AS_OF, [(d, a) for d, a, _ in listed]),
            _from(self.END, [(d, e) for d, _, e in listed]),
            self.INFO,
        )

    def render(self, snap: Snapshot) -> Fragment:
        labels = label_string(("dataset", "view"), snap.key)
        out = {}
        if snap.meta.as_of is not None:
            out[self.AS_OF.name] = sample_line(self.AS_OF.name, labels, snap.meta.as_of.timestamp())
        if snap.meta.end_date is not None:
            out[self.END.name] = sample_line(self.END.name, labels, day_start(snap.meta.end_date))
        return out

    def static(self, datasets: Iterable[tuple[str, str]]) -> Fragment:
        """The citation facts of the datasets in use: (name, source) pairs."""
        info = "".join(
            sample_line(self.INFO.name, label_string(self.INFO.labels, [d, src, LICENSE]), 1)
            for d, src in sorted(set(datasets))
        )
        return {self.INFO.name: info}


def _from(family: Family, origins: list[tuple[str, str]]) -> Family:
    """``family`` whose HELP ends with where each dataset's value comes from, datasets of
    one origin together: ``…: meta.end_date (a, b); meta.window_end_date (c).``"""
    if not origins:
        return family
    by_origin: dict[str, list[str]] = {}
    for dataset, origin in origins:
        by_origin.setdefault(origin, []).append(dataset)
    where = "; ".join(f"{origin} ({', '.join(names)})" for origin, names in by_origin.items())
    return Family(family.name, f"{family.help} From: {where}.", family.labels)
