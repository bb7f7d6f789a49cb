"""task-classifications: how classified traffic splits by task over a trailing window,
checked about daily on its own cadence. ``dataset`` (plan and timing), ``requests``,
``rows`` (row type and parser), ``metrics`` (families). No history: the endpoint takes no
date, so the backfill has nothing to fetch for it."""

from exporter.datasets.task_classifications.config import (
    TaskClassificationsConfig,
    task_classifications_config,
)
from exporter.datasets.task_classifications.dataset import TaskClassifications
from exporter.datasets.task_classifications.metrics import TaskClassificationsCollector
from exporter.datasets.task_classifications.requests import task_classifications
from exporter.datasets.task_classifications.rows import TaskShareRow, parse_body

__all__ = [
    "TaskClassifications",
    "TaskClassificationsCollector",
    "TaskClassificationsConfig",
    "TaskShareRow",
    "parse_body",
    "task_classifications",
    "task_classifications_config",
]
