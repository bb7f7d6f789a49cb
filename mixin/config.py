"""The one configuration the dashboards, rules, alerts and manifests are generated from.

Every number and name a user may want to change is here once; the generators read it and
never spell a job name, threshold or uid of their own. Override any field from a YAML file
with ``python -m mixin --config my-mixin.yaml --output DIR``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

DAY = 86400


@dataclass(frozen=True)
class Thresholds:
    # OpenRouterDataStale: the newest day of a view may be this old (seconds) before the
    # alert fires. Daily data is normally 1-2 days old (yesterday is published a few hours
    # after midnight UTC); session cost is a weekly snapshot ending on a Sunday.
    data_max_age_seconds: dict[str, int] = field(
        default_factory=lambda: {
            "app-rankings": 3 * DAY,
            "rankings-daily": 3 * DAY,
            "session-cost": 10 * DAY,
        }
    )
    # OpenRouterBudgetNearlyExhausted: share of the 24 h request budget in use.
    budget_used_ratio: float = 0.9
    # The app leaderboard that matters (EnteredTopN, LeftTopN, RankDropped).
    app_top_n: int = 10
    # OpenRouterAppRankDropped: places lost in one day by an app that was in the top N.
    app_rank_drop_positions: int = 5
    # The model leaderboard that matters (NewTopModel, ModelRankChanged); 1 = only a new #1.
    model_top_n: int = 10
    # OpenRouterModelRankChanged: places moved (up or down) in one day.
    model_rank_change_positions: int = 3
    # OpenRouterWatched*RankChanged: places moved in one day by a watched entry.
    watched_rank_change_positions: int = 1
    # NewTopModel, AppEnteredTopN: an entry back in the top N within this many published
    # days of having been there has not "entered" (a #10/#11 swap is no news).
    reentry_days: int = 7


@dataclass(frozen=True)
class MixinConfig:
    # Added to every selector of every query, rule and alert: which targets are ours.
    # Empty (the default) means "wherever the metrics come from": our series are
    # recognised by their names, so no job name is needed. Example: 'job="openrouter"'.
    selector: str = ""
    # The longest gap between two samples of a dataset series that queries bridge: the
    # step of a backfilled history (`backfill --step`, default 1h), and scrape gaps.
    bridge: str = "1h"
    # The longest scrape gap (a failed scrape, a restart) the recorded market series
    # bridge, so an alert's `for:` is not reset by one missed scrape.
    gap: str = "10m"
    # How often the market rules run. The data changes a few times a day and the exporter
    # is scraped once a minute (prometheus/prometheus.yml): more often buys nothing but CPU.
    market_rule_interval: str = "1m"
    # Market alerts keep firing this long after their condition last held, so a refresh or
    # scrape gap does not resolve an alert and raise it again.
    market_keep_firing_for: str = "1h"
    # Where notifications link to (the dashboards' panels): your Grafana's base URL.
    grafana_url: str = "http://localhost:3000"
    thresholds: Thresholds = field(default_factory=Thresholds)
    dashboard_uids: dict[str, str] = field(
        default_factory=lambda: {
            "models": "openrouter-models",
            "apps": "openrouter-apps",
            "session_cost": "openrouter-session-cost",
            "health": "openrouter-exporter-health",
        }
    )
    dashboard_refresh: str = "5m"
    # The Prometheus data source Grafana-managed alert rules query. Rules cannot use the
    # dashboards' `datasource` variable, so they name one: the uid
    # grafana/provisioning/datasources/ gives it (kube-prometheus-stack's is the same).
    grafana_datasource_uid: str = "prometheus"
    dashboard_tags: tuple[str, ...] = ("openrouter",)
    # Kubernetes: the namespace and the image the manifests use.
    namespace: str = "monitoring"
    # Build and push it yourself; `kustomize edit set image openrouter-exporter=…`.
    image: str = "openrouter-exporter:latest"
    # kube-prometheus-stack selects PrometheusRules and ServiceMonitors by this label.
    prometheus_release_label: str = "kube-prometheus-stack"


def load(path: str | Path | None) -> MixinConfig:
    """The defaults, with the fields a YAML file sets replaced (unknown keys are errors)."""
    cfg = MixinConfig()
    if path is None:
        return cfg
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return _merge(cfg, data, str(path))


def _merge(obj: Any, data: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise SystemExit(f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})")
        current = getattr(obj, key)
        if hasattr(current, "__dataclass_fields__"):
            changes[key] = _merge(current, value or {}, f"{where}: {key}")
        elif isinstance(current, dict):
            changes[key] = {**current, **(value or {})}
        elif isinstance(current, tuple):
            changes[key] = tuple(value)
        else:
            changes[key] = type(current)(value)
    return replace(obj, **changes)
