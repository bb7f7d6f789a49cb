"""OpenRouter / Models: market share and token volume (rankings-daily)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.models import common, dashboard

from mixin.config import MixinConfig
from mixin.dashboards import benchmarks
from mixin.dashboards.common import (
    bar_gauge,
    build_dashboard,
    change_column,
    citation,
    column,
    merged_table,
    stat_panel,
    tables,
    target,
    time_series,
)
from mixin.dashboards.queries import citation_expr
from mixin.dashboards.variables import custom_var, datasource_var, query_var, target_vars
from mixin.promql import Q

VIEW = 'view="$view"'


def build(cfg: MixinConfig) -> Dashboard:
    q = Q(cfg, variables=True)
    tokens = lambda *m: q.model("openrouter_model_tokens", VIEW, *m)  # noqa: E731
    share = lambda *m: q.model("openrouter_model_share", VIEW, *m)  # noqa: E731
    rank = q.model("openrouter_model_rank", VIEW)
    panels = [
        citation(citation_expr(q, "rankings-daily", VIEW)),
        stat_panel(
            "Total tokens, latest $view period",
            [target(f"sum({tokens()})", "tokens", instant=True)],
            (0, 3, 6, 4),
            description="All models' tokens in the latest complete period of the view "
            "(the top 50 plus the `other` long tail).",
        ).unit("short"),
        stat_panel(
            "#1 model",
            [target(f"max by (model) ({rank} == 1)", "{{model}}", instant=True)],
            (6, 3, 6, 4),
            description="The model ranked first by tokens in the latest complete period.",
            text_mode=common.BigValueTextMode.NAME,
        ),
        stat_panel(
            "Top author share",
            [
                target(
                    f"topk(1, sum by (author) ({share(NOT_OTHER_AUTHOR)}))",
                    "{{author}}",
                    instant=True,
                )
            ],
            (12, 3, 6, 4),
            description="Share of all tokens of the author with the most tokens.",
            text_mode=common.BigValueTextMode.VALUE_AND_NAME,
        ).unit("percentunit"),
        stat_panel(
            "Long tail (other) share",
            [target(f"sum({share(OTHER)}) or vector(0)", "other", instant=True)],
            (18, 3, 6, 4),
            description="Share of tokens of every model outside the top 50 (the API's "
            "`other` row; 0 when OpenRouter omits it).",
        ).unit("percentunit"),
        time_series(
            "Market share by author",
            [target(f"sum by (author) ({share()})", "{{author}}")],
            (0, 7, 12, 10),
            stack=True,
            description="Share of all tokens per author (the part of the permaslug before "
            "`/`), stacked; `other` is the long tail outside the top 50. Each point shows "
            "the latest complete period as of that time.",
        )
        .unit("percentunit")
        .min(0)
        .max(1),
        bar_gauge(
            "Share by author, latest $view period",
            [target(f"sort_desc(sum by (author) ({share()}))", "{{author}}", instant=True)],
            (12, 7, 12, 10),
            description="Share of all tokens per author in the latest complete period.",
        )
        .unit("percentunit")
        .min(0)
        .max(1),
        top_models(q),
        time_series(
            "Tokens per model (top $top)",
            [target(f"topk($top,\n{tokens(CHOSEN, NOT_OTHER)}\n)", "{{model}}")],
            (0, 31, 24, 11),
            description="Tokens of the latest complete period per model, for models "
            "currently within the top $top and chosen in `model`.",
        ).unit("short"),
        time_series(
            "Top 50 vs other",
            [
                target(f"sum({tokens(NOT_OTHER)})", "Top 50 models", ref="A"),
                target(f"sum({tokens(OTHER)}) or vector(0)", "Other (long tail)", ref="B"),
            ],
            (0, 42, 12, 10),
            stack=True,
            description="Tokens of the 50 ranked models and of the `other` row (every "
            "model outside the top 50), stacked: the total is all tokens.",
        ).unit("short"),
        time_series(
            "Total tokens per $view period",
            [target(f"sum({tokens()})", "All models")],
            (12, 42, 12, 10),
            description="All tokens routed through OpenRouter in the latest complete period "
            "of the view (daily view: total daily tokens).",
        ).unit("short"),
        *traffic_by_task(q),
        *benchmarks.panels(q, 74),
    ]
    ranked = q("openrouter_model_rank")
    variables = [
        datasource_var(),
        *target_vars(cfg, "openrouter_dataset_info"),
        query_var(
            "view",
            "View",
            f"label_values({ranked}, view)",
            current="daily",
            description="Model view from the exporter config (period day/week/month).",
        ),
        query_var(
            "model",
            "Model",
            f"label_values({q('openrouter_model_rank', VIEW)}, model)",
            multi_all=True,
            sort=dashboard.VariableSort.ALPHABETICAL_ASC,
        ),
        custom_var(
            "top",
            "Top N",
            ["5", "10", "20", "50"],
            "10",
            description="How many models the per-model chart shows.",
        ),
    ]
    return build_dashboard(
        cfg,
        "models",
        "OpenRouter / Models",
        "Model market share and token volume from OpenRouter's rankings-daily dataset.",
        variables,
        panels,
    )


OTHER = 'model="other"'
NOT_OTHER = 'model!="other"'
NOT_OTHER_AUTHOR = 'author!="other"'
CHOSEN = 'model=~"$model"'
TOP_MODELS = "Top models, latest $view period"  # where a model notification links to


def top_models(q: Q):
    p = merged_table(
        TOP_MODELS,
        tables(
            q.model("openrouter_model_rank", VIEW),
            q.model("openrouter_model_tokens", VIEW, NOT_OTHER),
            q.model("openrouter_model_share", VIEW, NOT_OTHER),
            q.model_rank_change("1d", VIEW),
            q.model_rank_change("7d", VIEW),
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
            "view": "View",
        },
        order=["Rank", "Model", "Author", "Variant", "Tokens", "Share", "Δ rank 1d", "Δ rank 7d"],
        sort_by="Rank",
        description="The 50 models ranked by tokens in the latest complete period. "
        "Δ rank = places moved since 1 or 7 days ago (positive = up; 0 until Prometheus "
        "has that much history, or a backfill provides it).",
    )
    p = column(p, "Rank", width=70)
    p = column(p, "Tokens", unit="short")
    p = column(p, "Share", unit="percentunit", decimals=2)
    p = change_column(p, "Δ rank 1d")
    return change_column(p, "Δ rank 7d")


def traffic_by_task(q: Q) -> list:
    """task-classifications: shares of classified, sampled traffic over the trailing 7 days
    (its own window, not $view's period)."""
    by_task = lambda m: f"sort_desc(max by (task_name) ({q.model(m)}))"  # noqa: E731
    top = f"topk(5, max by (task, model) ({q.model('openrouter_task_model_token_share')}))"
    return [
        bar_gauge(
            "Traffic by task: token share, trailing 7 days",
            [target(by_task("openrouter_task_token_share"), "{{task_name}}", instant=True)],
            (0, 52, 12, 12),
            description="Share of classified, sampled tokens per task (OpenRouter's "
            "task-classifications; the unclassified bucket is excluded, so the tasks sum to "
            "1). A trailing 7-day window: consecutive days overlap.",
        )
        .unit("percentunit")
        .min(0)
        .max(1),
        bar_gauge(
            "Traffic by task: request share, trailing 7 days",
            [target(by_task("openrouter_task_usage_share"), "{{task_name}}", instant=True)],
            (12, 52, 12, 12),
            description="Share of classified, sampled requests per task. Coding and agent "
            "requests carry long contexts, so their token share is larger than their "
            "request share.",
        )
        .unit("percentunit")
        .min(0)
        .max(1),
        time_series(
            "Traffic by task: the largest model shares of a task",
            [target(top, "{{task}} {{model}}")],
            (0, 64, 24, 10),
            description="The five largest shares of a task's tokens held by one model "
            "(a task's top models only; unattributed traffic is excluded).",
        )
        .unit("percentunit")
        .min(0),
    ]
