"""The benchmarks panels (on OpenRouter / Models): the scores of each model, one row each."""

from __future__ import annotations

from typing import Any

from mixin.dashboards.common import citation, column, merged_table, tables
from mixin.promql import Q

INDEX = "openrouter_benchmark_index"


def panels(q: Q, y: int) -> list[Any]:
    """The sources line, then the scores table, starting at row ``y`` of the grid."""
    return [sources(q, y), table(q, y + 3)]


def sources(q: Q, y: int) -> Any:
    """Who each view's scores come from, their licence and as_of: the scores are third
    parties' (Artificial Analysis, Design Arena), each to be credited to its source."""
    info = q("openrouter_benchmark_source_info")
    expr = (
        f"1000 * max by (view, source, license) (\n  {q.as_of('benchmarks')}\n"
        f"  * on (view) group_left (source, license)\n"
        # One source line per view, even while a changed source or licence overlaps the
        # old one within the bridge (two lines would make the join fail).
        f"  topk by (view) (1, max by (view, source, license) "
        f"(last_over_time({info}[{q.bridge}])))\n)"
    )
    return citation(
        expr,
        title="Data citation: benchmark sources (credit each score to its source)",
        legend="{{view}}: {{source}}, licence {{license}}, as of",
        grid=(0, y, 24, 3),
        description="Where each benchmarks view's scores come from (meta.source_url) and "
        "their licence as far as the API states it (unknown: it states none), with the "
        "time of the answer. Credit each score to its source when you share a figure.",
    )


def table(q: Q, y: int) -> Any:
    """A table of every benchmarked model's scores, starting at row ``y`` of the grid."""

    def best(metric: str, matcher: str, agg: str = "max") -> str:
        return f"{agg} by (model) ({q.model(metric, matcher)})"

    index = lambda name: best(INDEX, 'index="' + name + '"')  # noqa: E731
    gpqa = best("openrouter_benchmark_score_ratio", 'benchmark="gpqa_diamond"')
    elo = best("openrouter_benchmark_elo", 'arena="models"', "avg")
    p = merged_table(
        "Benchmarks: scores by model",
        tables(
            index("intelligence"),
            index("coding"),
            index("agentic"),
            gpqa,
            elo,
        ),
        (0, y, 24, 14),
        rename={
            "Value #A": "Intelligence",
            "Value #B": "Coding",
            "Value #C": "Agentic",
            "Value #D": "GPQA Diamond",
            "Value #E": "Design Arena Elo",
            "model": "Model",
        },
        order=["Model", "Intelligence", "Coding", "Agentic", "GPQA Diamond", "Design Arena Elo"],
        sort_by="Intelligence",
        desc=True,
        description="Artificial Analysis indexes (points), OpenRouter's GPQA Diamond "
        "accuracy and Design Arena's Elo (mean over the models arena's categories), from "
        "OpenRouter's benchmarks dataset, refreshed about daily. Credit each score to its "
        "source (openrouter_benchmark_source_info). A blank cell: the source does not list "
        "the model.",
    )
    p = column(p, "GPQA Diamond", unit="percentunit", decimals=1)
    return column(p, "Design Arena Elo", decimals=0)
