"""OpenRouter / Session cost: median cost per session by harness, model and turn range."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models import dashboard
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig

from mixin.config import MixinConfig
from mixin.dashboards.common import (
    build_dashboard,
    citation,
    column,
    merged_table,
    tables,
    target,
    time_series,
)
from mixin.dashboards.queries import citation_expr
from mixin.dashboards.variables import datasource_var, query_var, target_vars
from mixin.promql import Q

SEL = ('app_slug=~"$app_slug"', 'turn_range=~"$turn_range"')
CHOSEN = 'model=~"$model"'
TURNS = ["1-turn", "2-9-turns", "10-49-turns", "50-plus-turns"]
COST = "openrouter_session_median_cost_dollars"


def matrix(row: str) -> DataTransformerConfig:
    return DataTransformerConfig(
        id_val="groupingToMatrix",
        options={
            "columnField": "turn_range",
            "rowField": row,
            "valueField": "Value",
            "emptyValue": "null",
        },
    )


def build(cfg: MixinConfig) -> Dashboard:
    q = Q(cfg, variables=True)
    typical = f"quantile by (app, turn_range) (0.5, {q.session(*SEL)})"
    typical_table = merged_table(
        "Typical session cost by harness and turn range",
        tables(typical),
        (0, 3, 24, 6),
        rename={"app\\turn_range": "Harness"},
        order=["Harness", *TURNS],
        before=[matrix("app")],
        description="Median over models of the median cost per session (USD), per harness "
        "and conversation length. 30-day window, refreshed weekly.",
    )
    per_model = (
        merged_table(
            "Median cost per session: $app_slug",
            tables(f"max by (model, turn_range) ({q.session(*SEL, CHOSEN)})"),
            (0, 9, 24, 14),
            rename={"model\\turn_range": "Model"},
            order=["Model", *TURNS],
            sort_by="1-turn",
            before=[matrix("model")],
            description="Median USD per session for each model (rows) and turn range "
            "(columns) in this harness (one table per selected harness).",
        )
        .repeat("app_slug")
        .repeat_direction("v")
        .unit("currencyUSD")
        .decimals(4)
    )
    cells = merged_table(
        "All cells",
        tables(f"max by (app, app_slug, model, turn_range) ({q.session(*SEL, CHOSEN)})"),
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
        description="Every (harness, model, turn range) cell; sort by any column.",
    )
    panels = [
        citation(citation_expr(q, "session-cost")),
        typical_table.unit("currencyUSD").decimals(3),
        per_model,
        time_series(
            "Typical session cost over time",
            [target(typical, "{{app}} · {{turn_range}}")],
            (0, 23, 12, 10),
            description="Median over models per harness and turn range; the snapshot "
            "changes weekly.",
        ).unit("currencyUSD"),
        column(cells, "Median USD / session", unit="currencyUSD", decimals=4),
    ]
    alphabetical = dashboard.VariableSort.ALPHABETICAL_ASC
    variables = [
        datasource_var(),
        *target_vars(cfg, "openrouter_dataset_info"),
        query_var(
            "app_slug",
            "Harness",
            f"label_values({q(COST)}, app_slug)",
            multi_all=True,
            sort=alphabetical,
        ),
        query_var(
            "turn_range",
            "Turn range",
            f"label_values({q(COST, SEL[0])}, turn_range)",
            multi_all=True,
        ),
        query_var(
            "model",
            "Model",
            f"label_values({q(COST, SEL[0])}, model)",
            multi_all=True,
            sort=alphabetical,
        ),
    ]
    return build_dashboard(
        cfg,
        "session_cost",
        "OpenRouter / Session cost",
        "Median cost per session by harness, model and turn range from OpenRouter's "
        "session-cost dataset.",
        variables,
        panels,
        time_from="now-90d",
    )
