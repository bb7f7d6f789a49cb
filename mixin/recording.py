"""Recording rules: the newest market data once per family, and what derives from it.

This is the one place that decides which exporters' answers count per view (several
exporters, exporters holding different days, scrape gaps): ``openrouter:data_as_of:newest``
and ``openrouter:app_view:newest``. Market panels and alerts read the families recorded
from them (``openrouter:<family>:latest``), or for app tokens and requests, which are not
recorded per app, pick the raw series of those answers (``mixin.promql.Q.newest``).
"""

from __future__ import annotations

from typing import Any

from mixin.config import MixinConfig
from mixin.promql import (
    ALERTED_APP_RANK,
    ALERTED_APP_TOKENS,
    ALERTED_APPS,
    APP_KEY,
    APP_RANK,
    APP_VIEW_NEWEST,
    APP_VIEW_TOKENS,
    AS_OF,
    DATASET_AS_OF,
    END_DATE,
    FAMILIES,
    MODEL_RANK,
    MODEL_SHARE,
    MODEL_TOKENS,
    NEWEST,
    TARGET,
    VIEW,
    Family,
    Q,
    by,
    model_change_record,
)
from mixin.yamlout import Group

NEWEST_DAY = "openrouter:data_as_of:newest_day"


def rec(name: str, expr: str, note: str | None = None) -> dict[str, Any]:
    return {"record": name, "expr": expr, **({"note": note} if note else {})}


def newest(q: Q) -> list[dict[str, Any]]:
    """Which exporter's answer counts, per view: the newest day, then the newest fetch."""
    end, as_of = q.gapless(END_DATE), q.gapless(AS_OF)
    views, targets = by(VIEW), by((*TARGET, *VIEW))
    app_view = q.gapless("openrouter_app_view_info")
    return [
        rec(
            NEWEST_DAY,
            f"{as_of}\nand on ({targets})\n"
            f"({end} == on ({views}) group_left () max by ({views}) ({end}))",
            "Step 1 of 'newest data wins'. Per exporter and view: the as_of of the exporters "
            "that hold the view's newest day (end_date). as_of is when the exporter asked, "
            "not what day the data covers: an exporter a day behind may well have asked "
            "later, so the day decides first.",
        ),
        rec(
            NEWEST,
            f"{NEWEST_DAY}\n== on ({views}) group_left ()\nmax by ({views}) ({NEWEST_DAY})",
            "Step 2. Of those, the most recently fetched answer (D-1 settles over a few "
            "hours: the later answer has the later revision). Identical exporters tie and "
            "all count; the max by data labels below makes them one.",
        ),
        rec(
            APP_VIEW_NEWEST,
            f'{app_view}\nand on (job, instance, view) {NEWEST}{{dataset="app-rankings"}}',
            "App series carry the view's parts (window, sort, category, subcategory), not "
            "its name: this maps the chosen exporters' view names to those parts.",
        ),
    ]


def market(cfg: MixinConfig) -> list[dict[str, Any]]:
    q = Q(cfg, variables=False)
    latests = [rec(f.recorded(), q.newest(f)) for f in FAMILIES if f.recorded_by_rules]
    latests[0]["note"] = (
        "The market as the newest data shows it, one series per data label set, whichever "
        "exporters served it (a new instance, an HA pair or two accounts change nothing)."
    )
    meta = [
        rec("openrouter:data_as_of:latest", f"max by ({by(VIEW)}) ({NEWEST})"),
        rec(
            DATASET_AS_OF,
            "min by (dataset) (openrouter:data_as_of:latest)",
            "The oldest view's as_of per dataset: the 'as of' an app notification cites, one "
            "series to read per active alert instead of every view's.",
        ),
        rec("openrouter:data_end_date:latest", f"max by ({by(VIEW)}) ({q.gapless(END_DATE)})"),
    ]
    return [*newest(q), *latests, *meta]


