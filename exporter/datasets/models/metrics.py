"""The rankings-daily families: each view shows its latest complete day, week or month."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from exporter.config import Config
from exporter.datasets.models.config import ModelView, model_views
from exporter.datasets.models.rows import ModelDayRow
from exporter.metrictext import CACHED, Family, Fragment, label_string, sample_line
from exporter.periods import complete_buckets
from exporter.snapshot import Snapshot


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


class ModelRankingsCollector:
    """Daily model rankings: each view shows its latest complete day, week or month.

    Emits, for example::

        openrouter_model_rank{view="daily",model="openai/gpt-4o",author="openai",variant=""} 1.0
        openrouter_model_tokens{view="daily",model="other",author="other",variant=""} 5e+08
        openrouter_model_share{view="daily",model="openai/gpt-4o",author="openai",variant=""} 0.4
    """

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
    info_families = ()

    def __init__(self, cfg: Config) -> None:
        self.views: dict[str, ModelView] = {v.name: v for v in model_views(cfg)}

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

    def info(self) -> Fragment:
        return {}
