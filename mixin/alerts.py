"""Alerts: on the exporters (carry job and instance) and on the market (data labels only).

Every threshold comes from ``MixinConfig.thresholds`` and every selector from ``promql.Q``:
no job name is written here. A rule's ``note`` becomes the comment above it in the YAML.
"""

from __future__ import annotations

from typing import Any

from mixin.alerttext import alert, eq, label
from mixin.config import MixinConfig
from mixin.market_alerts import app_alerts, model_alerts, watch_alerts
from mixin.promql import Q
from mixin.yamlout import Group

DAY_WINDOW = 'window="24h"'


# --- alerts on the exporter (carry job and instance) ---------------------------------


def seen(q: Q, code: str, window: str, labels: str) -> str:
    """Requests answered with ``code`` in ``window``; the second branch sees a series born
    inside the window, whose first increment increase() cannot see."""
    s = q("openrouter_exporter_api_requests_total", eq("code", code))
    return (
        f"sum by ({labels}) (increase({s}[{window}])) > 0\nor\n"
        f"sum by ({labels}) ({s} unless {s} offset {window}) > 0"
    )


def availability_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q = Q(cfg, variables=False)
    ours = q.exporters()
    return [
        alert(
            "OpenRouterExporterDown",
            f"{q('up')} == 0\nand on (job, instance)\n{ours}",
            "critical",
            f"openrouter-exporter {label('instance')} is down",
            f"Prometheus has failed to scrape {label('instance')} (job {label('job')}) for "
            "5 minutes. No OpenRouter data is being collected from it.",
            "5m",
            "Our targets exported build_info in the last day (or are down since, with this "
            "alert firing): no job name is needed.",
        ),
        alert(
            "OpenRouterExporterAbsent",
            f"absent({q('up')} and on (job, instance) {ours})",
            "critical",
            "No openrouter-exporter is being scraped",
            "Prometheus has no target that exported openrouter_exporter_build_info in the "
            "last day for 15 minutes. Dashboards show no new data and the market alerts are "
            "silent.",
            "15m",
            "No exporter target at all: a pod gone and not rescheduled, a ServiceMonitor that "
            "no longer matches. A target that is down is OpenRouterExporterDown's.",
        ),
        alert(
            "OpenRouterApiKeyInvalid",
            f"(\n{seen(q, '401', '6h', 'job, instance')}\n)\nand on (job, instance)\n"
            f"(min by (job, instance) ({q('openrouter_exporter_view_up')}) == 0)",
            "critical",
            f"OpenRouter rejects the exporter's API key ({label('instance')})",
            "The Data API answered 401 Unauthorized and views are failing on "
            f"{label('instance')}. Set a valid key in OPENROUTER_API_KEY or api_key_file and "
            "restart the exporter. Any inference key works for the Data API.",
            "5m",
            "A 401 in the last 6h while a view fails.",
        ),
    ]


def operation_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q, t = Q(cfg, variables=False), cfg.thresholds
    end = "openrouter_data_end_date_timestamp_seconds"
    stale = "\nor\n".join(
        f"(time() - max by (dataset, view) ({q(end, eq('dataset', d))})) > {seconds}"
        for d, seconds in sorted(t.data_max_age_seconds.items())
    )
    view = f"{label('dataset')} / {label('view')}"
    return [
        alert(
            "OpenRouterDataStale",
            stale,
            "warning",
            f"OpenRouter {label('dataset')} view {label('view')} is stale",
            f"The newest data of {view} ends {{{{ $value | humanizeDuration }}}} ago. Either "
            "OpenRouter has not published new data or no exporter can refresh it (see "
            "openrouter_exporter_view_up and the Exporter health dashboard).",
            "1h",
            "The market's newest day, whichever exporter has it: one exporter failing is "
            "OpenRouterViewFailing's.",
        ),
        alert(
            "OpenRouterViewFailing",
            f"{q('openrouter_exporter_view_up')} == 0",
            "warning",
            f"OpenRouter view {view} fails to refresh on {label('instance')}",
            f"The exporter on {label('instance')} has failed to refresh {view} for an hour; "
            "it keeps serving the last good data. Check openrouter_exporter_api_requests_total "
            "by code and the exporter log.",
            "1h",
        ),
        alert(
            "OpenRouterBudgetNearlyExhausted",
            f"{q.budget_ratio(DAY_WINDOW)}\n> {t.budget_used_ratio}",
            "warning",
            f"openrouter-exporter {label('instance')} has used "
            "{{ $value | humanizePercentage }} of its daily request budget",
            f"{label('instance')} has sent {{{{ $value | humanizePercentage }}}} of the "
            "requests its 24h budget allows. When the budget is spent, refreshes wait and data "
            "goes stale. Configure fewer views, or raise the budget if the account's 500/day "
            "allows it.",
            "15m",
        ),
        alert(
            "OpenRouterRateLimited",
            seen(q, "429", "1h", "job, instance, endpoint"),
            "warning",
            f"OpenRouter rate-limits the exporter {label('instance')} ({label('endpoint')})",
            f"The Data API answered 429 Too Many Requests to {label('instance')} for "
            f"{label('endpoint')} in the last hour. The 500/day limit is per account: "
            "something else on the same account is probably using the Data API. Raise the "
            "exporter's budget reserve or move it to its own account.",
            note="Any 429 within the last hour.",
        ),
    ]


def alert_groups(cfg: MixinConfig) -> list[Group]:
    return [
        Group("openrouter-exporter-alerts", availability_alerts(cfg) + operation_alerts(cfg)),
        Group(
            "openrouter-market-alerts",
            app_alerts(cfg) + model_alerts(cfg) + watch_alerts(cfg),
            interval=cfg.market_rule_interval,
        ),
    ]
