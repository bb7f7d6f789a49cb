"""Alerts: on the exporters (carry job and instance) and on the market (data labels only).

Every threshold comes from ``MixinConfig.thresholds`` and every selector from ``promql.Q``:
no job name is written here. A rule's ``note`` becomes the comment above it in the YAML.
"""

from __future__ import annotations

from typing import Any

from mixin.config import MixinConfig
from mixin.promql import APP_KEY, APP_RANK, APP_VIEW, MODEL_RANK, Q, by, change_record
from mixin.yamlout import Group

POPULAR = 'sort="popular"'
DAY_WINDOW = 'window="24h"'
APPS_SOURCE = "Source: OpenRouter (openrouter.ai/apps)."
MODELS_SOURCE = "Source: OpenRouter (openrouter.ai/rankings)."
SIGNED = '{{ printf "%+.0f" $value }}'
# "overall", "programming" or "programming / cli-agent": which app ranking it is about.
RANKING = (
    '{{ if eq $labels.category "all" }}overall{{ else }}{{ $labels.category }}'
    '{{ if ne $labels.subcategory "all" }} / {{ $labels.subcategory }}{{ end }}{{ end }}'
)


def eq(label: str, value: str) -> str:
    return f'{label}="{value}"'


def label(name: str) -> str:
    return f"{{{{ $labels.{name} }}}}"


def clean(name: str) -> str:
    """API text in an annotation, on one line (app names can hold newlines)."""
    return f'{{{{ $labels.{name} | reReplaceAll "[[:cntrl:]]+" " " }}}}'


