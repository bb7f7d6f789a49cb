"""benchmarks: benchmark scores by model (Artificial Analysis, OpenRouter, Design Arena),
each view checked about daily on its own cadence. ``dataset`` (plan and timing),
``requests`` (the views' queries), ``rows`` (row type and parser), ``metrics`` (families).
No history: the endpoint takes no date, so the backfill has nothing to fetch for it."""

from exporter.datasets.benchmarks.config import BenchmarksConfig, benchmarks_config
from exporter.datasets.benchmarks.dataset import Benchmarks
from exporter.datasets.benchmarks.metrics import BenchmarksCollector
from exporter.datasets.benchmarks.requests import VIEWS, benchmarks
from exporter.datasets.benchmarks.rows import BenchmarkRow, parse_items

__all__ = [
    "VIEWS",
    "BenchmarkRow",
    "Benchmarks",
    "BenchmarksCollector",
    "BenchmarksConfig",
    "benchmarks",
    "benchmarks_config",
    "parse_items",
]
