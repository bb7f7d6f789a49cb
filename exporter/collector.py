"""Snapshots → metric families, rendered as exposition text (exporter.exposition caches it).

Families are built fresh from the current snapshots (a row that leaves the API leaves
/metrics), never with ``Gauge().labels().set()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from prometheus_client.utils import floatToGoString

from exporter import taxonomy as tx
from exporter.config import AppView, Config, ModelView
from exporter.periods import complete_buckets, day_start
from exporter.snapshot import AppRow, ModelDayRow, SessionCostRow, Snapshot

CACHED = "Cached: refreshed in the background from OpenRouter's Data API, not on scrape."


def model_labels(view: str, model: str) -> list[str]:
    if model == "other":
        return [view, model, "other", ""]
    author = model.split("/", 1)[0] if "/" in model else ""
    variant = model.rpartition(":")[2] if ":" in model else ""
    return [view, model, author, variant]


def latest_complete_period(
    rows: Iterable[ModelDayRow], period: str, end_date: date | None
) -> date | None:
    """The newest bucket among the rows that is complete by ``end_date``."""
    dates = {r.date for r in rows}
    if not dates:
        return None
    complete = complete_buckets(dates, period, end_date or max(dates))
    return complete[-1] if complete else None


@dataclass(frozen=True)
class ModelPeriod:
    period_start: date
    rows: list[tuple[str, int]]  # (model, tokens), API order, "other" last
    total: int


def model_period(snap: Snapshot, period: str) -> ModelPeriod | None:
    start = latest_complete_period(snap.rows, period, snap.meta.end_date)
    return None if start is None else period_at(snap.rows, start)


def period_at(rows: Iterable[ModelDayRow], start: date) -> ModelPeriod:
    """The rows of the bucket starting ``start``, in rank order (the status page also
    ranks earlier buckets with it, so its rank changes number models as /metrics does)."""
    seen: dict[str, int] = {}
    for r in rows:
        if r.date == start and r.model not in seen:  # first wins: no duplicate series
            seen[r.model] = r.total_tokens
    ordered = sorted(seen.items(), key=lambda kv: (kv[0] == "other", -kv[1], kv[0]))
    return ModelPeriod(start, ordered, sum(seen.values()))


# --- rendering ---------------------------------------------------------------------------
# Gauge sample lines are identical in the text format and OpenMetrics (same label escaping),
# and HELP texts avoid the characters whose escaping differs, so one rendering serves both.


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def unique_apps(snap: Snapshot) -> list[AppRow]:
    """A view's apps, each once, in the API's order: pages fetched across a data change
    can repeat an app, and the first page's row is the one kept."""
    seen: set[int] = set()
    rows = []
    for r in snap.rows:
        if isinstance(r, AppRow) and r.app_id not in seen:
            seen.add(r.app_id)
            rows.append(r)
    return rows


def label_string(names: Sequence[str], values: Sequence[str]) -> str:
    return ",".join(f'{n}="{escape_label(v)}"' for n, v in zip(names, values, strict=True))


def sample_line(name: str, labels: str, value: float) -> str:
    return f"{name}{{{labels}}} {floatToGoString(value)}\n"


@dataclass(frozen=True)
class Family:
    name: str
    help: str
    labels: tuple[str, ...]

    def header(self) -> str:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} gauge\n"


Fragment = dict[str, str]  # family name -> sample lines


