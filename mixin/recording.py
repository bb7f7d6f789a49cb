"""Recording rules: de-duplicated market shortcuts and the rank changes the alerts use."""

from __future__ import annotations

from typing import Any

from mixin.config import MixinConfig
from mixin.promql import APP_VIEW, Q, by
from mixin.yamlout import Group


def rec(name: str, expr: str, note: str | None = None) -> dict[str, Any]:
    return {"record": name, "expr": expr, **({"note": note} if note else {})}


def recording(cfg: MixinConfig) -> list[Group]:
    q = Q(cfg, variables=False)
    share, tokens = q.model("openrouter_model_share"), q.model("openrouter_model_tokens")
    ranked = q.model("openrouter_model_tokens", 'model!="other"')
    requests = q("openrouter_exporter_api_requests_total")
    models = [
        rec(
            "view_author:openrouter_model_share:sum",
            f"sum by (view, author) ({share})",
            "Share of all tokens per author (sums to 1 per view: `other` is author other).",
        ),
        rec("view_author:openrouter_model_tokens:sum", f"sum by (view, author) ({tokens})"),
        rec(
            "view:openrouter_model_tokens:sum",
            f"sum by (view) ({tokens})",
            "All tokens of the latest complete period (top 50 + the `other` long tail).",
        ),
        rec(
            "view:openrouter_model_tokens_ranked:sum",
            f"sum by (view) ({ranked})",
            "Tokens of the 50 ranked models only.",
        ),
        rec(
            "model:openrouter_model_rank:change1d",
            q.model_rank_change("1d"),
            "Previous rank - current rank (positive = up), on data labels only.",
        ),
        rec("model:openrouter_model_rank:change7d", q.model_rank_change("7d")),
    ]
    apps = [
        rec(
            "app:openrouter_app_rank:change1d",
            q.app_rank_change("1d"),
            "Matched on app_id (stable), carrying today's name.",
        ),
        rec("app:openrouter_app_rank:change7d", q.app_rank_change("7d")),
        rec(
            "category:openrouter_app_tokens:sum",
            f"sum by ({by(APP_VIEW)}) ({q.app('openrouter_app_tokens')})",
            "Tokens of the ranked apps per view: a lower bound of a category's total.",
        ),
    ]
    session = [
        rec(
            "app_turn_range:openrouter_session_median_cost_dollars:median",
            f"quantile by (app_slug, app, turn_range) (0.5, {q.session()})",
            "Typical (median over models) cost of a session per harness and turn range.",
        ),
    ]
    exporter = [
        rec(
            "instance:openrouter_exporter_budget_used:ratio",
            q.budget_ratio(),
        ),
        rec(
            "endpoint_code:openrouter_exporter_api_requests:increase1h",
            f"increase({requests}[1h])",
            "A few hundred requests a day at most: per-second rates are too small to read.",
        ),
    ]
    return [
        Group("openrouter-models", models),
        Group("openrouter-apps", apps),
        Group("openrouter-session-cost", session),
        Group("openrouter-exporter", exporter),
    ]
