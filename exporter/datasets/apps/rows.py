"""An app-rankings row, and the parser from a response body to rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.responses import integer, rows_from, string


@dataclass(frozen=True, slots=True)
class AppRow:
    app_id: int
    app_name: str
    rank: int
    total_requests: int
    total_tokens: int


# Our field ← (the API's field, its reader).
FIELDS = {
    "app_id": ("app_id", integer),
    "app_name": ("app_name", string),
    "rank": ("rank", integer),
    "total_requests": ("total_requests", integer),
    "total_tokens": ("total_tokens", integer),
}


def parse_rows(body: Any) -> list[AppRow]:
    return rows_from(body, AppRow, FIELDS)