class AppRankingsCollector:
    """App rankings, one view per window × sort × filter.

    Emits, for example (label sets shortened)::

        # HELP openrouter_app_rank Rank of the app in the window (1 = top). Cached: ...
        # TYPE openrouter_app_rank gauge
        openrouter_app_rank{window="30d",sort="popular",...,app_id="12345",app="Cline"} 1.0
        openrouter_app_tokens{window="30d",...,app_id="12345",app="Cline"} 1.23456789012e+11
        openrouter_app_requests{window="30d",...,app_id="12345",app="Cline"} 4321.0
    """

    dataset = tx.DATASET_APPS
    LABELS = ("window", "sort", "category", "subcategory", "app_id", "app")
    RANK = Family(
        "openrouter_app_rank", f"Rank of the app in the window (1 = top). {CACHED}", LABELS
    )
    TOKENS = Family("openrouter_app_tokens", f"Tokens the app used in the window. {CACHED}", LABELS)
    REQUESTS = Family(
        "openrouter_app_requests", f"Requests the app made in the window. {CACHED}", LABELS
    )
    families = (RANK, TOKENS, REQUESTS)

    def __init__(self, cfg: Config) -> None:
        self.views: dict[str, AppView] = {v.name: v for v in cfg.app_views}

    def render(self, snap: Snapshot) -> Fragment:
        view = self.views.get(snap.view)
        if view is None:
            return {}
        base = label_string(
            self.LABELS[:4], [view.window, view.sort, view.category_label, view.subcategory_label]
        )
        rank, tokens, requests = [], [], []
        for r in unique_apps(snap):
            labels = f'{base},app_id="{r.app_id}",app="{escape_label(r.app_name)}"'
            rank.append(sample_line(self.RANK.name, labels, r.rank))
            tokens.append(sample_line(self.TOKENS.name, labels, float(r.total_tokens)))
            requests.append(sample_line(self.REQUESTS.name, labels, float(r.total_requests)))
        return {
            self.RANK.name: "".join(rank),
            self.TOKENS.name: "".join(tokens),
            self.REQUESTS.name: "".join(requests),
        }


class ModelRankingsCollector:
    """Daily model rankings: each view shows its latest complete day, week or month.

    Emits, for example::

        openrouter_model_rank{view="daily",model="openai/gpt-4o",author="openai",variant=""} 1.0
        openrouter_model_tokens{view="daily",model="other",author="other",variant=""} 5e+08
        openrouter_model_share{view="daily",model="openai/gpt-4o",author="openai",variant=""} 0.4
    """

    dataset = tx.DATASET_MODELS
    LABELS = ("view", "model", "author", "variant")
    RANK = Family(
        "openrouter_model_rank",
        "Rank of the model in the view's latest complete period (1 = top; the other "
        f"row has none). {CACHED}",
        LABELS,
    )
    TOKENS = Family(
        "openrouter_model_tokens",
        "Tokens of the model in the view's latest complete period; the model "
        f"named other is the long tail outside the top 50, so the sum is the total. "
        f"{CACHED}",
        LABELS,
    )
    SHARE = Family(
        "openrouter_model_share",
        "Share (0-1) of the period's total tokens. Never sum across modality views: "
        f"they overlap. {CACHED}",
        LABELS,
    )
    families = (RANK, TOKENS, SHARE)

    def __init__(self, cfg: Config) -> None:
        self.views: dict[str, ModelView] = {v.name: v for v in cfg.model_views}

    def render(self, snap: Snapshot) -> Fragment:
        view = self.views.get(snap.view)
        period = model_period(snap, view.period) if view else None
        if period is None:
            return {}
        rank, tokens, share = [], [], []
        position = 0
        for model, toks in period.rows:
            labels = label_string(self.LABELS, model_labels(snap.view, model))
            if model != "other":
                position += 1
                rank.append(sample_line(self.RANK.name, labels, position))
            tokens.append(sample_line(self.TOKENS.name, labels, float(toks)))
            if period.total > 0:
                share.append(sample_line(self.SHARE.name, labels, toks / period.total))
        return {
            self.RANK.name: "".join(rank),
            self.TOKENS.name: "".join(tokens),
            self.SHARE.name: "".join(share),
        }


