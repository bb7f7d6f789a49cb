"""Which days to fetch, and when the live exporter showed each period.

A day D is first served at 00:00 UTC of D+1 (the API never serves the current day), so the
value at t is the latest *complete* period whose last day is before t's UTC day: a day view
shows D-1, a week view the last ISO week that ended before t, a month view the last month
that ended before t. A day missing from the API (2025-06-15, 2025-07-15) leaves the previous
period showing, exactly as the live exporter does, until that period leaves the view's
``days`` window; a longer outage is a gap, as it is live.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from exporter.backfill.options import FLOOR, Options
from exporter.collector import MetaCollector
from exporter.config import MAX_WINDOW_DAYS, Config, ModelView
from exporter.datasets import sources
from exporter.datasets.apps import AppRankingsCollector
from exporter.datasets.history import Shown
from exporter.datasets.models import ModelRankingsCollector
from exporter.metrictext import Family, Fragment
from exporter.periods import bucket_end, bucket_start, day_start, latest_complete

HEAD_SECONDS = 3 * 3600  # Prometheus's head block: backfilling into it is not safe
# The view's freshness and the citation facts go with the rankings, as on /metrics: the
# dashboards' citation lines and data-age panels read them over the history too.
META_FAMILIES = (MetaCollector.AS_OF, MetaCollector.END, MetaCollector.INFO)


def families(apps: bool) -> list[Family]:
    """What the file holds: model rankings and their meta, and app rankings if asked."""
    app = (*AppRankingsCollector.families, *AppRankingsCollector.info_families) if apps else ()
    return [*ModelRankingsCollector.families, *META_FAMILIES, *app]


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def split_windows(
    start: date, end: date, period: str = "day", max_days: int = MAX_WINDOW_DAYS
) -> list[Window]:
    """[start, end] in as few windows of at most ``max_days`` as fit, cut only at bucket
    boundaries, and of about equal length.

    A week or month cut in two would come back as two partial buckets with the same date.
    Equal lengths keep the newest window long: a few-day window after a late publication
    would start after the API's newest day, which is a 400.
    """
    windows: list[Window] = []
    cursor = start
    while cursor <= end:
        left = (end - cursor).days + 1
        parts = -(-left // max_days)
        stop = cursor + timedelta(days=-(-left // parts) - 1)
        if stop >= end:
            stop = end
        elif bucket_end(bucket_start(stop, period), period) != stop:
            stop = bucket_start(stop, period) - timedelta(days=1)
        windows.append(Window(cursor, stop))
        cursor = stop + timedelta(days=1)
    return windows


def model_range(view: ModelView, first: date, last: date) -> tuple[date, date]:
    """Days to fetch so every instant from ``first``+1 on has its latest complete period."""
    return max(FLOOR, latest_complete(first, view.period)), last


def model_windows(view: ModelView, first: date, last: date) -> list[Window]:
    start, end = model_range(view, first, last)
    return split_windows(start, end, view.period)


def sample_range(opts: Options, now: float) -> tuple[int, int]:
    """[t0, t1): the day after ``--from`` up to the end of the day after ``--to``, never
    inside the last 3 hours."""
    t0 = day_start(opts.first + timedelta(days=1))
    t1 = min(day_start(opts.last + timedelta(days=2)), int(now) - HEAD_SECONDS)
    return t0, t1


def static_history(
    cfg: Config, datasets: Iterable[str], t0: int, t1: int
) -> list[tuple[Shown, Fragment]]:
    """Citation facts and the app views' labels over the whole file, as live."""
    static = MetaCollector().static(sources(datasets)) | AppRankingsCollector(cfg).info()
    return [(Shown(date.min, t0, t1), static)]
