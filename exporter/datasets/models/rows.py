"""A rankings-daily row (one model on one day), and the parser from a body to rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from exporter.responses import day, integer, rows_from, string


@dataclass(frozen=True, slots=True)
class ModelDayRow:
    date: date
    model: str  # permaslug, or "other"
    total_tokens: int


# Our field ← (the API's field, its reader).
FIELDS = {
    "date": ("date", day),
    "model": ("model_permaslug", string),
    "total_tokens": ("total_tokens", integer),
}


def parse_rows(body: Any) -> list[ModelDayRow]:
    return rows_from(body, ModelDayRow, FIELDS)