class SessionCostCollector:
    """Median cost per session, by harness, model and turn range (weekly snapshot).

    Emits, for example::

        openrouter_session_median_cost_dollars{app_slug="claude-code",app="Claude Code",\
model="anthropic/claude-sonnet-4",turn_range="1-turn"} 0.42
    """

    dataset = tx.DATASET_SESSION_COST
    LABELS = ("app_slug", "app", "model", "turn_range")
    COST = Family(
        "openrouter_session_median_cost_dollars",
        f"Median USD spent per session, by harness, model and turn range. {CACHED}",
        LABELS,
    )
    families = (COST,)

    def __init__(self, cfg: Config) -> None:
        self.enabled = cfg.session_cost

    def render(self, snap: Snapshot) -> Fragment:
        if not self.enabled:
            return {}
        lines = []
        seen: set[tuple[str, str, str]] = set()
        for r in snap.rows:
            if not isinstance(r, SessionCostRow):
                continue  # a damaged state file: skip the row, never fail the render
            ident = (r.app_slug, r.model, r.turn_range)
            if ident in seen:
                continue
            seen.add(ident)
            labels = label_string(self.LABELS, [r.app_slug, r.app_name, r.model, r.turn_range])
            lines.append(sample_line(self.COST.name, labels, r.median_cost_usd))
        return {self.COST.name: "".join(lines)}


class MetaCollector:
    """Freshness and citation facts of every view, and the app views' labels.

    Emits, for example::

        openrouter_data_as_of_timestamp_seconds{dataset="rankings-daily",view="daily"} 1.78e+09
        openrouter_dataset_info{dataset="rankings-daily",source="openrouter.ai/rankings",\
license="CC-BY-4.0"} 1.0
        openrouter_app_view_info{view="30d/popular/all",window="30d",sort="popular",\
category="all",subcategory="all"} 1.0
    """

    AS_OF = Family(
        "openrouter_data_as_of_timestamp_seconds",
        "meta.as_of of the response behind the view; cite as: Source: OpenRouter "
        "(openrouter.ai/...), as of <as_of>.",
        ("dataset", "view"),
    )
    END = Family(
        "openrouter_data_end_date_timestamp_seconds",
        "Last day the view's data covers (meta.end_date, or window_end_date for "
        "session cost), at 00:00 UTC.",
        ("dataset", "view"),
    )
    INFO = Family(
        "openrouter_dataset_info",
        "Citation facts of each dataset in use: data is CC BY 4.0 and must be "
        "credited to OpenRouter.",
        ("dataset", "source", "license"),
    )
    APP_VIEW = Family(
        "openrouter_app_view_info",
        "Each app view's name and its labels on the openrouter_app_* series, to "
        "join per-view freshness and status with the rankings.",
        ("view", "window", "sort", "category", "subcategory"),
    )
    families = (AS_OF, END, INFO, APP_VIEW)

    def __init__(self, cfg: Config) -> None:
        self.app_views = cfg.app_views

    def render(self, snap: Snapshot) -> Fragment:
        labels = label_string(("dataset", "view"), snap.key)
        out = {}
        if snap.meta.as_of is not None:
            out[self.AS_OF.name] = sample_line(self.AS_OF.name, labels, snap.meta.as_of.timestamp())
        if snap.meta.end_date is not None:
            out[self.END.name] = sample_line(self.END.name, labels, day_start(snap.meta.end_date))
        return out

    def static(self, datasets: Iterable[str]) -> Fragment:
        info = "".join(
            sample_line(
                self.INFO.name,
                label_string(
                    self.INFO.labels, [d, tx.DATASET_SOURCES.get(d, "openrouter.ai"), tx.LICENSE]
                ),
                1,
            )
            for d in sorted(set(datasets))
        )
        views = "".join(
            sample_line(
                self.APP_VIEW.name,
                label_string(
                    self.APP_VIEW.labels,
                    [v.name, v.window, v.sort, v.category_label, v.subcategory_label],
                ),
                1,
            )
            for v in self.app_views
        )
        return {self.INFO.name: info, self.APP_VIEW.name: views}
