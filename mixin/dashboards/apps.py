"""OpenRouter / Apps: leaderboards, movers and categories (app-rankings)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models.dashboard import VariableSort

from mixin.config import MixinConfig
from mixin.dashboards.common import (
    build_dashboard,
    change_column,
    citation,
    column,
    donut,
    merged_table,
    tables,
    target,
    time_series,
)
from mixin.dashboards.queries import citation_expr
from mixin.dashboards.variables import custom_var, datasource_var, query_var, target_vars
from mixin.promql import Q

SEL = ('window="$window"', 'sort="$sort"', 'category="$category"', 'subcategory="$subcategory"')
CHOSEN = 'app_id=~"$app"'
RANK_OVER_TIME = "Rank over time (top $top, chosen apps)"  # where an app notification links to
CATEGORIES = ('window="$window"', 'sort="popular"', 'category!="all"', 'subcategory="all"')


def build(cfg: MixinConfig) -> Dashboard:
    q = Q(cfg, variables=True)
    by_category = f"sum by (category) ({q.app('openrouter_app_tokens', *CATEGORIES)})"
    panels = [
        citation(citation_expr(q, "app-rankings")),
        leaderboard(q),
        time_series(
            RANK_OVER_TIME,
            [target(f"{q.app('openrouter_app_rank', *SEL, CHOSEN)} <= $top", "{{app}}")],
            (0, 17, 12, 12),
            legend_sort_desc=False,
            description="Rank (1 = top) of the apps chosen in `App` while they are within "
            "the top $top. Pick apps in `App` and set `Top N` to 200 to follow them "
            "anywhere in the ranking.",
        )
        .unit("none")
        .min(1)
        .decimals(0),
        time_series(
            "Tokens over time (top $top, chosen apps)",
            [target(f"topk($top,\n{q.app('openrouter_app_tokens', *SEL, CHOSEN)}\n)", "{{app}}")],
            (12, 17, 12, 12),
            description="Tokens in the window of the $top apps with the most tokens among "
            "those chosen in `App` (for the popular sort, the top $top of the ranking).",
        ).unit("short"),
        movers(q, "Biggest climbers ($change)", "topk", (0, 29, 12, 10), desc=True),
        movers(q, "Biggest fallers ($change)", "bottomk", (12, 29, 12, 10), desc=False),
        time_series(
            "Tokens by category ($window, popular)",
            [target(by_category, "{{category}}")],
            (0, 39, 12, 10),
            stack=True,
            description="Tokens of the ranked apps of each category view (the exporter's "
            "`filters: [categories]`). Only the apps a view returns are counted, so this is "
            "a lower bound of each category's total.",
        ).unit("short"),
        donut(
            "Category split, latest ($window, popular)",
            [target(by_category, "{{category}}", instant=True)],
            (12, 39, 12, 10),
            description="Split of the category views' tokens in the latest window.",
        ).unit("short"),
    ]
    views = q("openrouter_app_rank")
    variables = [
        datasource_var(),
        *target_vars(cfg, "openrouter_dataset_info"),
        query_var(
            "window",
            "Window",
            f"label_values({views}, window)",
            current="30d",
            description="Days ending at the latest complete UTC day.",
        ),
        query_var(
            "sort",
            "Sort",
            f"label_values({q('openrouter_app_rank', SEL[0])}, sort)",
            current="popular",
        ),
        query_var(
            "category",
            "Category",
            f"label_values({q('openrouter_app_rank', *SEL[:2])}, category)",
            current="all",
        ),
        query_var(
            "subcategory",
            "Subcategory",
            f"label_values({q('openrouter_app_rank', *SEL[:3])}, subcategory)",
            current="all",
        ),
        # The value is the stable app_id, the text the display name: app names are
        # untrusted text (quotes, emoji…) and would break a PromQL string.
        query_var(
            "app",
            "App",
            q("openrouter_app_rank", *SEL),
            multi_all=True,
            regex='/app="(?<text>[\\s\\S]*?)",app_id="(?<value>[0-9]+)"/',
            sort=ALPHABETICAL_CI,
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
    return build_dashboard(
        cfg,
        "apps",
        "OpenRouter / Apps",
        "App leaderboards from OpenRouter's app-rankings dataset.",
        variables,
        panels,
    )


ALPHABETICAL_CI = VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC


def leaderboard(q: Q):
    p = merged_table(
        "Leaderboard: $window, $sort, $category / $subcategory",
        tables(
            q.app("openrouter_app_rank", *SEL),
            q.app("openrouter_app_tokens", *SEL),
            q.app("openrouter_app_requests", *SEL),
            q.app_rank_change("1d", *SEL),
            q.app_rank_change("7d", *SEL),
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
        description="Apps by token usage over the window ending at the latest complete UTC "
        "day. popular = by total tokens; trending = by growth over the three preceding "
        "windows. Δ rank = places moved since 1 or 7 days ago (positive = up; 0 until "
        "Prometheus has that much history, or a backfill provides it).",
    )
    p = column(p, "Rank", width=70)
    p = column(p, "Tokens", unit="short")
    p = column(p, "Requests", unit="short")
    p = change_column(p, "Δ rank 1d")
    return change_column(p, "Δ rank 7d")


def movers(q: Q, title: str, pick: str, grid: tuple[int, int, int, int], *, desc: bool):
    what = "gained" if desc else "lost"
    p = merged_table(
        title,
        tables(f"{pick}(10, {q.app_rank_change('$change', *SEL)})"),
        grid,
        rename={"Value": "Δ rank", "app": "App", "app_id": "App id"},
        order=["App", "Δ rank", "App id"],
        sort_by="Δ rank",
        desc=desc,
        description=f"Apps that {what} the most places over the chosen period (0 for "
        "everyone until Prometheus has that much history).",
    )
    return change_column(p, "Δ rank")
