"""The immutable result of one view refresh: its dataset's typed rows, the response's meta.

Snapshots are what collectors read and what the store persists; they never touch the
network. ``to_json``/``from_json`` round-trip them through the on-disk state; each dataset
declares its one row type (``exporter.datasets``), and a file that says otherwise is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from exporter.viewstatus import Key


@dataclass(frozen=True, slots=True)
class Meta:
    """What is read of a response's ``meta``. Files written by earlier versions also hold
    ``start_date``, ``window_days`` and ``version``, which nothing read: ignored at load."""

    as_of: datetime | None = None
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    dataset: str
    view: str
    rows: tuple[Any, ...]
    meta: Meta
    fetched_at: float  # unix seconds when the refresh finished

    @property
    def key(self) -> Key:
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
    def from_json(cls, d: dict[str, Any], row_types: Mapping[str, type]) -> Snapshot:
        """``row_types``: the one row type each dataset holds."""
        m = d["meta"]
        meta = Meta(
            as_of=datetime.fromisoformat(m["as_of"]) if m.get("as_of") else None,
            end_date=date.fromisoformat(m["end_date"]) if m.get("end_date") else None,
        )
        row_type = row_types.get(d["dataset"])
        if row_type is None:
            raise ValueError(f"unknown dataset {d['dataset']!r}")
        if d["rows"] and d.get("row_type") != row_type.__name__:
            raise ValueError(
                f"{d['dataset']} holds {row_type.__name__} rows, not {d.get('row_type')!r}"
            )
        return cls(
            dataset=d["dataset"],
            view=d["view"],
            rows=tuple(_decode_row(row_type, r, i) for i, r in enumerate(d["rows"])),
            meta=meta,
            fetched_at=float(d["fetched_at"]),
        )


def _decode_row(row_type: Any, r: Any, i: int) -> Any:
    """One stored row, its field types checked: a file edited by hand or written by
    another version fails here, at load (and is moved aside), not at the first scrape."""
    if not isinstance(r, dict):
        raise ValueError(f"rows[{i}]: expected an object")
    names = [f.name for f in fields(row_type)]
    if sorted(r) != sorted(names):
        raise ValueError(f"rows[{i}]: fields {sorted(r)}, expected {sorted(names)}")
    values = {}
    for f in fields(row_type):
        v = r[f.name]
        if f.type == "date" and isinstance(v, str):
            v = date.fromisoformat(v)
        elif f.type == "float" and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        ok = {"int": int, "str": str, "float": float, "date": date}[str(f.type)]
        if not isinstance(v, ok) or isinstance(v, bool):
            raise ValueError(f"rows[{i}].{f.name}: expected {f.type}, got {type(v).__name__}")
        values[f.name] = v
    return row_type(**values)
