#!/usr/bin/env python3
"""Generate the Grafana dashboards in grafana/dashboards/ (stdlib only).

    python grafana/generate.py           # rewrite the JSON files
    python grafana/generate.py --check   # exit 1 if a committed file is not current

Dashboards target Grafana 10.4+ (schemaVersion 39). Every panel, query and template
variable uses the `datasource` template variable, so the files work both with file
provisioning (grafana/provisioning/) and with "Import dashboard" in the UI; there are
no `__inputs`. The uids are fixed: links and bookmarks survive re-imports.

Queries use only metric names from the exporter's contract (DESIGN.md) and the
recording rules in prometheus/rules/openrouter-recording.yml. The end-to-end test
(tests/test_e2e_prometheus.py) evaluates every query below against a real Prometheus
scraping the demo, so a query that returns nothing fails the build.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
TAGS = ["openrouter"]
LICENCE_NOTE = (
    "OpenRouter publishes this data under CC BY 4.0: keep this line when you share a "
    "screenshot or a figure. The time is meta.as_of of the response behind the data "
    "(openrouter_data_as_of_timestamp_seconds), in UTC; where several views are shown, "
    "the oldest."
)
STEP_LINES = {
    "lineInterpolation": "stepAfter",
    "lineWidth": 2,
    "fillOpacity": 0,
    "showPoints": "never",
    "spanNulls": False,
}
CHANGE_COLORS = {  # rank change: positive = moved up
    "mode": "absolute",
    "steps": [
        {"color": "red", "value": None},
        {"color": "text", "value": 0},
        {"color": "green", "value": 1},
    ],
}


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------
def target(
    expr: str, legend: str = "", *, ref: str = "A", instant: bool = False, table: bool = False
) -> dict:
    t = {
        "datasource": DS,
        "refId": ref,
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "editorMode": "code",
    }
    if table:
        t["format"] = "table"
    return t


def tables(*queries: str) -> list[dict]:
    """Instant table queries A, B, C… for a merged table."""
    return [
        target(q, ref=chr(ord("A") + i), instant=True, table=True) for i, q in enumerate(queries)
    ]


def panel(
    kind: str,
    title: str,
    targets: list[dict],
    grid: tuple[int, int, int, int],
    *,
    description: str = "",
    unit: str | None = None,
    custom: dict | None = None,
    options: dict | None = None,
    defaults: dict | None = None,
    overrides: list | None = None,
    transformations: list | None = None,
    **extra,
) -> dict:
    x, y, w, h = grid
    fd: dict = {}
    if unit:
        fd["unit"] = unit
    if custom:
        fd["custom"] = custom
    fd.update(defaults or {})
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": targets,
        "fieldConfig": {"defaults": fd, "overrides": overrides or []},
        "options": options or {},
    }
    if transformations:
        p["transformations"] = transformations
    p.update(extra)
    return p


def stat(title: str, targets: list[dict], grid, *, text_mode: str = "value", **kw) -> dict:
    opts = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "textMode": text_mode,
        "colorMode": "none",
        "graphMode": "none",
        "justifyMode": "auto",
        "orientation": "auto",
        "wideLayout": True,
        "showPercentChange": False,
    }
    opts.update(kw.pop("options", {}))
    return panel("stat", title, targets, grid, options=opts, **kw)


def timeseries(
    title: str, targets: list[dict], grid, *, stack: bool = False, custom: dict | None = None, **kw
) -> dict:
    c = dict(STEP_LINES)
    if stack:
        c.update({"stacking": {"mode": "normal", "group": "A"}, "fillOpacity": 60, "lineWidth": 1})
    c.update(custom or {})
    opts = {
        "legend": {
            "displayMode": "table",
            "placement": "right",
            "showLegend": True,
            "calcs": ["lastNotNull"],
            "sortBy": "Last *",
            "sortDesc": True,
        },
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    opts.update(kw.pop("options", {}))
    return panel("timeseries", title, targets, grid, custom=c, options=opts, **kw)


def table(
    title: str,
    targets: list[dict],
    grid,
    *,
    rename: dict[str, str],
    order: list[str],
    sort_by: str | None = None,
    desc: bool = False,
    extra_transformations: list | None = None,
    **kw,
) -> dict:
    """A table from instant queries, merged on their labels, columns renamed/ordered."""
    exclude = {"Time": True, "job": True, "instance": True, "__name__": True}
    transformations = [{"id": "merge", "options": {}}] if len(targets) > 1 else []
    transformations += extra_transformations or []
    transformations.append(
        {
            "id": "organize",
            "options": {
                "excludeByName": exclude,
                "renameByName": rename,
                "indexByName": {name: i for i, name in enumerate(order)},
            },
        }
    )
    opts = {
        "showHeader": True,
        "cellHeight": "sm",
        "footer": {"show": False, "reducer": ["sum"], "fields": "", "countRows": False},
    }
    if sort_by:
        opts["sortBy"] = [{"displayName": sort_by, "desc": desc}]
    opts.update(kw.pop("options", {}))
    return panel("table", title, targets, grid, options=opts, transformations=transformations, **kw)


def by_name(name: str, **props) -> dict:
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": k, "value": v} for k, v in props.items()],
    }


def change_column(name: str) -> dict:
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [
            {"id": "thresholds", "value": CHANGE_COLORS},
            {"id": "custom.cellOptions", "value": {"type": "color-text"}},
            {"id": "custom.width", "value": 90},
        ],
    }


def citation(expr: str, grid) -> dict:
    return stat(
        "Data citation (CC BY 4.0)",
        [target(expr, "Source: OpenRouter ({{source}}), as of", instant=True)],
        grid,
        text_mode="value_and_name",
        unit="dateTimeAsIso",
        description=LICENCE_NOTE,
        defaults={"color": {"mode": "fixed", "fixedColor": "text"}},
        options={"text": {"titleSize": 14, "valueSize": 14}},
    )


def citation_expr(dataset_selector: str, as_of_selector: str) -> str:
    """min(as_of) of the views shown, labelled with the dataset's citation source."""
    return (
        "1000 * min by (source) (\n"
        f"  max by (dataset, source) (openrouter_dataset_info{{{dataset_selector}}})\n"
        "  * on (dataset) group_left ()\n"
        f"  min by (dataset) (openrouter_data_as_of_timestamp_seconds{{{as_of_selector}}})\n"
        ")"
    )


