"""Queries more than one dashboard uses."""

from __future__ import annotations

from mixin.promql import VIEW, Q, by


def citation_expr(q: Q, dataset: str | None, *view: str) -> str:
    """The oldest as_of of the views shown (of every dataset with None), labelled with the
    dataset's citation source, in milliseconds for Grafana's date unit."""
    info = f"last_over_time({q('openrouter_dataset_info')}[{q.bridge}])"
    return (
        f"1000 * min by (source) (\n  {q.as_of(dataset, *view)}\n"
        f"  * on (dataset) group_left (source)\n  max by (dataset, source) ({info})\n)"
    )


def per_view(q: Q, metric: str, agg: str, *matchers: str) -> str:
    """A per-view self-metric over the chosen exporters: the worst one, never the best."""
    return f"{agg} by ({by(VIEW)}) ({q(metric, *matchers)})"
