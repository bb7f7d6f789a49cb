"""Market alerts: about the data, not the scraper, so they carry data labels only (one alert
per event, whichever exporter served it). They read the recorded market
(``openrouter:<family>:latest``, ``…:ago1d``, ``…:best_recent``, the rank changes).

Quiet on churn: an entry that left the top N and comes back within ``reentry_days``
published days has not "entered"; one that leaves has "left" only once it has been outside
for a whole published day. Every alert carries ``ranking`` and ``entry`` labels, which the
shipped Alertmanager config uses to let a watched-entry alert stand in for the generic one,
and ``digest="market"``, which routes them all into one daily digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mixin.alerttext import alert, clean, fact, label
from mixin.config import MixinConfig
from mixin.dashboards import panel_link
from mixin.dashboards.apps import RANK_OVER_TIME
from mixin.dashboards.models import TOP_MODELS
from mixin.promql import (
    ALERTED_APP_RANK,
    ALERTED_APP_TOKENS,
    ALERTED_APPS,
    APP_KEY,
    APP_RANK,
    APP_TOKENS,
    APP_VIEW,
    DATASET_AS_OF,
    MODEL_RANK,
    Q,
    by,
    model_change_record,
)

POPULAR = ALERTED_APPS
SIGNED = '{{ printf "%+.0f" $value }}'
RANK = 'printf "#%.0f"'
# "overall", "coding" or "coding / cli-agent": which app ranking it is about.
APP_RANKING = (
    '{{ if eq $labels.category "all" }}overall{{ else }}{{ $labels.category }}'
    '{{ if ne $labels.subcategory "all" }} / {{ $labels.subcategory }}{{ end }}{{ end }}'
)
MODEL_LABELS = ("view", "model")
# On every market alert and on no other: the Alertmanager route into the daily digest
# matches it and groups by it (one group, so one message a day). A label of its own, not
# severity="info", so an informational exporter alert never lands in the market digest.
DIGEST = {"digest": "market"}
APP_LABELS = (*APP_VIEW, "app_id")


def sel(labels: tuple[str, ...], *fixed: str) -> str:
    """A selector whose values the alert fills in: ``{a=%q, b=%q}``."""
    return "{" + ", ".join([*fixed, *(f"{n}=%q" for n in labels)]) + "}"


@dataclass(frozen=True)
class Facts:
    """What a notification says beyond the move: ranks, tokens, share, citation, link."""

    now: str
    before: str
    tokens: str
    share: str
    share_change: str
    citation: str
    dashboard: str

    def annotations(self) -> dict[str, str]:
        return {"citation": self.citation, "dashboard": self.dashboard}

    def figures(self) -> str:
        share = f"{self.share} of the ranking's tokens ({self.share_change} in a day)"
        return f"{self.tokens} tokens, {share}"


def model_facts(cfg: MixinConfig) -> Facts:
    q, m = Q(cfg, variables=False), MODEL_LABELS
    s = sel(m)
    share_then = (
        "max by (view, model) (last_over_time("
        f"{q('openrouter_model_share', 'view=%q', 'model=%q')}[{cfg.bridge}] offset 1d))"
    )
    # The top-models table of the view: rank, tokens, share, and the rank changes.
    link = panel_link(cfg, "models", TOP_MODELS, "var-view={{ $labels.view | urlquery }}")
    as_of = fact(
        'openrouter:data_as_of:latest{dataset="rankings-daily", view=%q}',
        ("view",),
        "humanizeTimestamp",
    )
    return Facts(
        now=fact(f"openrouter:model_rank:latest{s}", m, RANK),
        before=fact(f"openrouter:model_rank:ago1d{s}", m, RANK, "unranked"),
        tokens=fact(f"openrouter:model_tokens:latest{s}", m, "humanize"),
        share=fact(f"openrouter:model_share:latest{s}", m, "humanizePercentage"),
        share_change=fact(
            f"100 * (openrouter:model_share:latest{s} - on (view, model) {share_then})",
            (*m, *m),
            'printf "%+.2f pp"',
        ),
        citation=f"Source: OpenRouter (openrouter.ai/rankings), as of {as_of}",
        dashboard=link,
    )


def one_line(expr: str) -> str:
    """An expression on one line, for an annotation: line breaks and their indent only
    (a matcher's value holds no line break, so no value changes)."""
    return re.sub(r"\n\s*", " ", expr)


def app_facts(cfg: MixinConfig) -> Facts:
    q, a, v = Q(cfg, variables=False), APP_LABELS, APP_VIEW
    entry = sel(a)
    # Any rank a day ago, not only the ranks the alerts record (ago1d): "a day ago: #25".
    popular = tuple(n for n in a if n != "sort")
    ago = f"openrouter:app_rank:latest{sel(popular, POPULAR)}[{cfg.bridge}] offset 1d"
    total, view = ALERTED_APP_TOKENS, sel(v)
    # Tokens are not recorded per app (mixin.promql.APP_TOKENS): the newest answer's, now
    # and a day ago, picked from the raw series as the rules chose then.
    mine, its_view = [f"{n}=%q" for n in a], [f"{n}=%q" for n in v]
    tokens = f"max({one_line(q.newest(APP_TOKENS, *mine, of_view=its_view))})"
    share = f"{tokens} / max({total}{view})"
    tokens_then = one_line(q.newest(APP_TOKENS, *mine, offset="1d", of_view=its_view))
    then = f"max({tokens_then}) / max(last_over_time({total}{view}[{cfg.bridge}] offset 1d))"
    vars_ = "&".join(f"var-{n}={{{{ $labels.{n} | urlquery }}}}" for n in (*v, "app_id"))
    # The app's rank over time, wherever it is in the ranking (Top N 200).
    vars_ = vars_.replace("var-app_id=", "var-app=") + "&var-top=200"
    as_of = fact(f'{DATASET_AS_OF}{{dataset="app-rankings"}}', (), "humanizeTimestamp")
    return Facts(
        now=fact(f"max(openrouter:app_rank:latest{entry})", a, RANK, "unlisted"),
        before=fact(f"max(last_over_time({ago}))", popular, RANK, "unlisted"),
        # The app's labels, then its view's again: the chosen answers of that view.
        tokens=fact(tokens, (*a, *v), "humanize"),
        share=fact(share, (*a, *v, *v), "humanizePercentage"),
        share_change=fact(
            f"100 * ({share} - {then})", (*a, *v, *v, *a, *v, *v), 'printf "%+.2f pp"'
        ),
        citation=f"Source: OpenRouter (openrouter.ai/apps), as of {as_of}",
        dashboard=panel_link(cfg, "apps", RANK_OVER_TIME, vars_),
    )


def market_alert(
    cfg: MixinConfig, kind: str, *args: Any, facts: Facts, **kw: Any
) -> dict[str, Any]:
    """A market alert: info, kept firing over a refresh gap, labelled with its ranking and
    entry (the labels the Alertmanager inhibition compares)."""
    if kind == "model":
        labels = {"ranking": label("view"), "entry": label("model")}
    else:
        parts = f"{label('category')}/{label('subcategory')}"
        labels = {"ranking": f"{label('window')} {label('sort')} {parts}", "entry": label("app_id")}
    return alert(
        *args,
        keep_firing_for=cfg.market_keep_firing_for,
        labels={**labels, **DIGEST},
        annotations=facts.annotations(),
        **kw,
    )


def moved(change: str, places: int) -> str:
    return f"(\n{change} >= {places}\nor\n{change} <= -{places}\n)"


def app_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q, t, f = Q(cfg, variables=False), cfg.thresholds, app_facts(cfg)
    n, app, k = t.app_top_n, clean("app"), t.reentry_days
    # What the alerts compare over days is recorded small (the top N and the watched
    # apps: ALERTED_APP_RANK); only a fall out of the top N reads every popular rank now.
    top, now = ALERTED_APP_RANK, f"{APP_RANK.recorded()}{{{POPULAR}}}"
    then, recent = APP_RANK.recorded("ago1d"), APP_RANK.recorded("best_recent")
    two_days = f"last_over_time({top}[{cfg.bridge}] offset 2d)"
    ranking = f"{label('window')} {APP_RANKING}"
    who = f"App {app} (id {label('app_id')})"
    key, views = by(APP_KEY), by(APP_VIEW)
    view_up = q("openrouter_exporter_view_up", 'dataset="app-rankings"')
    # Only our exporters export view_up: one that is up with every app view refreshing.
    guard = (
        f"and on ({views}) count by ({views}) ({top})\n"
        f"and on () count(min by (job, instance) ({view_up}) == 1 and on (job, instance) "
        f"{q('up')} == 1)"
    )
    figures = f"{f.figures()}. {f.citation}."
    watched = f"({top} and on (app_id) {q('openrouter_watched_app_info')})"
    return [
        market_alert(
            cfg,
            "app",
            "OpenRouterAppRankDropped",
            f"{now}\n- on ({key}) group_left () ({then} <= {n})\n>= {t.app_rank_drop_positions}",
            "info",
            f"{app} fell from {f.before} to {f.now} in the {ranking} app ranking",
            f"{who} lost {{{{ $value }}}} places in one day in the {ranking} popular app "
            f"ranking, from {f.before} to {f.now}: {figures}",
            "10m",
            "Places lost in a day by an app that was in the top N a day ago.",
            facts=f,
        ),
        market_alert(
            cfg,
            "app",
            "OpenRouterAppEnteredTopN",
            f"{top} <= {n}\nunless on ({key}) {then} <= {n}\nunless on ({key}) {recent} <= {n}\n"
            f"and on ({views}) count by ({views}) ({recent})",
            "info",
            f"{app} entered the top {n} of the {ranking} app ranking at #{{{{ $value }}}}",
            f"{who} is #{{{{ $value }}}} in the {ranking} popular app ranking (a day ago: "
            f"{f.before}); it was not in the top {n} in the {k} published days before: "
            f"{figures}",
            "10m",
            f"Not in the top N a day ago nor in the {k} published days before it (a #10/#11 "
            "swap is no news); quiet until the view has that history.",
            facts=f,
        ),
        market_alert(
            cfg,
            "app",
            "OpenRouterAppLeftTopN",
            f"{two_days} <= {n}\nunless on ({key}) {then} <= {n}\n"
            f"unless on ({key}) {top} <= {n}\n{guard}",
            "info",
            f"{app} left the top {n} of the {ranking} app ranking",
            f"{who} was #{{{{ $value }}}} in the {ranking} popular app ranking before it left the "
            f"top {n}, has been outside it for a whole published day and {where_now(cfg)}. "
            f"{f.citation}.",
            "30m",
            "In the top N two published days ago, outside it on the day since and now (ranked "
            "lower or no longer listed): one notification per leave, none for a swap. Outage "
            "guard: a vanished series must not read as 'left', so the app's view must have "
            "data now and some exporter must be up with every app view refreshing.",
            facts=f,
        ),
        market_alert(
            cfg,
            "app",
            "OpenRouterWatchedAppRankChanged",
            # The watched apps first: the comparison runs twice (moved), on those alone.
            moved(f"{then} - on ({key}) group_right () {watched}", t.watched_rank_change_positions),
            "info",
            f"Watched app {app}: {f.before} → {f.now} ({SIGNED}) in the {ranking} app ranking",
            f"Watched app {app} (id {label('app_id')}) moved from {f.before} to {f.now} "
            f"({SIGNED} places, positive = up) in one day in the {ranking} popular app "
            f"ranking: {figures}",
            "10m",
            facts=f,
        ),
    ]


def where_now(cfg: MixinConfig) -> str:
    """Annotation text: the app's current rank in the same ranking, or that it is gone."""
    return fact(
        'max(openrouter:app_rank:latest{sort="popular", window=%q, category=%q, '
        "subcategory=%q, app_id=%q})",
        ("window", "category", "subcategory", "app_id"),
        RANK,
        "is no longer listed",
        prefix="is now ",
    )


def model_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q, t, f = Q(cfg, variables=False), cfg.thresholds, model_facts(cfg)
    n, model, k = t.model_top_n, clean("model"), t.reentry_days
    now, then = MODEL_RANK.recorded(), MODEL_RANK.recorded("ago1d")
    recent = MODEL_RANK.recorded("best_recent")
    change = model_change_record("1d")
    ranking = f"the {label('view')} model ranking"
    figures = f"{f.figures()}. {f.citation}."
    return [
        market_alert(
            cfg,
            "model",
            "OpenRouterModelRankChanged",
            moved(change, t.model_rank_change_positions)
            + f"\nand on (view, model)\n({now} <= {n} or {then} <= {n})",
            "info",
            f"{model}: {f.before} → {f.now} ({SIGNED}) in {ranking}",
            f"Model {model} moved from {f.before} to {f.now} ({SIGNED} places, positive = up) "
            f"in one day in the {label('view')} ranking by tokens: {figures}",
            "10m",
            "A model in the top N now or a day ago moved in one day.",
            facts=f,
        ),
        market_alert(
            cfg,
            "model",
            "OpenRouterNewTopModel",
            f"{now} <= {n}\nunless on (view, model) {then} <= {n}\n"
            f"unless on (view, model) {recent} <= {n}\n"
            f"and on (view) count by (view) ({recent})",
            "info",
            f"{model} is new in the top {n} of {ranking} at #{{{{ $value }}}}",
            f"Model {model} (author {label('author')}) is #{{{{ $value }}}} by tokens in the "
            f"{label('view')} ranking (a day ago: {f.before}); it was not in the top {n} in "
            f"the {k} published days before: {figures}",
            "10m",
            f"Not in the top N a day ago nor in the {k} published days before it (a #10/#11 "
            "swap is no news); quiet until the view has that history.",
            facts=f,
        ),
        market_alert(
            cfg,
            "model",
            "OpenRouterWatchedModelRankChanged",
            moved(change, t.watched_rank_change_positions)
            + f"\nand on (model) {q('openrouter_watched_model_info')}",
            "info",
            f"Watched model {model}: {f.before} → {f.now} ({SIGNED}) in {ranking}",
            f"Watched model {model} moved from {f.before} to {f.now} ({SIGNED} places, "
            f"positive = up) in one day in {ranking} by tokens: {figures}",
            "10m",
            facts=f,
        ),
    ]


def watch_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q = Q(cfg, variables=False)
    ranked = q("openrouter_watched_ranked")
    kind, entry = label("kind"), clean("watch")
    return [
        alert(
            "OpenRouterWatchedEntryLeftRanking",
            f"max by (kind, watch) ({ranked}) == 0\nand on (kind, watch)\n"
            f"max by (kind, watch) (last_over_time({ranked}[{cfg.bridge}] offset 1d)) == 1",
            "info",
            f"Watched {kind} {entry} left the rankings",
            f"Watched {kind} {entry} was in a ranking the exporter holds a day ago and is in "
            "none now: below the top 50 of every model view, or below the depth of every app "
            "view (raise apps.depth to follow it further).",
            "30m",
            "A watched entry that was ranked a day ago and is in no ranking now. An entry "
            "never ranked (a typo) is openrouter_watched_ranked == 0 and a log line, not this.",
            keep_firing_for=cfg.market_keep_firing_for,
            labels={"ranking": "every ranking", "entry": label("watch"), **DIGEST},
        ),
    ]
