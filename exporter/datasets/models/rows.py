"""A rankings-daily row (one model on one day), and the parser from a body to rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from exporter.responses import data_of, day, field, integer, string


@dataclass(frozen=True, slots=True)
class ModelDayRow:
    date: date
    model: str  # permaslug, or "other"
    total_tokens: int


def parse_rows(body: Any) -> list[ModelDayRow]:
    rows = []
    for i, r in enumerate(data_of(body)):
        w = f"data[{i}]"
        rows.append(
            ModelDayRow(
                date=day(field(r, "date", w), f"{w}.date"),
                model=string(field(r, "model_permaslug", w), f"{w}.model_permaslug"),
                total_tokens=integer(field(r, "total_tokens", w), f"{w}.total_tokens"),
            )
        )
    return rows
