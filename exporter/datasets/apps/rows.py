"""An app-rankings row, and the parser from a response body to rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.responses import data_of, field, integer, string


@dataclass(frozen=True, slots=True)
class AppRow:
    app_id: int
    app_name: str
    rank: int
    total_requests: int
    total_tokens: int


def parse_rows(body: Any) -> list[AppRow]:
    rows = []
    for i, r in enumerate(data_of(body)):
        w = f"data[{i}]"
        rows.append(
            AppRow(
                app_id=integer(field(r, "app_id", w), f"{w}.app_id"),
                app_name=string(field(r, "app_name", w), f"{w}.app_name"),
                rank=integer(field(r, "rank", w), f"{w}.rank"),
                total_requests=integer(field(r, "total_requests", w), f"{w}.total_requests"),
                total_tokens=integer(field(r, "total_tokens", w), f"{w}.total_tokens"),
            )
        )
    return rows
