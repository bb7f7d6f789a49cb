"""The datasets the exporter polls, registered in one place.

Adding a dataset is one module with a ``Dataset`` subclass (its views, what to fetch,
when each view is due, whether its data is current) and one line in ``REGISTRY``; the
planner and the scheduler take it from here. Order matters: the first dataset's first
view is the detector of newly published days.
"""

from __future__ import annotations

from exporter.datasets.apps import AppRankings
from exporter.datasets.base import NEVER, Cadence, Dataset, PlannedView, Publication, View
from exporter.datasets.models import ModelRankings
from exporter.datasets.session_cost import SessionCost

REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in (
        ModelRankings(),
        AppRankings(),
        SessionCost(),
    )
}

__all__ = ["NEVER", "REGISTRY", "Cadence", "Dataset", "PlannedView", "Publication", "View"]
