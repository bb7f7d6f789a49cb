"""The app-rankings requests: one window × sort × filter, paged to the view's depth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from exporter.client import Client, Page
from exporter.datasets.apps.config import AppView
from exporter.datasets.apps.rows import AppRow, parse_rows
from exporter.snapshot import Meta

ENDPOINT = "app-rankings"
APP_PAGE = 100  # the API's largest limit
APP_MAX_OFFSET = 100


def app_rankings_pages(client: Client, view: AppView, end: date) -> Iterator[Page]:
    """Pages of one app view, window ending at ``end``; stops at depth or a short page."""
    base: dict[str, Any] = {
        "sort": view.sort,
        "start_date": (end - timedelta(days=view.window_days - 1)).isoformat(),
        "end_date": end.isoformat(),
    }
    if view.category_param:
        base["category"] = view.category_param
    if view.subcategory_param:
        base["subcategory"] = view.subcategory_param
    offset = 0
    while offset < view.depth and offset <= APP_MAX_OFFSET:
        limit = min(APP_PAGE, view.depth - offset)
        page = client.page(ENDPOINT, {**base, "limit": limit, "offset": offset}, parse_rows)
        yield page
        if len(page.rows) < limit:
            return
        offset += limit


def app_rankings(client: Client, view: AppView, end: date) -> tuple[list[AppRow], Meta, int]:
    rows: list[AppRow] = []
    meta = Meta()
    pages = 0
    for page in app_rankings_pages(client, view, end):
        rows.extend(page.rows)
        meta = page.meta
        pages += 1
    return rows, meta, pages
