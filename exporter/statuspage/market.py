"""The market at a glance, from the snapshots the exporter already holds: top models by
share, top apps of a popular view, and the watchlist's current ranks.

The figures come from the collector's own helpers (``model_period`` for a model view's
period, ``unique_apps`` for an app view's rows) and its rank order (``other`` has no
rank), so a figure on the page is the figure on ``/metrics``. What moved since earlier
days comes from the earlier days the same model snapshot holds (``moves``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from exporter.config import AppView, Config, ModelView
from exporter.datasets.apps import AppRankings, AppRow, unique_apps
from exporter.datasets.models import ModelPeriod, ModelRankings, model_period
from exporter.snapshot import Snapshot
from exporter.statuspage.moves import NOT_HELD_APPS, Compare, Move, Point, model_moves
from exporter.viewstatus import Key
from exporter.watchlist import watched_models_in

TOP_N = 10


@dataclass(frozen=True)
class Bar:
    rank: int
    name: str
    value: float  # exact, as on /metrics: a share 0–1 (models) or tokens (apps)
    fraction: float  # bar length relative to the first bar, 0–1
    tokens: int
    requests: int | None = None  # apps only
    moves: tuple[Move | None, ...] = ()  # one per the chart's ``compares``; None: not held
    trend: tuple[Point, ...] = ()  # share per period, oldest first (models only)


@dataclass(frozen=True)
class Chart:
    title: str
    subtitle: str
    unit: str  # "share" or "tokens": how the renderer formats ``value``
    bars: tuple[Bar, ...]
    as_of: datetime | None
    source: str  # openrouter.ai/…
    empty: str = ""  # why there are no bars
    compares: tuple[Compare, ...] = ()  # the earlier rankings each bar's moves are against
    trend_label: str = ""  # what the sparklines span ("7 days"); empty: none drawn
    period: str = "day"  # of one ranking compared: "day", "week", "month"


@dataclass(frozen=True)
class WatchRow:
    ident: str
    name: str
    ranks: tuple[int | None, ...]  # per column; None: not in that ranking


@dataclass(frozen=True)
class WatchTable:
    title: str
    columns: tuple[str, ...]
    depths: tuple[int, ...]  # how deep each column's ranking goes
    rows: tuple[WatchRow, ...]
    as_of: datetime | None
    source: str


@dataclass(frozen=True)
class Market:
    models: Chart
    apps: Chart
    watch: tuple[WatchTable, ...]  # empty when nothing is watched


def _plain(v: ModelView) -> bool:
    return not any((v.modality, v.context_bucket, v.category, v.language_type))


def _period_label(period: str, start: date) -> str:
    if period == "week":
        return f"week of {start.isoformat()}"
    if period == "month":
        return start.strftime("%B %Y")
    return start.isoformat()


def _model_ranks(period: ModelPeriod) -> list[tuple[int, str, int]]:
    """(rank, model, tokens) as the collector numbers them: ``other`` has no rank."""
    ranked = [(m, t) for m, t in period.rows if m != "other"]
    return [(i, m, t) for i, (m, t) in enumerate(ranked, 1)]


def _model_bars(snap: Snapshot, view: ModelView, period: ModelPeriod) -> Chart:
    top = _model_ranks(period)[:TOP_N]
    moved = model_moves(snap.rows, view.period, period, snap.meta.end_date, [m for _, m, _ in top])
    first = top[0][2] if top else 1
    bars = tuple(
        Bar(
            rank,
            model,
            tokens / period.total,
            tokens / first if first else 0.0,
            tokens,
            moves=moved.moves[model],
            trend=moved.trends[model],
        )
        for rank, model, tokens in top
    )
    return Chart(
        "Top models by share of tokens",
        f"{_period_label(view.period, period.period_start)} · view {view.name}",
        "share",
        bars,
        snap.meta.as_of,
        ModelRankings.source,
        compares=moved.compares,
        trend_label=moved.trend_label,
        period=view.period,
    )


def _model_chart(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Chart:
    # The latest day of a plain view first; else the finest period any model view has.
    views = [v for v in cfg.model_views if (ModelRankings.name, v.name) in snaps]
    order = {"day": 0, "week": 1, "month": 2}
    views.sort(key=lambda v: (order.get(v.period, 3), not _plain(v)))
    for view in views:
        snap = snaps[(ModelRankings.name, view.name)]
        period = model_period(snap, view.period)
        if period is not None and period.total > 0:
            return _model_bars(snap, view, period)
    return Chart(
        "Top models by share of tokens",
        "",
        "share",
        (),
        None,
        ModelRankings.source,
        "No model rankings yet." if cfg.model_views else "No model view is configured.",
    )


def _app_rows(snap: Snapshot) -> list[AppRow]:
    return sorted(unique_apps(snap), key=lambda r: r.rank)


def _popularity(v: AppView) -> tuple[bool, bool, int]:
    """The most popular-looking view first: all apps, sorted by tokens, shortest window."""
    return (v.filter != "all", v.sort != "popular", v.window_days)


def _app_chart(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Chart:
    views = sorted(
        (v for v in cfg.app_views if (AppRankings.name, v.name) in snaps), key=_popularity
    )
    source = AppRankings.source
    if not views:
        why = "No app rankings yet." if cfg.app_views else "No app view is configured."
        return Chart("Top apps by tokens", "", "tokens", (), None, source, why)
    view = views[0]
    snap = snaps[(AppRankings.name, view.name)]
    top = _app_rows(snap)[:TOP_N]
    first = max((r.total_tokens for r in top), default=0)
    bars = tuple(
        Bar(
            r.rank,
            r.app_name,
            float(r.total_tokens),
            r.total_tokens / first if first else 0.0,
            r.total_tokens,
            r.total_requests,
            moves=(None,),
        )
        for r in top
    )
    end = snap.meta.end_date.isoformat() if snap.meta.end_date else "?"
    window = end if view.window_days == 1 else f"{view.window_days} days to {end}"
    return Chart(
        "Top apps by tokens",
        f"{window} · view {view.name}",
        "tokens",
        bars,
        snap.meta.as_of,
        source,
        "" if bars else "This ranking is empty.",
        compares=(Compare("Δ day", None, 0, NOT_HELD_APPS),),
    )


def _oldest(snaps: list[Snapshot]) -> datetime | None:
    stamps = [s.meta.as_of for s in snaps if s.meta.as_of is not None]
    return min(stamps) if stamps else None


def _watched_apps(cfg: Config, snaps: Mapping[Key, Snapshot]) -> WatchTable | None:
    if not cfg.watch.apps:
        return None
    views = sorted(
        (
            v
            for v in cfg.app_views
            if v.filter == "all" and v.sort == "popular" and (AppRankings.name, v.name) in snaps
        ),
        key=lambda v: v.window_days,
    )
    held = [snaps[(AppRankings.name, v.name)] for v in views]
    ranks = [{r.app_id: r for r in _app_rows(s)} for s in held]
    names: dict[int, str] = {}
    for snap in snaps.values():  # a name from any view, if the app is ranked anywhere
        if snap.dataset == AppRankings.name:
            for r in snap.rows:
                names.setdefault(r.app_id, r.app_name)
    rows = tuple(
        WatchRow(
            str(app_id),
            names.get(app_id, f"app {app_id}"),
            tuple(r[app_id].rank if app_id in r else None for r in ranks),
        )
        for app_id in cfg.watch.apps
    )
    return WatchTable(
        "Watched apps: rank among all apps, by tokens",
        tuple(v.window for v in views),
        tuple(v.depth for v in views),
        rows,
        _oldest(held),
        AppRankings.source,
    )


def _watched_models(cfg: Config, snaps: Mapping[Key, Snapshot]) -> WatchTable | None:
    if not cfg.watch.models:
        return None
    views = [v for v in cfg.model_views if _plain(v) and (ModelRankings.name, v.name) in snaps]
    held, ranks, depths = [], [], []
    for v in views:
        snap = snaps[(ModelRankings.name, v.name)]
        period = model_period(snap, v.period)
        ranked = _model_ranks(period) if period else []
        held.append(snap)
        ranks.append({m: rank for rank, m, _ in ranked})
        depths.append(len(ranked))
    found = [watched_models_in(cfg.watch.models, r) for r in ranks]
    rows = tuple(WatchRow(m, m, tuple(f[m] for f in found)) for m in cfg.watch.models)
    return WatchTable(
        "Watched models: rank by tokens",
        tuple(v.name for v in views),
        tuple(depths),
        rows,
        _oldest(held),
        ModelRankings.source,
    )


def market(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Market:
    watch = (_watched_apps(cfg, snaps), _watched_models(cfg, snaps))
    return Market(_model_chart(cfg, snaps), _app_chart(cfg, snaps), tuple(w for w in watch if w))
