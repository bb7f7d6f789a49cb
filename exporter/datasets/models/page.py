"""The model rankings on the status page: top models by share, with their moves and
trends, and the watched models' ranks. The figures are the collector's (``model_period``
and its rank order: ``other`` has no rank), so a figure on the page is the one on /metrics."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from exporter.config import Config
from exporter.datasets.models.config import ModelView, model_views, watched_models
from exporter.datasets.models.metrics import ModelPeriod, model_period
from exporter.datasets.models.moves import model_moves
from exporter.datasets.models.requests import ENDPOINT as NAME
from exporter.datasets.models.watch import watched_models_in
from exporter.datasets.page import TOP_N, Bar, Chart, PageSection, WatchRow, WatchTable, oldest
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

SOURCE = "openrouter.ai/rankings"


def section(cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection:
    return PageSection("models", _model_chart(cfg, snaps), _watched_models(cfg, snaps))


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
        SOURCE,
        compares=moved.compares,
        trend_label=moved.trend_label,
        period=view.period,
    )


def _model_chart(cfg: Config, snaps: Mapping[Key, Snapshot]) -> Chart:
    # The latest day of a plain view first; else the finest period any model view has.
    views = [v for v in model_views(cfg) if (NAME, v.name) in snaps]
    order = {"day": 0, "week": 1, "month": 2}
    views.sort(key=lambda v: (order.get(v.period, 3), not _plain(v)))
    for view in views:
        snap = snaps[(NAME, view.name)]
        period = model_period(snap, view.period)
        if period is not None and period.total > 0:
            return _model_bars(snap, view, period)
    return Chart(
        "Top models by share of tokens",
        "",
        "share",
        (),
        None,
        SOURCE,
        "No model rankings yet." if model_views(cfg) else "No model view is configured.",
    )


def _watched_models(cfg: Config, snaps: Mapping[Key, Snapshot]) -> WatchTable | None:
    if not watched_models(cfg):
        return None
    views = [v for v in model_views(cfg) if _plain(v) and (NAME, v.name) in snaps]
    held, ranks, depths = [], [], []
    for v in views:
        snap = snaps[(NAME, v.name)]
        period = model_period(snap, v.period)
        ranked = _model_ranks(period) if period else []
        held.append(snap)
        ranks.append({m: rank for rank, m, _ in ranked})
        depths.append(len(ranked))
    found = [watched_models_in(watched_models(cfg), r) for r in ranks]
    rows = tuple(WatchRow(m, m, tuple(f[m] for f in found)) for m in watched_models(cfg))
    return WatchTable(
        "Watched models: rank by tokens",
        tuple(v.name for v in views),
        tuple(depths),
        rows,
        oldest(held),
        SOURCE,
    )