def changes(cfg: MixinConfig) -> list[dict[str, Any]]:
    """The rank a day ago and the best recent rank (the alerts compare with them), and for
    models the change over a day and a week: previous - current, positive = moved up;
    none for an entry without that history (the dashboards show 0 there).

    Models look back at the raw series, bridged over the backfill's step, so a backfilled
    history counts. Apps look back at what these rules recorded, and only at what the
    alerts need: there are a hundred times more app series, a rule costs Prometheus about
    as much per series it reads as per series it writes, and a series read a day or a
    week back (from a persisted block) several times more.
    """
    q = Q(cfg, variables=False)
    out = []
    model_now = MODEL_RANK.recorded()
    out.append(
        rec(
            MODEL_RANK.recorded("ago1d"),
            q.ago(MODEL_RANK, "1d"),
            "openrouter_model_rank a day ago.",
        )
    )
    out.append(rec(model_change_record("1d"), f"{MODEL_RANK.recorded('ago1d')}\n- {model_now}"))
    out.append(rec(model_change_record("7d"), f"{q.ago(MODEL_RANK, '7d')}\n- {model_now}"))
    out.append(best_recent(q, MODEL_RANK))

    # Apps: only what the alerts read. A panel's rank change reads the one view it shows
    # (mixin.promql.Q.app_rank_change); recorded for every view it cost two reads of
    # every app series a day and a week back at each evaluation, most of the rules' time.
    popular, n = f"{APP_RANK.recorded()}{{{ALERTED_APPS}}}", cfg.thresholds.app_top_n
    watched = q("openrouter_watched_app_info")
    out.append(
        rec(
            ALERTED_APP_RANK,
            f"{popular} <= {n}\nor {popular} and on (app_id) {watched}",
            "The app ranks the alerts compare over days: the top N and the watched apps of "
            "the popular rankings. Recorded small, so looking back at it is cheap: a day "
            "ago, two days ago and the best recent rank read it, not every app series.",
        )
    )
    out.append(
        rec(
            APP_RANK.recorded("ago1d"),
            f"max by ({by(APP_KEY)}) (last_over_time({ALERTED_APP_RANK}[{cfg.bridge}] offset 1d))",
            f"{ALERTED_APP_RANK} a day ago, by app_id (an app renamed since is one series, "
            "so the alerts can subtract it from today's rank).",
        )
    )
    out.append(best_recent(q, APP_RANK))
    return out


def best_recent(q: Q, f: Family) -> dict[str, Any]:
    """The best rank of the K published days before the current one, for "entered the top N"
    to skip an entry that was there lately. Sampled at 00:00 UTC of each day (a subquery's
    steps are aligned to whole days), one day back: a backfilled history shows day D from
    00:00 of D+1, so without the offset the newest point would be the current day itself
    and no entry could ever be new. ``ago1d`` covers the day just before the current one."""
    k = q.cfg.thresholds.reentry_days
    if f is MODEL_RANK:  # from the raw series, bridged: a backfilled history counts
        inner = f"max by ({by(f.labels)}) (last_over_time({q(f.metric)}[{q.bridge}]))"
    else:  # what the alerts compare: the top N and the watched apps
        inner = ALERTED_APP_RANK
    note = (
        "The best rank of the K published days before the current one (reentry_days): "
        "sampled at 00:00 UTC of each of the K days before yesterday (offset 1d: a "
        "backfilled history shows a day from the midnight after it, the current day itself)."
    )
    return rec(f.recorded("best_recent"), f"min_over_time({inner}[{k}d:1d] offset 1d)", note)


def recording(cfg: MixinConfig) -> list[Group]:
    q = Q(cfg, variables=False)
    share, tokens = MODEL_SHARE.recorded(), MODEL_TOKENS.recorded()
    requests = q("openrouter_exporter_api_requests_total")
    sums = [
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
            f'sum by (view) ({tokens}{{model!="other"}})',
            "Tokens of the 50 ranked models only.",
        ),
        rec(
            ALERTED_APP_TOKENS,
            q.newest(APP_VIEW_TOKENS, ALERTED_APPS),
            "Tokens of the ranked apps per popular view, what an app alert's share of its "
            "ranking is of (every active alert reads it at each evaluation). The exporter "
            "sums each view once per refresh (openrouter_app_view_tokens): summing here "
            "read every app series of every popular view at each evaluation.",
        ),
        rec(
            "app_turn_range:openrouter_session_median_cost_dollars:median",
            "quantile by (app_slug, app, turn_range) (0.5, "
            "openrouter:session_median_cost_dollars:latest)",
            "Typical (median over models) cost of a session per harness and turn range.",
        ),
    ]
    exporter = [
        rec("instance:openrouter_exporter_budget_used:ratio", q.budget_ratio()),
        rec(
            "endpoint_code:openrouter_exporter_api_requests:increase1h",
            f"increase({requests}[1h])",
            "A few hundred requests a day at most: per-second rates are too small to read.",
        ),
    ]
    # One group: rules in a group run in order, so each reads what the one before it
    # recorded at the same evaluation.
    every = cfg.market_rule_interval
    return [
        Group("openrouter-market", [*market(cfg), *changes(cfg), *sums], interval=every),
        Group("openrouter-exporter", exporter),
    ]
