"""The session-cost requests: the current snapshot, paged by 500 cells."""

from __future__ import annotations

from exporter.client import Client
from exporter.datasets.session_cost.rows import SessionCostRow, parse_rows
from exporter.snapshot import Meta

ENDPOINT = "session-cost"
VIEW = "default"  # its one view: the current snapshot
SESSION_PAGE = 500
SESSION_MAX_OFFSET = 5000


def session_cost(client: Client) -> tuple[list[SessionCostRow], Meta, int]:
    rows: list[SessionCostRow] = []
    meta = Meta()
    offset = pages = 0
    while offset <= SESSION_MAX_OFFSET:
        page = client.page(ENDPOINT, {"limit": SESSION_PAGE, "offset": offset}, parse_rows)
        pages += 1
        rows.extend(page.rows)
        meta = page.meta
        if len(page.rows) < SESSION_PAGE:
            break
        offset += SESSION_PAGE
    return rows, meta, pages
