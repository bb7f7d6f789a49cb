"""A session-cost row (one harness × model × turn range cell), and its parser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.responses import data_of, field, number, string


@dataclass(frozen=True, slots=True)
class SessionCostRow:
    app_name: str
    app_slug: str
    model: str
    turn_range: str
    median_cost_usd: float


def parse_rows(body: Any) -> list[SessionCostRow]:
    rows = []
    for i, r in enumerate(data_of(body)):
        w = f"data[{i}]"
        rows.append(
            SessionCostRow(
                app_name=string(field(r, "app_name", w), f"{w}.app_name"),
                app_slug=string(field(r, "app_slug", w), f"{w}.app_slug"),
                model=string(field(r, "model_permaslug", w), f"{w}.model_permaslug"),
                turn_range=string(field(r, "turn_range", w), f"{w}.turn_range"),
                median_cost_usd=number(
                    field(r, "median_session_cost_usd", w), f"{w}.median_session_cost_usd"
                ),
            )
        )
    return rows
