"""The rankings-daily request: one query, up to 366 days, no paging."""

from __future__ import annotations

from datetime import date
from typing import Any

from exporter.client import Client
from exporter.datasets.models.config import ModelView
from exporter.datasets.models.rows import ModelDayRow, parse_rows
from exporter.snapshot import Meta

ENDPOINT = "rankings-daily"


def rankings_daily(
    client: Client, view: ModelView, start: date | None = None, end: date | None = None
) -> tuple[list[ModelDayRow], Meta]:
    params: dict[str, Any] = dict(view.params())
    if params.get("period") == "day":
        del params["period"]  # the default; keeps the request identical to the docs' form
    if start:
        params["start_date"] = start.isoformat()
    if end:
        params["end_date"] = end.isoformat()
    page = client.page(ENDPOINT, params, parse_rows)
    return page.rows, page.meta
