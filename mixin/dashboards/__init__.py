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


def panel_link(cfg: MixinConfig, key: str, title: str, variables: str) -> str:
    """A link to one panel of dashboard ``key`` (viewPanel: the panel alone, full size),
    with its variables set: the notifications' way to where a move shows."""
    board = DASHBOARDS[f"openrouter-{key}.json"](cfg).build()
    found = [p.id_val for p in board.panels or [] if getattr(p, "title", None) == title]
    if len(found) != 1:
        raise ValueError(f"dashboard {key}: {len(found)} panels titled {title!r}")
    return f"{cfg.grafana_url}/d/{cfg.dashboard_uids[key]}?{variables}&viewPanel={found[0]}"


def dashboard_files(cfg: MixinConfig) -> dict[str, str]:
    return {name: encode(build(cfg)) for name, build in DASHBOARDS.items()}
