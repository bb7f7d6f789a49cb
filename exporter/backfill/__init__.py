"""History → OpenMetrics with timestamps, for ``promtool tsdb create-blocks-from openmetrics``.

The file holds what Prometheus would have scraped from a live exporter at each instant, so
backfilled and live series join and ``offset 30d`` works on day one. Each dataset declares
its history on its ``Dataset`` (``exporter.datasets.history``: what it costs, its requests,
its periods as the live exporter showed them, what it keeps across runs), or that it has
none and why; the backfill iterates the registry and never names a dataset. Every request
goes through the same Budget and request log as the running exporter; a history too costly
to fetch unasked has a switch (``--apps``) and keeps its progress in ``state_dir``, so a
stopped run resumes.

- ``options``: the flags (argparse) → ``Options``; each history's switch is its own
- ``history``: the datasets with a history, when the samples are, what the file holds
- ``fetch``: the requests, on the shared budget, with its waits and stops
- ``estimate``: cost, finish time and file size; the figures of the progress lines
- ``writer``: the OpenMetrics file
- ``run``: one run, start to exit status; ``cli``: the subcommand
"""

from exporter.backfill.cli import main
from exporter.backfill.estimate import LogUsage, estimate_finish
from exporter.backfill.fetch import EXIT_FAILED, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from exporter.backfill.options import FLOOR, Options, UsageError
from exporter.backfill.run import Backfill, run
from exporter.datasets.history import Shown, Window, shown_intervals, split_windows
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
    "run",
    "shown_intervals",
    "split_windows",
    "utc_minute",
]
