"""Typed rows and the immutable result of one view refresh.

Snapshots are what collectors read and what the store persists; they never touch the
network. ``to_json``/``from_json`` round-trip them through the on-disk state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AppRow:
    app_id: int
    app_name: str
    rank: int
    total_requests: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class ModelDayRow:
    date: date
    model: str  # permaslug, or "other"
    total_tokens: int


@dataclass(frozen=True, slots=True)
class SessionCostRow:
    app_name: str
    app_slug: str
    model: str
    turn_range: str
    median_cost_usd: float


@dataclass(frozen=True, slots=True)
class Meta:
    as_of: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    window_days: int | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    dataset: str
    view: str
    rows: tuple[Any, ...]
    meta: Meta
    fetched_at: float  # unix seconds when the refresh finished

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, self.view)

    def to_json(self) -> dict[str, Any]:
        def enc(v: Any) -> Any:
            if isinstance(v, datetime | date):
                return v.isoformat()
            return v

        return {
            "dataset": self.dataset,
            "view": self.view,
            "fetched_at": self.fetched_at,
            "meta": {k: enc(getattr(self.meta, k)) for k in self.meta.__slots__},
            # Not dataclasses.asdict: it deep-copies every value, 10x slower on big views.
            "rows": [{k: enc(getattr(r, k)) for k in r.__slots__} for r in self.rows],
            "row_type": type(self.rows[0]).__name__ if self.rows else None,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Snapshot:
        m = d["meta"]
        meta = Meta(
            as_of=datetime.fromisoformat(m["as_of"]) if m.get("as_of") else None,
            start_date=date.fromisoformat(m["start_date"]) if m.get("start_date") else None,
            end_date=date.fromisoformat(m["end_date"]) if m.get("end_date") else None,
            window_days=m.get("window_days"),
            version=m.get("version"),
        )
        row_type = {t.__name__: t for t in (AppRow, ModelDayRow, SessionCostRow)}.get(
            d.get("row_type") or ""
        )
        rows: list[Any] = []
        for r in d["rows"]:
            if row_type is ModelDayRow:
                r = {**r, "date": date.fromisoformat(r["date"])}
            rows.append(row_type(**r))  # type: ignore[misc]
        return cls(
            dataset=d["dataset"],
            view=d["view"],
            rows=tuple(rows),
            meta=meta,
            fetched_at=float(d["fetched_at"]),
        )