def binary_mapping(zero: str, one: str) -> list[dict]:
    """Value mapping for a 0/1 series (up, view_up): red zero, green one."""
    return [
        {
            "type": "value",
            "options": {
                "0": {"text": zero, "color": "red", "index": 0},
                "1": {"text": one, "color": "green", "index": 1},
            },
        }
    ]


RED_GREEN = {
    "mode": "absolute",
    "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}],
}


def app_citation_expr() -> str:
    """as_of of exactly the app view selected by the variables (joined on its view name)."""
    return (
        "1000 * min by (source) (\n"
        '  max by (dataset, source) (openrouter_dataset_info{dataset="app-rankings"})\n'
        "  * on (dataset) group_left ()\n"
        "  min by (dataset) (\n"
        '    openrouter_data_as_of_timestamp_seconds{dataset="app-rankings"}\n'
        "    * on (job, instance, view) group_left ()\n"
        '    openrouter_app_view_info{window="$window", sort="$sort", category="$category",'
        ' subcategory="$subcategory"}\n'
        "  )\n"
        ")"
    )


def datasource_var() -> dict:
    return {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "regex": "",
        "current": {},
        "options": [],
        "hide": 0,
        "refresh": 1,
        "multi": False,
        "includeAll": False,
        "skipUrlSync": False,
    }


def query_var(
    name: str,
    label: str,
    query: str,
    *,
    current: str | None = None,
    multi: bool = False,
    include_all: bool = False,
    all_value: str | None = None,
    regex: str = "",
    sort: int = 0,
    description: str = "",
) -> dict:
    v = {
        "name": name,
        "label": label,
        "description": description,
        "type": "query",
        "datasource": DS,
        "definition": query,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,
        "regex": regex,
        "sort": sort,
        "multi": multi,
        "includeAll": include_all,
        "options": [],
        "hide": 0,
        "skipUrlSync": False,
        "current": {},
    }
    if include_all:
        v["allValue"] = all_value
        v["current"] = {"selected": True, "text": ["All"], "value": ["$__all"]}
    elif current is not None:
        v["current"] = {"selected": True, "text": current, "value": current}
    return v


