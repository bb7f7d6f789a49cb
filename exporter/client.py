"""Thin Data API client: URLs, headers, auth, timeouts, typed rows or a typed error.

No retries here: the scheduler owns the budget, so it owns retry policy too. Every request
is sent inside ``spend(endpoint)`` (``Budget.spend``), which records it in the request log
*before* it is sent (a crash after sending must still count) or refuses it, and moves the
entry to the finishing time when the request is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from exporter import __version__
from exporter.config import AppView, Config, ModelView
from exporter.responses import (
    ApiError,
    BadRequest,
    HttpError,
    MalformedResponse,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedContentType,
    parse_app_rows,
    parse_meta,
    parse_model_rows,
    parse_session_rows,
    read_body,
)
from exporter.snapshot import AppRow, Meta, ModelDayRow, SessionCostRow

# The errors are part of the client's interface: callers catch them from here.
__all__ = [
    "ApiError",
    "BadRequest",
    "Client",
    "HttpError",
    "MalformedResponse",
    "Page",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "UnexpectedContentType",
]

APP_PAGE = 100  # the API's largest limit
APP_MAX_OFFSET = 100
SESSION_PAGE = 500
SESSION_MAX_OFFSET = 5000

Spend = Callable[[str], AbstractContextManager[object]]  # Budget.spend: around one request
Observer = Callable[[str, str, float], None]  # endpoint, code, seconds


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    meta: Meta


class Client:
    def __init__(
        self,
        cfg: Config,
        api_key: str | None,
        *,
        spend: Spend | None = None,
        observe: Observer | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        o = cfg.openrouter
        headers = {"User-Agent": f"openrouter-exporter/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if o.http_referer:
            headers["HTTP-Referer"] = o.http_referer
        if o.title:
            headers["X-OpenRouter-Title"] = o.title
        if o.categories:
            headers["X-OpenRouter-Categories"] = ",".join(o.categories)
        self._http = httpx.Client(
            base_url=o.base_url + "/",
            headers=headers,
            timeout=o.timeout,
            transport=transport,
            follow_redirects=False,
        )
        self._secret = api_key
        self._spend = spend or (lambda endpoint: nullcontext())
        self._observe = observe or (lambda endpoint, code, seconds: None)
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    def get(self, endpoint: str, params: dict[str, Any]) -> Any:
        """One request → parsed JSON body, or a typed ApiError. Spends budget first: a
        refused request (BudgetExhausted) is neither sent nor observed."""
        with self._spend(endpoint):
            started = time.perf_counter()
            code = "error"
            try:
                response = self._send(endpoint, params)
                code = str(response.status_code)
            finally:
                self._observe(endpoint, code, time.perf_counter() - started)
        return read_body(endpoint, response, self._secret, self._clock())

    def _send(self, endpoint: str, params: dict[str, Any]) -> httpx.Response:
        try:
            return self._http.get(f"datasets/{endpoint}", params=params)
        except httpx.TimeoutException as e:
            raise TransportError(f"timed out ({type(e).__name__})", endpoint=endpoint) from None
        except httpx.HTTPError as e:
            text = f"{type(e).__name__}: {e}"
            if self._secret:
                text = text.replace(self._secret, "[REDACTED]")
            raise TransportError(text, endpoint=endpoint) from None

    def _parsed(
        self, endpoint: str, params: dict[str, Any], parse: Callable[[Any], list[Any]]
    ) -> Page:
        body = self.get(endpoint, params)
        try:
            return Page(parse(body), parse_meta(body))
        except MalformedResponse as e:
            e.endpoint = endpoint
            raise

    # --- endpoints -----------------------------------------------------------------

    def app_rankings_pages(self, view: AppView, end: date) -> Iterator[Page]:
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
            page = self._parsed(
                "app-rankings", {**base, "limit": limit, "offset": offset}, parse_app_rows
            )
            yield page
            if len(page.rows) < limit:
                return
            offset += limit

    def app_rankings(self, view: AppView, end: date) -> tuple[list[AppRow], Meta, int]:
        rows: list[AppRow] = []
        meta = Meta()
        pages = 0
        for page in self.app_rankings_pages(view, end):
            rows.extend(page.rows)
            meta = page.meta
            pages += 1
        return rows, meta, pages

    def rankings_daily(
        self, view: ModelView, start: date | None = None, end: date | None = None
    ) -> tuple[list[ModelDayRow], Meta]:
        params: dict[str, Any] = dict(view.params())
        if params.get("period") == "day":
            del params["period"]  # the default; keeps the request identical to the docs' form
        if start:
            params["start_date"] = start.isoformat()
        if end:
            params["end_date"] = end.isoformat()
        page = self._parsed("rankings-daily", params, parse_model_rows)
        return page.rows, page.meta

    def session_cost(self) -> tuple[list[SessionCostRow], Meta, int]:
        rows: list[SessionCostRow] = []
        meta = Meta()
        offset = pages = 0
        while offset <= SESSION_MAX_OFFSET:
            page = self._parsed(
                "session-cost", {"limit": SESSION_PAGE, "offset": offset}, parse_session_rows
            )
            pages += 1
            rows.extend(page.rows)
            meta = page.meta
            if len(page.rows) < SESSION_PAGE:
                break
            offset += SESSION_PAGE
        return rows, meta, pages
