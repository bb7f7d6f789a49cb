"""A session-cost row (one harness × model × turn range cell), and its parser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.responses import number, rows_from, string


@dataclass(frozen=True, slots=True)
class SessionCostRow:
    app_name: str
    app_slug: str
    model: str
    turn_range: str
    median_cost_usd: float


# Our field ← (the API's field, its reader).
FIELDS = {
    "app_name": ("app_name", string),
    "app_slug": ("app_slug", string),
    "model": ("model_permaslug", string),
    "turn_range": ("turn_range", string),
    "median_cost_usd": ("median_session_cost_usd", number),
}


def parse_rows(body: Any) -> list[SessionCostRow]:
    return rows_from(body, SessionCostRow, FIELDS)