def custom_var(
    name: str, label: str, values: list[str], current: str, description: str = ""
) -> dict:
    return {
        "name": name,
        "label": label,
        "description": description,
        "type": "custom",
        "query": ",".join(values),
        "multi": False,
        "includeAll": False,
        "hide": 0,
        "skipUrlSync": False,
        "current": {"selected": True, "text": current, "value": current},
        "options": [{"selected": v == current, "text": v, "value": v} for v in values],
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    variables: list[dict],
    panels: list[dict],
    *,
    time_from: str = "now-30d",
) -> dict:
    for i, p in enumerate(panels, start=1):
        p["id"] = i
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": TAGS,
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "refresh": "5m",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "links": [
            {
                "title": "OpenRouter dashboards",
                "type": "dashboards",
                "tags": TAGS,
                "asDropdown": True,
                "includeVars": False,
                "keepTime": True,
                "targetBlank": False,
                "icon": "external link",
                "tooltip": "",
                "url": "",
            }
        ],
        "templating": {"list": variables},
        "panels": panels,
    }


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
def models() -> dict:
    v = 'view="$view"'
    top = 'openrouter_model_rank{view="$view"} <= $top'
    panels = [
        citation(
            citation_expr('dataset="rankings-daily"', 'dataset="rankings-daily", view="$view"'),
            (0, 0, 24, 3),
        ),
        stat(
            "Total tokens, latest $view period",
            [target(f"sum(view:openrouter_model_tokens:sum{{{v}}})", "tokens", instant=True)],
            (0, 3, 6, 4),
            unit="short",
            description="All models' tokens in the latest complete period of the view "
            "(the top 50 plus the `other` long tail).",
        ),
        stat(
            "#1 model",
            [
                target(
                    f"max by (model) (openrouter_model_rank{{{v}}} == 1)", "{{model}}", instant=True
                )
            ],
            (6, 3, 6, 4),
            text_mode="name",
            description="The model ranked first by tokens in the latest complete period.",
        ),
        stat(
            "Top author share",
            [
                target(
                    f"topk(1, max by (author) (view_author:openrouter_model_share:sum{{{v}, "
                    f'author!="other"}}))',
                    "{{author}}",
                    instant=True,
                )
            ],
            (12, 3, 6, 4),
            text_mode="value_and_name",
            unit="percentunit",
            description="Share of all tokens of the author with the most tokens.",
        ),
        stat(
            "Long tail (other) share",
            [
                target(
                    f'sum(openrouter_model_share{{{v}, model="other"}}) or vector(0)',
                    "other",
                    instant=True,
                )
            ],
            (18, 3, 6, 4),
            unit="percentunit",
            description="Share of tokens of every model outside the top 50 (the API's "
            "`other` row; 0 when OpenRouter omits it).",
        ),
        timeseries(
            "Market share by author",
            [
                target(
                    f"max by (author) (view_author:openrouter_model_share:sum{{{v}}})", "{{author}}"
                )
            ],
            (0, 7, 12, 10),
            stack=True,
            unit="percentunit",
            defaults={"min": 0, "max": 1},
            description="Share of all tokens per author (the part of the permaslug before "
            "`/`), stacked; `other` is the long tail outside the top 50. Each "
            "point shows the latest complete period as of that time.",
        ),
        panel(
            "bargauge",
            "Share by author, latest $view period",
            [
                target(
                    f"sort_desc(max by (author) (view_author:openrouter_model_share:sum{{{v}}}))",
                    "{{author}}",
                    instant=True,
                )
            ],
            (12, 7, 12, 10),
            unit="percentunit",
            defaults={"min": 0, "max": 1},
            options={
                "orientation": "horizontal",
                "displayMode": "basic",
                "valueMode": "color",
                "showUnfilled": True,
                "namePlacement": "left",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            },
            description="Share of all tokens per author in the latest complete period.",
        ),
        table(
            "Top models, latest $view period",
            tables(
                f"max by (model, author, variant) (openrouter_model_rank{{{v}}})",
                f'max by (model, author, variant) (openrouter_model_tokens{{{v}, model!="other"}})',
                f'max by (model, author, variant) (openrouter_model_share{{{v}, model!="other"}})',
                f"max by (model, author, variant) (model:openrouter_model_rank:change1d{{{v}}})",
                f"max by (model, author, variant) (model:openrouter_model_rank:change7d{{{v}}})",
            ),
            (0, 17, 24, 14),
            rename={
                "Value #A": "Rank",
                "Value #B": "Tokens",
                "Value #C": "Share",
                "Value #D": "Δ rank 1d",
                "Value #E": "Δ rank 7d",
                "model": "Model",
                "author": "Author",
                "variant": "Variant",
            },
            order=[
                "Rank",
                "Model",
                "Author",
                "Variant",
                "Tokens",
                "Share",
                "Δ rank 1d",
                "Δ rank 7d",
            ],
            sort_by="Rank",
            overrides=[
                by_name("Rank", **{"custom.width": 70}),
                by_name("Tokens", unit="short"),
                by_name("Share", unit="percentunit", decimals=2),
                change_column("Δ rank 1d"),
                change_column("Δ rank 7d"),
            ],
            description="The 50 models ranked by tokens in the latest complete period. "
            "Δ rank = places moved since 1 or 7 days ago (positive = up; 0 "
            "until Prometheus has that much history).",
        ),
        timeseries(
            "Tokens per model (top $top)",
            [
                target(
                    f'openrouter_model_tokens{{{v}, model=~"$model", model!="other"}} and ({top})',
                    "{{model}}",
                )
            ],
            (0, 31, 24, 11),
            unit="short",
            description="Tokens of the latest complete period per model, for models "
            "currently within the top $top and chosen in `model`.",
        ),
        timeseries(
            "Top 50 vs other",
            [
                target(
                    f"sum(view:openrouter_model_tokens_ranked:sum{{{v}}})", "Top 50 models", ref="A"
                ),
                target(
                    f'sum(openrouter_model_tokens{{{v}, model="other"}}) or vector(0)',
                    "Other (long tail)",
                    ref="B",
                ),
            ],
            (0, 42, 12, 10),
            stack=True,
            unit="short",
            description="Tokens of the 50 ranked models and of the `other` row (every "
            "model outside the top 50), stacked: the total is all tokens.",
        ),
        timeseries(
            "Total tokens per $view period",
            [target(f"sum(view:openrouter_model_tokens:sum{{{v}}})", "All models")],
            (12, 42, 12, 10),
            unit="short",
            description="All tokens routed through OpenRouter in the latest complete period "
            "of the view (daily view: total daily tokens).",
        ),
    ]
    variables = [
        datasource_var(),
        query_var(
            "view",
            "View",
            "label_values(openrouter_model_rank, view)",
            current="daily",
            description="Model view from the exporter config (period day/week/month).",
        ),
        query_var(
            "model",
            "Model",
            'label_values(openrouter_model_rank{view="$view"}, model)',
            multi=True,
            include_all=True,
            all_value=".+",
            sort=1,
        ),
        custom_var(
            "top",
            "Top N",
            ["5", "10", "20", "50"],
            "10",
            description="How many models the per-model chart shows.",
        ),
    ]
    return dashboard(
        "openrouter-models",
        "OpenRouter / Models",
        "Model market share and token volume from OpenRouter's rankings-daily dataset.",
        variables,
        panels,
    )


