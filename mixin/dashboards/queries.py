"""Queries more than one dashboard uses."""

from __future__ import annotations

from mixin.promql import VIEW, Q, by


def citation_expr(q: Q, dataset: str | None, *as_of: str) -> str:
    """The oldest as_of of the views shown (over every exporter), labelled with the
    dataset's citation source, in milliseconds for Grafana's date unit."""
    ds = [f'dataset="{dataset}"'] if dataset else []
    info = f"max by (dataset, source) ({q.latest('openrouter_dataset_info', ('dataset',), *ds)})"
    as_of_ = q.meta("openrouter_data_as_of_timestamp_seconds", *ds, *as_of, agg="min")
    return (
        f"1000 * min by (source) (\n  {info}\n  * on (dataset) group_left ()\n"
        f"  min by (dataset) ({as_of_})\n)"
    )


def per_view(q: Q, metric: str, agg: str, *matchers: str) -> str:
    """A per-view self-metric over the chosen exporters: the worst one, never the best."""
    return f"{agg} by ({by(VIEW)}) ({q(metric, *matchers)})"
