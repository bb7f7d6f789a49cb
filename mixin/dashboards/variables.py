"""Template variables: the datasource, job and instance, and the dashboards' own."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders.dashboard import (
    CustomVariable,
    DatasourceVariable,
    QueryVariable,
)
from grafana_foundation_sdk.models import dashboard
from grafana_foundation_sdk.models.dashboard import VariableOption

from mixin.config import MixinConfig
from mixin.dashboards.common import DS
from mixin.promql import ALL, JOB, Q


def datasource_var() -> DatasourceVariable:
    return DatasourceVariable("datasource").label("Data source").type("prometheus")


def query_var(
    name: str,
    label: str,
    query: str,
    *,
    current: str | None = None,
    multi_all: bool = False,
    regex: str = "",
    sort: dashboard.VariableSort = dashboard.VariableSort.DISABLED,
    description: str = "",
) -> QueryVariable:
    v = (
        QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(DS)
        .query(query)
        .refresh(dashboard.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(sort)
        .regex(regex)
    )
    if multi_all:
        # All is a regex that also matches a series without the label.
        v = v.multi(True).include_all(True).all_value(ALL)
        v = v.current(VariableOption(selected=True, text=["All"], value=["$__all"]))
    elif current is not None:
        v = v.current(VariableOption(selected=True, text=current, value=current))
    return v


def custom_var(
    name: str, label: str, values: Sequence[str], current: str, description: str = ""
) -> CustomVariable:
    return (
        CustomVariable(name)
        .label(label)
        .description(description)
        .values(",".join(values))
        .current(VariableOption(selected=True, text=current, value=current))
        .options([VariableOption(selected=v == current, text=v, value=v) for v in values])
    )


def target_vars(cfg: MixinConfig, metric: str) -> list[QueryVariable]:
    """Job and instance: several exporters (HA pair, two accounts, pods) in one place."""
    plain = Q(cfg, variables=False)
    jobs, instances = plain(metric), plain(metric, JOB)
    return [
        query_var(
            "job",
            "Job",
            f"label_values({jobs}, job)",
            multi_all=True,
            description="Scrape jobs of openrouter-exporter (any name).",
        ),
        query_var(
            "instance",
            "Instance",
            f"label_values({instances}, instance)",
            multi_all=True,
            description="Exporters of the chosen jobs. Market data is the same from each: "
            "panels show it once.",
        ),
    ]