# ---------------------------------------------------------------------------
# Apps
# ---------------------------------------------------------------------------
def apps() -> dict:
    sel = 'window="$window", sort="$sort", category="$category", subcategory="$subcategory"'
    in_top = f"(openrouter_app_rank{{{sel}}} <= $top)"
    panels = [
        citation(app_citation_expr(), (0, 0, 24, 3)),
        table(
            "Leaderboard: $window, $sort, $category / $subcategory",
            tables(
                f"max by (app_id, app) (openrouter_app_rank{{{sel}}})",
                f"max by (app_id, app) (openrouter_app_tokens{{{sel}}})",
                f"max by (app_id, app) (openrouter_app_requests{{{sel}}})",
                f"max by (app_id, app) (app:openrouter_app_rank:change1d{{{sel}}})",
                f"max by (app_id, app) (app:openrouter_app_rank:change7d{{{sel}}})",
            ),
            (0, 3, 24, 14),
            rename={
                "Value #A": "Rank",
                "Value #B": "Tokens",
                "Value #C": "Requests",
                "Value #D": "Δ rank 1d",
                "Value #E": "Δ rank 7d",
                "app": "App",
                "app_id": "App id",
            },
            order=["Rank", "App", "Tokens", "Requests", "Δ rank 1d", "Δ rank 7d", "App id"],
            sort_by="Rank",
            overrides=[
                by_name("Rank", **{"custom.width": 70}),
                by_name("Tokens", unit="short"),
                by_name("Requests", unit="short"),
                change_column("Δ rank 1d"),
                change_column("Δ rank 7d"),
            ],
            description="Apps by token usage over the window ending at the latest complete "
            "UTC day. popular = by total tokens; trending = by growth over the "
            "three preceding windows. Δ rank = places moved since 1 or 7 days "
            "ago (positive = up; 0 until Prometheus has that much history).",
        ),
        timeseries(
            "Rank over time (top $top, chosen apps)",
            [target(f'openrouter_app_rank{{{sel}, app_id=~"$app"}} <= $top', "{{app}}")],
            (0, 17, 12, 12),
            unit="none",
            defaults={"min": 1, "decimals": 0},
            options={
                "legend": {
                    "displayMode": "table",
                    "placement": "right",
                    "showLegend": True,
                    "calcs": ["lastNotNull"],
                    "sortBy": "Last *",
                    "sortDesc": False,
                }
            },
            description="Rank (1 = top) of the apps chosen in `App` while they are within "
            "the top $top. Pick apps in `App` and set `Top N` to 200 to follow "
            "them anywhere in the ranking.",
        ),
        timeseries(
            "Tokens over time (top $top, chosen apps)",
            [target(f'openrouter_app_tokens{{{sel}, app_id=~"$app"}} and {in_top}', "{{app}}")],
            (12, 17, 12, 12),
            unit="short",
            description="Tokens in the window for the apps of the rank chart.",
        ),
        table(
            "Biggest climbers ($change)",
            tables(
                f"topk(10, max by (app_id, app) (app:openrouter_app_rank:change$change{{{sel}}}))"
            ),
            (0, 29, 12, 10),
            rename={"Value": "Δ rank", "app": "App", "app_id": "App id"},
            order=["App", "Δ rank", "App id"],
            sort_by="Δ rank",
            desc=True,
            overrides=[change_column("Δ rank")],
            description="Apps that gained the most places over the chosen period "
            "(0 for everyone until Prometheus has that much history).",
        ),
        table(
            "Biggest fallers ($change)",
            tables(
                f"bottomk(10, max by (app_id, app) "
                f"(app:openrouter_app_rank:change$change{{{sel}}}))"
            ),
            (12, 29, 12, 10),
            rename={"Value": "Δ rank", "app": "App", "app_id": "App id"},
            order=["App", "Δ rank", "App id"],
            sort_by="Δ rank",
            desc=False,
            overrides=[change_column("Δ rank")],
            description="Apps that lost the most places over the chosen period.",
        ),
        timeseries(
            "Tokens by category ($window, popular)",
            [
                target(
                    'max by (category) (category:openrouter_app_tokens:sum{window="$window", '
                    'sort="popular", category!="all", subcategory="all"})',
                    "{{category}}",
                )
            ],
            (0, 39, 12, 10),
            stack=True,
            unit="short",
            description="Tokens of the ranked apps of each category view (the exporter's "
            "`filters: [categories]`). Only the apps a view returns are counted, "
            "so this is a lower bound of each category's total.",
        ),
        panel(
            "piechart",
            "Category split, latest ($window, popular)",
            [
                target(
                    'max by (category) (category:openrouter_app_tokens:sum{window="$window",'
                    ' sort="popular", category!="all", subcategory="all"})',
                    "{{category}}",
                    instant=True,
                )
            ],
            (12, 39, 12, 10),
            unit="short",
            options={
                "pieType": "donut",
                "displayLabels": ["name", "percent"],
                "legend": {
                    "displayMode": "table",
                    "placement": "right",
                    "showLegend": True,
                    "values": ["value", "percent"],
                },
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "tooltip": {"mode": "single", "sort": "none"},
            },
            description="Split of the category views' tokens in the latest window.",
        ),
    ]
    rank_sel = "openrouter_app_rank{" + sel + "}"
    variables = [
        datasource_var(),
        query_var(
            "window",
            "Window",
            "label_values(openrouter_app_rank, window)",
            current="30d",
            description="Days ending at the latest complete UTC day.",
        ),
        query_var(
            "sort",
            "Sort",
            'label_values(openrouter_app_rank{window="$window"}, sort)',
            current="popular",
        ),
        query_var(
            "category",
            "Category",
            'label_values(openrouter_app_rank{window="$window", sort="$sort"}, category)',
            current="all",
        ),
        query_var(
            "subcategory",
            "Subcategory",
            'label_values(openrouter_app_rank{window="$window", sort="$sort", '
            'category="$category"}, subcategory)',
            current="all",
        ),
        # The value is the stable app_id; the text is the display name. App names are
        # untrusted text (quotes, emoji…) and would break a PromQL string.
        query_var(
            "app",
            "App",
            rank_sel,
            multi=True,
            include_all=True,
            all_value=".+",
            regex='/app="(?<text>[\\s\\S]*?)",app_id="(?<value>[0-9]+)"/',
            sort=5,
            description="Apps for the rank and token charts.",
        ),
        custom_var(
            "top",
            "Top N",
            ["5", "10", "20", "50", "200"],
            "10",
            description="Rank depth of the over-time charts.",
        ),
        custom_var("change", "Movers over", ["1d", "7d"], "1d"),
    ]
    return dashboard(
        "openrouter-apps",
        "OpenRouter / Apps",
        "App leaderboards from OpenRouter's app-rankings dataset.",
        variables,
        panels,
    )


