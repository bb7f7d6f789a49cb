"""app-rankings: one ranking per window × sort × filter, to the configured depth; the
views rotate when the budget cannot refresh them all daily. ``dataset`` (plan and
timing), ``requests`` (and paging), ``rows`` (row type and parser), ``metrics`` (families)."""

from exporter.datasets.apps.config import AppsConfig, AppView, app_views, apps_config, watched_apps
from exporter.datasets.apps.dataset import AppRankings
from exporter.datasets.apps.metrics import AppRankingsCollector, unique_apps
from exporter.datasets.apps.requests import app_rankings, app_rankings_pages
from exporter.datasets.apps.rows import AppRow, parse_rows

__all__ = [
    "AppRankings",
    "AppRankingsCollector",
    "AppRow",
    "AppView",
    "AppsConfig",
    "app_rankings",
    "app_rankings_pages",
    "app_views",
    "apps_config",
    "parse_rows",
    "unique_apps",
    "watched_apps",
]
