"""The benchmarks panels (on OpenRouter / Models): the scores of each model, one row each."""

from __future__ import annotations

from typing import Any

from mixin.dashboards.common import column, merged_table, tables
from mixin.promql import Q

INDEX = "openrouter_benchmark_index"


def panel(q: Q, y: int) -> Any:
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