# ---------------------------------------------------------------------------
# Session cost
# ---------------------------------------------------------------------------
def session_cost() -> dict:
    sel = 'app_slug=~"$app_slug", turn_range=~"$turn_range"'
    cost = "openrouter_session_median_cost_dollars"
    matrix = {
        "id": "groupingToMatrix",
        "options": {"columnField": "turn_range", "valueField": "Value", "emptyValue": "null"},
    }
    panels = [
        citation(citation_expr('dataset="session-cost"', 'dataset="session-cost"'), (0, 0, 24, 3)),
        table(
            "Typical session cost by harness and turn range",
            tables(f"max by (app, turn_range) (app_turn_range:{cost}:median{{{sel}}})"),
            (0, 3, 24, 6),
            rename={"app\\turn_range": "Harness"},
            order=["Harness", "1-turn", "2-9-turns", "10-49-turns", "50-plus-turns"],
            extra_transformations=[{**matrix, "options": {**matrix["options"], "rowField": "app"}}],
            unit="currencyUSD",
            defaults={"decimals": 3},
            description="Median over models of the median cost per session (USD), per "
            "harness and conversation length. 30-day window, refreshed weekly.",
        ),
        table(
            "Median cost per session: $app_slug",
            tables(f'max by (model, turn_range) ({cost}{{{sel}, model=~"$model"}})'),
            (0, 9, 24, 14),
            rename={"model\\turn_range": "Model"},
            order=["Model", "1-turn", "2-9-turns", "10-49-turns", "50-plus-turns"],
            sort_by="1-turn",
            extra_transformations=[
                {**matrix, "options": {**matrix["options"], "rowField": "model"}}
            ],
            unit="currencyUSD",
            defaults={"decimals": 4},
            repeat="app_slug",
            repeatDirection="v",
            description="Median USD per session for each model (rows) and turn range "
            "(columns) in this harness (one table per selected harness).",
        ),
        timeseries(
            "Typical session cost over time",
            [
                target(
                    f"max by (app, turn_range) (app_turn_range:{cost}:median{{{sel}}})",
                    "{{app}} · {{turn_range}}",
                )
            ],
            (0, 23, 12, 10),
            unit="currencyUSD",
            description="Median over models per harness and turn range; the snapshot "
            "changes weekly.",
        ),
        table(
            "All cells",
            tables(f'max by (app, app_slug, model, turn_range) ({cost}{{{sel}, model=~"$model"}})'),
            (12, 23, 12, 10),
            rename={
                "Value": "Median USD / session",
                "app": "Harness",
                "model": "Model",
                "turn_range": "Turns",
                "app_slug": "Slug",
            },
            order=["Harness", "Model", "Turns", "Median USD / session", "Slug"],
            sort_by="Median USD / session",
            desc=True,
            overrides=[by_name("Median USD / session", unit="currencyUSD", decimals=4)],
            options={
                "footer": {"show": False, "reducer": ["sum"], "fields": "", "countRows": False},
                "showHeader": True,
                "cellHeight": "sm",
            },
            description="Every (harness, model, turn range) cell; sort by any column.",
        ),
    ]
    variables = [
        datasource_var(),
        query_var(
            "app_slug",
            "Harness",
            f"label_values({cost}, app_slug)",
            multi=True,
            include_all=True,
            all_value=".+",
            sort=1,
        ),
        query_var(
            "turn_range",
            "Turn range",
            f'label_values({cost}{{app_slug=~"$app_slug"}}, turn_range)',
            multi=True,
            include_all=True,
            all_value=".+",
        ),
        query_var(
            "model",
            "Model",
            f'label_values({cost}{{app_slug=~"$app_slug"}}, model)',
            multi=True,
            include_all=True,
            all_value=".+",
            sort=1,
        ),
    ]
    return dashboard(
        "openrouter-session-cost",
        "OpenRouter / Session cost",
        "Median cost per session by harness, model and turn range from OpenRouter's "
        "session-cost dataset.",
        variables,
        panels,
        time_from="now-90d",
    )


