"""History → OpenMetrics with timestamps, for ``promtool tsdb create-blocks-from openmetrics``.

The file holds what Prometheus would have scraped from a live exporter at each instant, so
backfilled and live series join and ``offset 30d`` works on day one. Model history is cheap:
rankings-daily answers up to 366 days per request, so 400 days cost 2 requests per view. App
rankings have one window per request, so ``--apps`` costs one request (per 100 rows of depth)
per view and day; it goes through the same Budget and request log as the running exporter,
keeps its progress in ``state_dir/backfill-apps/`` and resumes where the last run stopped.

- ``options``: the flags (argparse) → ``Options``
- ``history``: which days to fetch, and what the file holds; each dataset's own history
  (its periods as the live exporter showed them, its bytes per instant, the app history
  fetched so far across runs) is its package's ``history.py`` (and ``apps/progress.py``)
- ``fetch``: the requests, on the shared budget, with its waits and stops
- ``estimate``: cost, finish time and file size; the figures of the progress lines
- ``writer``: the OpenMetrics file
- ``run``: one run, start to exit status; ``cli``: the subcommand
"""

from exporter.backfill.cli import main
from exporter.backfill.estimate import LogUsage, estimate_finish
from exporter.backfill.fetch import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from exporter.backfill.history import Window, model_windows, split_windows
from exporter.backfill.options import FLOOR, Options, UsageError
from exporter.backfill.run import Backfill, run
from exporter.datasets.history import Shown, shown_intervals
from exporter.periods import bucket_start, latest_complete, utc_minute

__all__ = [
    "EXIT_FAILED",
    "EXIT_INCOMPLETE",
    "EXIT_OK",
    "EXIT_USAGE",
    "FLOOR",
    "Backfill",
    "LogUsage",
    "Options",
    "Shown",
    "UsageError",
    "Window",
    "bucket_start",
    "estimate_finish",
    "latest_complete",
    "main",
    "model_windows",
    "run",
    "shown_intervals",
    "split_windows",
    "utc_minute",
]
