"""Building blocks for the dashboards, on grafana-foundation-sdk's builders.

Every panel, query and variable uses the `datasource` template variable (file
provisioning and "Import dashboard" both work, no `__inputs`), and every dashboard has
multi-value `job` and `instance` variables (default All) that every query honours.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from grafana_foundation_sdk.builders import bargauge, piechart, stat, statetimeline, table
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    FieldColor,
    ThresholdsConfig,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common, dashboard, prometheus
from grafana_foundation_sdk.models import piechart as pc
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    GridPos,
    Threshold,
    ValueMap,
    ValueMappingResult,
)

from mixin.config import MixinConfig

DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
Grid = tuple[int, int, int, int]
LICENCE_NOTE = (
    "OpenRouter publishes this data under CC BY 4.0: keep this line when you share a "
    "screenshot or a figure. The time is meta.as_of of the response behind the data "
    "(openrouter_data_as_of_timestamp_seconds), in UTC; where several views or "
    "exporters are shown, the oldest."
)
RED_GREEN = [Threshold(value=None, color="red"), Threshold(value=1, color="green")]
# Rank change: positive = moved up.
CHANGE_COLOURS = [
    Threshold(value=None, color="red"),
    Threshold(value=0, color="text"),
    Threshold(value=1, color="green"),
]


def target(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False) -> Dataquery:
    q = (
        Dataquery()
        .datasource(DS)
        .expr(expr)
        .ref_id(ref)
        .legend_format(legend or "__auto")
        .editor_mode(prometheus.QueryEditorMode.CODE)
    )
    return q.instant() if instant else q.range()


def tables(*queries: str) -> list[Dataquery]:
    """Instant table queries A, B, C… for one merged table."""
    return [
        target(q, ref=chr(ord("A") + i), instant=True).format(prometheus.PromQueryFormat.TABLE)
        for i, q in enumerate(queries)
    ]


def thresholds(steps: list[Threshold]) -> ThresholdsConfig:
    return ThresholdsConfig().mode(dashboard.ThresholdsMode.ABSOLUTE).steps(steps)


def binary_mapping(zero: str, one: str) -> list[Any]:
    """0/1 series (up, view_up) as words and colours: never colour alone."""
    return [
        ValueMap(
            options={
                "0": ValueMappingResult(text=zero, color="red", index=0),
                "1": ValueMappingResult(text=one, color="green", index=1),
            }
        )
    ]


def _place(panel: Any, title: str, grid: Grid, description: str, queries: Sequence[Dataquery]):
    x, y, w, h = grid
    panel = panel.title(title).description(description).datasource(DS)
    panel = panel.grid_pos(GridPos(x=x, y=y, w=w, h=h))
    for q in queries:
        panel = panel.with_target(q)
    return panel


def stat_panel(
    title: str,
    queries: Sequence[Dataquery],
    grid: Grid,
    *,
    description: str = "",
    text_mode: common.BigValueTextMode = common.BigValueTextMode.VALUE,
    color_mode: common.BigValueColorMode = common.BigValueColorMode.NONE,
) -> stat.Panel:
    p = (
        stat.Panel()
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
        .text_mode(text_mode)
        .color_mode(color_mode)
        .graph_mode(common.BigValueGraphMode.NONE)
    )
    return _place(p, title, grid, description, queries)


def time_series(
    title: str,
    queries: Sequence[Dataquery],
    grid: Grid,
    *,
    description: str = "",
    stack: bool = False,
    step: bool = True,
    legend_sort_desc: bool = True,
) -> ts.Panel:
    # Dataset values change about once a day: step lines show "latest period as of t".
    p = (
        ts.Panel()
        .line_interpolation(
            common.LineInterpolation.STEP_AFTER if step else common.LineInterpolation.LINEAR
        )
        .line_width(1 if stack else 2)
        .fill_opacity(60 if stack else 0)
        .show_points(common.VisibilityMode.NEVER)
        .span_nulls(False)
        .legend(
            cb.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.RIGHT)
            .show_legend(True)
            .calcs(["lastNotNull"])
            .sort_by("Last *")
            .sort_desc(legend_sort_desc)
        )
        .tooltip(
            cb.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )
    if stack:
        p = p.stacking(cb.StackingConfig().mode(common.StackingMode.NORMAL).group("A"))
    return _place(p, title, grid, description, queries)


def merged_table(
    title: str,
    queries: Sequence[Dataquery],
    grid: Grid,
    *,
    rename: dict[str, str],
    order: Sequence[str],
    description: str = "",
    sort_by: str | None = None,
    desc: bool = False,
    before: Sequence[DataTransformerConfig] = (),
) -> table.Panel:
    """Instant queries merged on their labels; target labels hidden, columns renamed."""
    exclude = {"Time": True, "job": True, "instance": True, "__name__": True}
    steps = [DataTransformerConfig(id_val="merge", options={})] if len(queries) > 1 else []
    steps += [
        *before,
        DataTransformerConfig(
            id_val="organize",
            options={
                "excludeByName": exclude,
                "renameByName": rename,
                "indexByName": {name: i for i, name in enumerate(order)},
            },
        ),
    ]
    p = (
        table.Panel()
        .show_header(True)
        .cell_height(common.TableCellHeight.SM)
        .footer(cb.TableFooterOptions().show(False).reducer(["sum"]).count_rows(False))
        .transformations(steps)
    )
    if sort_by:
        p = p.sort_by([cb.TableSortByFieldState().display_name(sort_by).desc(desc)])
    return _place(p, title, grid, description, queries)


def column(panel: Any, name: str, **props: Any) -> Any:
    """A per-column override: unit, decimals, width, colour mode…"""
    ids = {"width": "custom.width", "cell": "custom.cellOptions"}
    return panel.override_by_name(
        name, [DynamicConfigValue(id_val=ids.get(k, k), value=v) for k, v in props.items()]
    )


def change_column(panel: Any, name: str) -> Any:
    return column(
        panel,
        name,
        thresholds={"mode": "absolute", "steps": [t.to_json() for t in CHANGE_COLOURS]},
        cell={"type": "color-text"},
        width=90,
    )


def bar_gauge(title: str, queries: Sequence[Dataquery], grid: Grid, *, description: str = ""):
    p = (
        bargauge.Panel()
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.BASIC)
        .value_mode(common.BarGaugeValueMode.COLOR)
        .show_unfilled(True)
        .name_placement(common.BarGaugeNamePlacement.LEFT)
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
    )
    return _place(p, title, grid, description, queries)


def donut(title: str, queries: Sequence[Dataquery], grid: Grid, *, description: str = ""):
    p = (
        piechart.Panel()
        .pie_type(pc.PieChartType.DONUT)
        .display_labels([pc.PieChartLabels.NAME, pc.PieChartLabels.PERCENT])
        .legend(piechart_legend())
        .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
    )
    return _place(p, title, grid, description, queries)


def piechart_legend() -> piechart.PieChartLegendOptions:
    return (
        piechart.PieChartLegendOptions()
        .display_mode(common.LegendDisplayMode.TABLE)
        .placement(common.LegendPlacement.RIGHT)
        .show_legend(True)
        .values([pc.PieChartLegendValues.VALUE, pc.PieChartLegendValues.PERCENT])
    )


def state_timeline(title: str, queries: Sequence[Dataquery], grid: Grid, *, description: str):
    p = (
        statetimeline.Panel()
        .show_value(common.VisibilityMode.NEVER)
        .merge_values(True)
        .row_height(0.8)
        .fill_opacity(70)
        .line_width(0)
        .legend(cb.VizLegendOptions().show_legend(False))
        .mappings(binary_mapping("failing", "ok"))
        .color_scheme(dashboard_color(dashboard.FieldColorModeId.THRESHOLDS))
        .thresholds(thresholds(RED_GREEN))
    )
    return _place(p, title, grid, description, queries)


def dashboard_color(mode: dashboard.FieldColorModeId, fixed: str | None = None) -> FieldColor:
    c = FieldColor().mode(mode)
    return c.fixed_color(fixed) if fixed else c


def citation(
    expr: str,
    *,
    title: str = "Data citation (CC BY 4.0)",
    legend: str = "Source: OpenRouter ({{source}}), as of",
    grid: Grid = (0, 0, 24, 3),
    description: str = LICENCE_NOTE,
) -> stat.Panel:
    """The line a licence asks for, with as_of: at the top of a dashboard, OpenRouter's CC
    BY 4.0 line; above a panel of third-party data, that data's own sources."""
    p = stat_panel(
        title,
        [target(expr, legend, instant=True)],
        grid,
        description=description,
        text_mode=common.BigValueTextMode.VALUE_AND_NAME,
    )
    return (
        p.unit("dateTimeAsIso")
        .color_scheme(dashboard_color(dashboard.FieldColorModeId.FIXED, "text"))
        .text(cb.VizTextDisplayOptions().title_size(14).value_size(14))
    )


def build_dashboard(
    cfg: MixinConfig,
    key: str,
    title: str,
    description: str,
    variables: Sequence[Any],
    panels: Sequence[Any],
    *,
    time_from: str = "now-30d",
) -> Dashboard:
    d = (
        Dashboard(title)
        .uid(cfg.dashboard_uids[key])
        .description(description)
        .tags(list(cfg.dashboard_tags))
        .timezone("utc")
        .editable()
        .tooltip(dashboard.DashboardCursorSync.CROSSHAIR)
        .refresh(cfg.dashboard_refresh)
        .time(time_from, "now")
        .link(
            DashboardLink("OpenRouter dashboards")
            .type(dashboard.DashboardLinkType.DASHBOARDS)
            .tags(list(cfg.dashboard_tags))
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
    )
    for v in variables:
        d = d.with_variable(v)
    for i, p in enumerate(panels, start=1):
        d = d.with_panel(p.id(i))
    return d


def encode(d: Dashboard) -> str:
    """Stable JSON: sorted keys, two-space indent, one trailing newline."""
    raw = JSONEncoder(sort_keys=True, indent=2).encode(d.build())
    return json.dumps(json.loads(raw), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
