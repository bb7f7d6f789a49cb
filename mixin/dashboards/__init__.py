"""The four dashboards, by file name."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders.dashboard import Dashboard

from mixin.config import MixinConfig
from mixin.dashboards import apps, health, models, session_cost
from mixin.dashboards.common import encode

DASHBOARDS: dict[str, Callable[[MixinConfig], Dashboard]] = {
    "openrouter-models.json": models.build,
    "openrouter-apps.json": apps.build,
    "openrouter-session-cost.json": session_cost.build,
    "openrouter-exporter-health.json": health.build,
}


def dashboard_files(cfg: MixinConfig) -> dict[str, str]:
    return {name: encode(build(cfg)) for name, build in DASHBOARDS.items()}