def alert(
    name: str,
    expr: str,
    severity: str,
    summary: str,
    description: str,
    for_: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        out["for"] = for_
    out["labels"] = {"severity": severity}
    out["annotations"] = {"summary": summary, "description": description}
    return {**out, **({"note": note} if note else {})}


# --- alerts on the exporter (carry job and instance) ---------------------------------


def seen(q: Q, code: str, window: str, labels: str) -> str:
    """Requests answered with ``code`` in ``window``; the second branch sees a series born
    inside the window, whose first increment increase() cannot see."""
    s = q("openrouter_exporter_api_requests_total", eq("code", code))
    return (
        f"sum by ({labels}) (increase({s}[{window}])) > 0\nor\n"
        f"sum by ({labels}) ({s} unless {s} offset {window}) > 0"
    )


def availability_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q = Q(cfg, variables=False)
    ours = q.exporters()
    return [
        alert(
            "OpenRouterExporterDown",
            f"{q('up')} == 0\nand on (job, instance)\n{ours}",
            "critical",
            f"openrouter-exporter {label('instance')} is down",
            f"Prometheus has failed to scrape {label('instance')} (job {label('job')}) for "
            "5 minutes. No OpenRouter data is being collected from it.",
            "5m",
            "Our targets exported build_info in the last day (or are down since, with this "
            "alert firing): no job name is needed.",
        ),
        alert(
            "OpenRouterExporterAbsent",
            f"absent({q('up')} and on (job, instance) {ours})",
            "critical",
            "No openrouter-exporter is being scraped",
            "Prometheus has no target that exported openrouter_exporter_build_info in the "
            "last day for 15 minutes. Dashboards show no new data and the market alerts are "
            "silent.",
            "15m",
            "No exporter target at all: a pod gone and not rescheduled, a ServiceMonitor that "
            "no longer matches. A target that is down is OpenRouterExporterDown's.",
        ),
        alert(
            "OpenRouterApiKeyInvalid",
            f"(\n{seen(q, '401', '6h', 'job, instance')}\n)\nand on (job, instance)\n"
            f"(min by (job, instance) ({q('openrouter_exporter_view_up')}) == 0)",
            "critical",
            f"OpenRouter rejects the exporter's API key ({label('instance')})",
            "The Data API answered 401 Unauthorized and views are failing on "
            f"{label('instance')}. Set a valid key in OPENROUTER_API_KEY or api_key_file and "
            "restart the exporter. Any inference key works for the Data API.",
            "5m",
            "A 401 in the last 6h while a view fails.",
        ),
    ]


def operation_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q, t = Q(cfg, variables=False), cfg.thresholds
    end = "openrouter_data_end_date_timestamp_seconds"
    stale = "\nor\n".join(
        f"(time() - max by (dataset, view) ({q(end, eq('dataset', d))})) > {seconds}"
        for d, seconds in sorted(t.data_max_age_seconds.items())
    )
    view = f"{label('dataset')} / {label('view')}"
    return [
        alert(
            "OpenRouterDataStale",
            stale,
            "warning",
            f"OpenRouter {label('dataset')} view {label('view')} is stale",
            f"The newest data of {view} ends {{{{ $value | humanizeDuration }}}} ago. Either "
            "OpenRouter has not published new data or no exporter can refresh it (see "
            "openrouter_exporter_view_up and the Exporter health dashboard).",
            "1h",
            "The market's newest day, whichever exporter has it: one exporter failing is "
            "OpenRouterViewFailing's.",
        ),
        alert(
            "OpenRouterViewFailing",
            f"{q('openrouter_exporter_view_up')} == 0",
            "warning",
            f"OpenRouter view {view} fails to refresh on {label('instance')}",
            f"The exporter on {label('instance')} has failed to refresh {view} for an hour; "
            "it keeps serving the last good data. Check openrouter_exporter_api_requests_total "
            "by code and the exporter log.",
            "1h",
        ),
        alert(
            "OpenRouterBudgetNearlyExhausted",
            f"{q.budget_ratio(DAY_WINDOW)}\n> {t.budget_used_ratio}",
            "warning",
            f"openrouter-exporter {label('instance')} has used "
            "{{ $value | humanizePercentage }} of its daily request budget",
            f"{label('instance')} has sent {{{{ $value | humanizePercentage }}}} of the "
            "requests its 24h budget allows. When the budget is spent, refreshes wait and data "
            "goes stale. Configure fewer views, or raise the budget if the account's 500/day "
            "allows it.",
            "15m",
        ),
        alert(
            "OpenRouterRateLimited",
            seen(q, "429", "1h", "job, instance, endpoint"),
            "warning",
            f"OpenRouter rate-limits the exporter {label('instance')} ({label('endpoint')})",
            f"The Data API answered 429 Too Many Requests to {label('instance')} for "
            f"{label('endpoint')} in the last hour. The 500/day limit is per account: "
            "something else on the same account is probably using the Data API. Raise the "
            "exporter's budget reserve or move it to its own account.",
            note="Any 429 within the last hour.",
        ),
    ]


# --- market alerts (data labels only: one alert per event, whoever scraped it) -------


def app_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q, t = Q(cfg, variables=False), cfg.thresholds
    n, app = t.app_top_n, clean("app")
    now = f"{APP_RANK.recorded()}{{{POPULAR}}}"
    then = f"{APP_RANK.recorded('ago1d')}{{{POPULAR}}}"
    change = f"{change_record(APP_RANK, '1d')}{{{POPULAR}}}"
    ranking = f"{label('window')} {RANKING}"
    who = f"App {app} (id {label('app_id')})"
    views = by(APP_VIEW)
    view_up = q("openrouter_exporter_view_up", eq("dataset", "app-rankings"))
    guard = (
        f"and on ({views}) count by ({views}) ({now})\n"
        f"and on () (count({q('up')} == 1 and on (job, instance) {q.exporters()}) > 0)\n"
        f"and on () (count(min by (job, instance) ({view_up}) == 1) > 0)"
    )
    return [
        alert(
            "OpenRouterAppRankDropped",
            f"-{change} >= {t.app_rank_drop_positions}\nand on ({by(APP_KEY)})\n{then} <= {n}",
            "info",
            f"{app} fell {{{{ $value }}}} places in the {ranking} app ranking",
            f"{who} lost {{{{ $value }}}} places in one day in the {ranking} popular app "
            f"ranking. {APPS_SOURCE}",
            "10m",
            "Places lost in a day by an app that was in the top N a day ago.",
        ),
        alert(
            "OpenRouterAppEnteredTopN",
            f"{now} <= {n}\nunless on ({by(APP_KEY)}) {then} <= {n}\n"
            f"and on ({views}) count by ({views}) ({then})",
            "info",
            f"{app} entered the top {n} of the {ranking} app ranking at #{{{{ $value }}}}",
            f"{who} is #{{{{ $value }}}} in the {ranking} popular app ranking; a day ago it "
            f"was not in the top {n}. {APPS_SOURCE}",
            "10m",
            "Quiet until the view has a day of history.",
        ),
        alert(
            "OpenRouterAppLeftTopN",
            f"{then} <= {n}\nunless on ({by(APP_KEY)}) {now} <= {n}\n{guard}",
            "info",
            f"{app} left the top {n} of the {ranking} app ranking",
            f"{who} was #{{{{ $value }}}} a day ago in the {ranking} popular app ranking "
            f"and {where_now(cfg)}. {APPS_SOURCE}",
            "30m",
            "In the top N a day ago, not now (ranked lower or no longer listed). Outage guard: "
            "a vanished series must not read as 'left', so the app's view must have data now "
            "and some exporter must be up with every app view refreshing.",
        ),
        alert(
            "OpenRouterWatchedAppRankChanged",
            moved(change, t.watched_rank_change_positions)
            + f"\nand on (app_id) {q('openrouter_watched_app_info')}",
            "info",
            f"Watched app {app}: rank change {SIGNED} in the {ranking} app ranking",
            f"Watched app {app} (id {label('app_id')}) changed rank by {SIGNED} (positive = "
            f"up) in one day in the {ranking} popular app ranking. {APPS_SOURCE}",
            "10m",
        ),
    ]


def where_now(cfg: MixinConfig) -> str:
    """Annotation text: the app's current rank in the same ranking, or that it is gone."""
    ours = f", {cfg.selector}" if cfg.selector else ""
    query = (
        'max(openrouter_app_rank{app_id="%s", window="%s", sort="popular", category="%s", '
        f'subcategory="%s"{ours}}})'
    )
    return (
        f"{{{{ $now := printf `{query}` $labels.app_id $labels.window $labels.category "
        "$labels.subcategory | query }}{{ if $now }}is now #{{ $now | first | value }}"
        "{{ else }}is no longer listed{{ end }}"
    )


def moved(change: str, places: int) -> str:
    return f"(\n{change} >= {places}\nor\n{change} <= -{places}\n)"


def model_alerts(cfg: MixinConfig) -> list[dict[str, Any]]:
    q, t = Q(cfg, variables=False), cfg.thresholds
    n, model = t.model_top_n, clean("model")
    now, then = MODEL_RANK.recorded(), MODEL_RANK.recorded("ago1d")
    change = change_record(MODEL_RANK, "1d")
    ranking = f"the {label('view')} model ranking"
    return [
        alert(
            "OpenRouterModelRankChanged",
            moved(change, t.model_rank_change_positions)
            + f"\nand on (view, model)\n({now} <= {n} or {then} <= {n})",
            "info",
            f"{model}: rank change {SIGNED} in {ranking}",
            f"Model {model} changed rank by {SIGNED} (positive = up) in one day in the "
            f"{label('view')} ranking by tokens. {MODELS_SOURCE}",
            "10m",
            "A model in the top N now or a day ago moved in one day.",
        ),
        alert(
            "OpenRouterNewTopModel",
            f"{now} <= {n}\nunless on (view, model) {then} <= {n}\n"
            f"and on (view) count by (view) ({then})",
            "info",
            f"{model} is new in the top {n} of {ranking} at #{{{{ $value }}}}",
            f"Model {model} (author {label('author')}) is #{{{{ $value }}}} by tokens in the "
            f"{label('view')} ranking; a day ago it was not in the top {n}. {MODELS_SOURCE}",
            "10m",
            "Quiet until the view has a day of history.",
        ),
        alert(
            "OpenRouterWatchedModelRankChanged",
            moved(change, t.watched_rank_change_positions)
            + f"\nand on (model) {q('openrouter_watched_model_info')}",
            "info",
            f"Watched model {model}: rank change {SIGNED} in {ranking}",
            f"Watched model {model} changed rank by {SIGNED} (positive = up) in one day in "
            f"{ranking} by tokens. {MODELS_SOURCE}",
            "10m",
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
        ),
    ]


def alert_groups(cfg: MixinConfig) -> list[Group]:
    return [
        Group("openrouter-exporter-alerts", availability_alerts(cfg) + operation_alerts(cfg)),
        Group(
            "openrouter-market-alerts",
            app_alerts(cfg) + model_alerts(cfg) + watch_alerts(cfg),
            interval=cfg.market_rule_interval,
        ),
    ]
