"""rankings-daily: daily (weekly, monthly) model rankings; its first view detects newly
published days. ``dataset`` (plan and timing), ``requests``, ``rows`` (row type and
parser), ``metrics`` (families)."""

from exporter.datasets.models.config import (
    ModelsConfig,
    ModelView,
    model_views,
    models_config,
    watched_models,
)
from exporter.datasets.models.dataset import INTERNAL_DETECTOR, ModelRankings, detector_view
from exporter.datasets.models.metrics import (
    ModelPeriod,
    ModelRankingsCollector,
    latest_complete_period,
    model_labels,
    model_period,
    period_at,
)
from exporter.datasets.models.requests import rankings_daily
from exporter.datasets.models.rows import ModelDayRow, parse_rows
from exporter.datasets.models.watch import matches, watched_models_in

__all__ = [
    "INTERNAL_DETECTOR",
    "ModelDayRow",
    "ModelPeriod",
    "ModelRankings",
    "ModelRankingsCollector",
    "ModelView",
    "ModelsConfig",
    "detector_view",
    "latest_complete_period",
    "matches",
    "model_labels",
    "model_period",
    "model_views",
    "models_config",
    "parse_rows",
    "period_at",
    "rankings_daily",
    "watched_models",
    "watched_models_in",
]