# ---------------------------------------------------------------------------
# Exporter health
# ---------------------------------------------------------------------------
def exporter_health() -> dict:
    t = 'job="$job", instance=~"$instance"'
    panels = [
        citation(citation_expr("", ""), (0, 0, 24, 3)),
        stat(
            "Scrape up",
            [target(f"min(up{{{t}}})", "up", instant=True)],
            (0, 3, 4, 4),
            defaults={
                "mappings": binary_mapping("DOWN", "UP"),
                "color": {"mode": "thresholds"},
                "thresholds": RED_GREEN,
            },
            options={"colorMode": "background"},
            description="Whether Prometheus scrapes the exporter (the standard `up`).",
        ),
        stat(
            "Version",
            [
                target(
                    f"max by (version) (openrouter_exporter_build_info{{{t}}})",
                    "{{version}}",
                    instant=True,
                )
            ],
            (4, 3, 4, 4),
            text_mode="name",
        ),
        stat(
            "Views failing",
            [
                target(
                    f"count(openrouter_exporter_view_up{{{t}}} == 0) or vector(0)",
                    "failing",
                    instant=True,
                )
            ],
            (8, 3, 4, 4),
            defaults={
                "color": {"mode": "thresholds"},
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"color": "green", "value": None}, {"color": "red", "value": 1}],
                },
            },
            options={"colorMode": "background"},
            description="Views whose last refresh failed (openrouter_exporter_view_up == 0);"
            " the exporter keeps serving their last good data.",
        ),
        stat(
            "Daily budget used",
            [
                target(
                    f'max(instance:openrouter_exporter_budget_used:ratio{{{t}, window="24h"}})',
                    "24h",
                    instant=True,
                )
            ],
            (12, 3, 4, 4),
            unit="percentunit",
            defaults={
                "color": {"mode": "thresholds"},
                "thresholds": {
                    "mode": "absolute",
                    "steps": [
                        {"color": "green", "value": None},
                        {"color": "orange", "value": 0.75},
                        {"color": "red", "value": 0.9},
                    ],
                },
            },
            options={"colorMode": "value"},
        ),
        stat(
            "Rate-limited (429) in 24h",
            [
                target(
                    f'sum(increase(openrouter_exporter_api_requests_total{{{t}, code="429"}}'
                    f"[24h])) or vector(0)",
                    "429s",
                    instant=True,
                )
            ],
            (16, 3, 4, 4),
            unit="short",
            defaults={"decimals": 0},
        ),
        stat(
            "Firing OpenRouter alerts",
            [
                target(
                    'count(ALERTS{alertname=~"OpenRouter.*", alertstate="firing"}) or vector(0)',
                    "alerts",
                    instant=True,
                )
            ],
            (20, 3, 4, 4),
            description="Alerts from prometheus/rules/openrouter-alerts.yml firing in the "
            "Prometheus behind this data source.",
        ),
        timeseries(
            "Daily budget: used vs limit (sliding 24h)",
            [
                target(
                    f"max by (instance) (openrouter_exporter_budget_used_requests{{{t}, "
                    f'window="24h"}})',
                    "used {{instance}}",
                    ref="A",
                ),
                target(
                    f"max by (instance) (openrouter_exporter_budget_limit_requests{{{t}, "
                    f'window="24h"}})',
                    "limit {{instance}}",
                    ref="B",
                ),
            ],
            (0, 7, 12, 9),
            unit="short",
            custom={"lineInterpolation": "linear"},
            description="Requests sent in the last 24 hours (429s included) and the limit "
            "the exporter keeps: the account's daily limit minus the reserve "
            "left for other consumers.",
        ),
        timeseries(
            "Per-minute budget: used vs limit (sliding 60s)",
            [
                target(
                    f"max by (instance) (openrouter_exporter_budget_used_requests{{{t}, "
                    f'window="1m"}})',
                    "used {{instance}}",
                    ref="A",
                ),
                target(
                    f"max by (instance) (openrouter_exporter_budget_limit_requests{{{t}, "
                    f'window="1m"}})',
                    "limit {{instance}}",
                    ref="B",
                ),
            ],
            (12, 7, 12, 9),
            unit="short",
            custom={"lineInterpolation": "linear"},
        ),
        timeseries(
            "Requests per hour by status code",
            [
                target(
                    f"sum by (code) (endpoint_code:openrouter_exporter_api_requests:"
                    f"increase1h{{{t}}})",
                    "{{code}}",
                )
            ],
            (0, 16, 12, 9),
            unit="short",
            stack=True,
            custom={"lineInterpolation": "linear"},
            description="Data API requests in the preceding hour by HTTP status (`error` = "
            "no response: timeout, DNS, connection).",
        ),
        table(
            "Requests in the time range by endpoint and code",
            tables(
                f"sum by (endpoint, code) (increase(openrouter_exporter_api_requests_total"
                f"{{{t}}}[$__range]))"
            ),
            (12, 16, 12, 9),
            rename={"Value": "Requests", "endpoint": "Endpoint", "code": "Code"},
            order=["Endpoint", "Code", "Requests"],
            sort_by="Requests",
            desc=True,
            overrides=[by_name("Requests", decimals=0)],
        ),
        timeseries(
            "Data age (now - end date)",
            [
                target(
                    f"max by (dataset, view) (time() - "
                    f"openrouter_data_end_date_timestamp_seconds{{{t}}})",
                    "{{dataset}} {{view}}",
                )
            ],
            (0, 25, 12, 9),
            unit="s",
            custom={"lineInterpolation": "linear"},
            description="How old the newest day of each view is. Daily data is normally "
            "1-2 days old (yesterday is published a few hours after midnight "
            "UTC); the session-cost snapshot is weekly. OpenRouterDataStale "
            "fires past openrouter:threshold:data_max_age_seconds.",
        ),
        timeseries(
            "Request duration p90 by endpoint (since exporter start)",
            [
                target(
                    f"histogram_quantile(0.9, sum by (le, endpoint) "
                    f"(openrouter_exporter_api_request_duration_seconds_bucket{{{t}}}))",
                    "p90 {{endpoint}}",
                    ref="A",
                ),
                target(
                    f"sum by (endpoint) (openrouter_exporter_api_request_duration_seconds_sum"
                    f"{{{t}}}) / sum by (endpoint) "
                    f"(openrouter_exporter_api_request_duration_seconds_count{{{t}}})",
                    "mean {{endpoint}}",
                    ref="B",
                ),
            ],
            (12, 25, 12, 9),
            unit="s",
            custom={"lineInterpolation": "linear"},
            description="The exporter sends a few requests an hour, too few for per-minute "
            "rates, so these are computed over the process lifetime.",
        ),
        table(
            "Views: state, freshness and next refresh",
            tables(
                f"max by (dataset, view) (openrouter_exporter_view_up{{{t}}})",
                f"max by (dataset, view) (time() - "
                f"openrouter_exporter_view_last_success_timestamp_seconds{{{t}}})",
                f"max by (dataset, view) (openrouter_exporter_view_next_refresh_timestamp_seconds"
                f"{{{t}}} - time())",
                f"max by (dataset, view) (time() - "
                f"openrouter_data_end_date_timestamp_seconds{{{t}}})",
                f"1000 * max by (dataset, view) (openrouter_data_as_of_timestamp_seconds{{{t}}})",
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
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "Up"},
                    "properties": [
                        {"id": "mappings", "value": binary_mapping("failing", "ok")},
                        {"id": "custom.cellOptions", "value": {"type": "color-text"}},
                        {"id": "custom.width", "value": 80},
                    ],
                },
                by_name("Last success (ago)", unit="s"),
                by_name("Next refresh (in)", unit="s"),
                by_name("Data age", unit="s"),
                by_name("as_of", unit="dateTimeAsIso"),
            ],
            description="One row per configured view. Next refresh is negative when a "
            "refresh is overdue (waiting for budget or backing off).",
        ),
        panel(
            "state-timeline",
            "View up over time",
            [
                target(
                    f"max by (dataset, view) (openrouter_exporter_view_up{{{t}}})",
                    "{{dataset}} {{view}}",
                )
            ],
            (0, 48, 24, 12),
            defaults={
                "mappings": binary_mapping("failing", "ok"),
                "color": {"mode": "thresholds"},
                "thresholds": RED_GREEN,
                "custom": {"fillOpacity": 70, "lineWidth": 0},
            },
            options={
                "showValue": "never",
                "mergeValues": True,
                "rowHeight": 0.8,
                "alignValue": "left",
                "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom"},
                "tooltip": {"mode": "single", "sort": "none"},
            },
            description="openrouter_exporter_view_up per view: 0 when the last refresh "
            "failed (also when the API key is rejected).",
        ),
    ]
    variables = [
        datasource_var(),
        query_var(
            "job", "Job", "label_values(openrouter_exporter_build_info, job)", current="openrouter"
        ),
        query_var(
            "instance",
            "Instance",
            'label_values(openrouter_exporter_build_info{job="$job"}, instance)',
            multi=True,
            include_all=True,
            all_value=".+",
        ),
    ]
    return dashboard(
        "openrouter-exporter-health",
        "OpenRouter / Exporter health",
        "Request budget, API responses, data freshness and view state of openrouter-exporter.",
        variables,
        panels,
        time_from="now-24h",
    )


DASHBOARDS = {
    "openrouter-models.json": models,
    "openrouter-apps.json": apps,
    "openrouter-session-cost.json": session_cost,
    "openrouter-exporter-health.json": exporter_health,
}


def render(build) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="fail if a committed dashboard differs from the generated one",
    )
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path = OUT / name
        text = render(build)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python grafana/generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
