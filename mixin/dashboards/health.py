"""OpenRouter / Exporter health: budget, API answers, freshness and state of every view.

With several exporters every per-view figure is the WORST instance's (lowest view_up,
oldest success, most overdue refresh), so one failing exporter is never hidden by a
healthy one.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import FieldColorModeId, Threshold

from mixin.config import MixinConfig
from mixin.dashboards.common import (
    RED_GREEN,
    binary_mapping,
    build_dashboard,
    citation,
    column,
    dashboard_color,
    merged_table,
    stat_panel,
    state_timeline,
    tables,
    target,
    thresholds,
    time_series,
)
from mixin.dashboards.queries import citation_expr, per_view
from mixin.dashboards.variables import datasource_var, target_vars
from mixin.promql import Q

DAY = 'window="24h"'
CODE_429 = 'code="429"'


def build(cfg: MixinConfig) -> Dashboard:
    q = Q(cfg, variables=True)
    panels = [
        citation(citation_expr(q, None)),
        *headline(cfg, q),
        budget(
            q,
            "Daily budget: used vs limit (sliding 24h)",
            "24h",
            (0, 7, 12, 9),
            "Requests sent in the last 24 hours (429s included) and the limit each exporter "
            "keeps: the account's daily limit minus the reserve left for other consumers.",
        ),
        budget(q, "Per-minute budget: used vs limit (sliding 60s)", "1m", (12, 7, 12, 9), ""),
        time_series(
            "Requests per hour by status code",
            [
                target(
                    f"sum by (code) (increase({q('openrouter_exporter_api_requests_total')}[1h]))",
                    "{{code}}",
                )
            ],
            (0, 16, 12, 9),
            stack=True,
            step=False,
            description="Data API requests in the preceding hour by HTTP status, all chosen "
            "exporters together (`error` = no response: timeout, DNS, connection).",
        ).unit("short"),
        column(
            merged_table(
                "Requests in the time range by endpoint and code",
                tables(
                    f"sum by (endpoint, code) (increase("
                    f"{q('openrouter_exporter_api_requests_total')}[$__range]))"
                ),
                (12, 16, 12, 9),
                rename={"Value": "Requests", "endpoint": "Endpoint", "code": "Code"},
                order=["Endpoint", "Code", "Requests"],
                sort_by="Requests",
                desc=True,
            ),
            "Requests",
            decimals=0,
        ),
        time_series(
            "Data age (now - end date), worst exporter",
            [
                target(
                    "time() - " + per_view(q, "openrouter_data_end_date_timestamp_seconds", "min"),
                    "{{dataset}} {{view}}",
                )
            ],
            (0, 25, 12, 9),
            step=False,
            description="How old the newest day of each view is on the exporter that lags "
            "most. Daily data is normally 1-2 days old (yesterday is published a few hours "
            "after midnight UTC); the session-cost snapshot is weekly.",
        ).unit("s"),
        durations(q),
        views_table(q),
        state_timeline(
            "View up over time (worst exporter)",
            [target(per_view(q, "openrouter_exporter_view_up", "min"), "{{dataset}} {{view}}")],
            (0, 48, 24, 12),
            description="openrouter_exporter_view_up per view, the lowest over the chosen "
            "exporters: 0 when a refresh failed (also when the API key is rejected).",
        ),
    ]
    variables = [datasource_var(), *target_vars(cfg, "openrouter_exporter_build_info")]
    return build_dashboard(
        cfg,
        "health",
        "OpenRouter / Exporter health",
        "Request budget, API responses, data freshness and view state of openrouter-exporter.",
        variables,
        panels,
        time_from="now-24h",
    )


def headline(cfg: MixinConfig, q: Q) -> list:
    by_threshold = dashboard_color(FieldColorModeId.THRESHOLDS)
    red = cfg.thresholds.budget_used_ratio
    rate_limited = q("openrouter_exporter_api_requests_total", CODE_429)
    # Alerts without job/instance (the market-wide DataStale) match the variables' "All".
    alerts = q(
        "ALERTS", 'alertname=~"OpenRouter.*"', 'alertstate="firing"', 'severity=~"warning|critical"'
    )
    return [
        stat_panel(
            "Scrape up (worst)",
            [target(f"min({q('up')} and on (job, instance) {q.exporters()})", "up", instant=True)],
            (0, 3, 4, 4),
            description="Whether Prometheus scrapes every chosen exporter (the lowest `up` "
            "of the targets that export openrouter_exporter_build_info).",
            color_mode=common.BigValueColorMode.BACKGROUND,
        )
        .mappings(binary_mapping("DOWN", "UP"))
        .color_scheme(by_threshold)
        .thresholds(thresholds(RED_GREEN)),
        stat_panel(
            "Version",
            [
                target(
                    f"max by (version) ({q('openrouter_exporter_build_info')})",
                    "{{version}}",
                    instant=True,
                )
            ],
            (4, 3, 4, 4),
            text_mode=common.BigValueTextMode.NAME,
        ),
        stat_panel(
            "Views failing",
            [
                target(
                    f"count({per_view(q, 'openrouter_exporter_view_up', 'min')} == 0) or vector(0)",
                    "failing",
                    instant=True,
                )
            ],
            (8, 3, 4, 4),
            description="Views whose last refresh failed on at least one chosen exporter "
            "(openrouter_exporter_view_up == 0); it keeps serving their last good data.",
            color_mode=common.BigValueColorMode.BACKGROUND,
        )
        .color_scheme(by_threshold)
        .thresholds(
            thresholds([Threshold(value=None, color="green"), Threshold(value=1, color="red")])
        ),
        stat_panel(
            "Daily budget used (highest)",
            [target(f"max({q.budget_ratio(DAY)})", "24h", instant=True)],
            (12, 3, 4, 4),
            color_mode=common.BigValueColorMode.VALUE,
        )
        .unit("percentunit")
        .color_scheme(by_threshold)
        .thresholds(
            thresholds(
                [
                    Threshold(value=None, color="green"),
                    Threshold(value=round(red * 5 / 6, 3), color="orange"),
                    Threshold(value=red, color="red"),
                ]
            )
        ),
        stat_panel(
            "Rate-limited (429) in 24h",
            [target(f"sum(increase({rate_limited}[24h])) or vector(0)", "429s", instant=True)],
            (16, 3, 4, 4),
        )
        .unit("short")
        .decimals(0),
        stat_panel(
            "Firing OpenRouter health alerts",
            [target(f"count({alerts}) or vector(0)", "alerts", instant=True)],
            (20, 3, 4, 4),
            description="Warning and critical alerts of openrouter-alerts.yml firing in the "
            "Prometheus behind this data source (market events, severity info, are not "
            "health problems and are not counted).",
        ),
    ]


def budget(q: Q, title: str, window: str, grid, description: str):
    w = f'window="{window}"'
    return time_series(
        title,
        [
            target(
                f"max by (job, instance) ({q('openrouter_exporter_budget_used_requests', w)})",
                "used {{job}} {{instance}}",
                ref="A",
            ),
            target(
                f"max by (job, instance) ({q('openrouter_exporter_budget_limit_requests', w)})",
                "limit {{job}} {{instance}}",
                ref="B",
            ),
        ],
        grid,
        step=False,
        description=description,
    ).unit("short")


def durations(q: Q):
    bucket = q("openrouter_exporter_api_request_duration_seconds_bucket")
    total = q("openrouter_exporter_api_request_duration_seconds_sum")
    count = q("openrouter_exporter_api_request_duration_seconds_count")
    return time_series(
        "Request duration p90 by endpoint (since exporter start)",
        [
            target(
                f"histogram_quantile(0.9, sum by (le, endpoint) ({bucket}))",
                "p90 {{endpoint}}",
                ref="A",
            ),
            target(
                f"sum by (endpoint) ({total}) / sum by (endpoint) ({count})",
                "mean {{endpoint}}",
                ref="B",
            ),
        ],
        (12, 25, 12, 9),
        step=False,
        description="The exporter sends a few requests an hour, too few for per-minute "
        "rates, so these are computed over the process lifetime.",
    ).unit("s")


def views_table(q: Q):
    p = merged_table(
        "Views: state, freshness and next refresh (worst exporter)",
        tables(
            per_view(q, "openrouter_exporter_view_up", "min"),
            "time() - "
            + per_view(q, "openrouter_exporter_view_last_success_timestamp_seconds", "min"),
            per_view(q, "openrouter_exporter_view_next_refresh_timestamp_seconds", "min")
            + " - time()",
            "time() - " + per_view(q, "openrouter_data_end_date_timestamp_seconds", "min"),
            "1000 * " + per_view(q, "openrouter_data_as_of_timestamp_seconds", "min"),
        ),
        (0, 34, 24, 14),
        rename={
            "Value #A": "Up",
            "Value #B": "Last success (ago)",
            "Value #C": "Next refresh (in)",
            "Value #D": "Data age",
            "Value #E": "as_of",
            "dataset": "Dataset",
            "view": "View",
        },
        order=[
            "Dataset",
            "View",
            "Up",
            "Last success (ago)",
            "Next refresh (in)",
            "Data age",
            "as_of",
        ],
        sort_by="Up",
        description="One row per configured view; with several exporters, the worst of "
        "them (state 0 if any fails, the oldest success, the most overdue refresh, the "
        "oldest data). Next refresh is negative when a refresh is overdue (waiting for "
        "budget or backing off).",
    )
    p = column(
        p,
        "Up",
        mappings=[m.to_json() for m in binary_mapping("failing", "ok")],
        cell={"type": "color-text"},
        width=80,
    )
    p = column(p, "Last success (ago)", unit="s")
    p = column(p, "Next refresh (in)", unit="s")
    p = column(p, "Data age", unit="s")
    return column(p, "as_of", unit="dateTimeAsIso")
