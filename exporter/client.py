"""Thin Data API client: URLs, headers, auth, timeouts, typed rows or a typed error.

What each dataset asks for, and its paging, is the dataset's (``exporter/datasets/*/requests.py``).

No retries here: the scheduler owns the budget, so it owns retry policy too. Every request
is sent inside ``spend(endpoint)`` (``Budget.spend``), which records it in the request log
*before* it is sent (a crash after sending must still count) or refuses it, and moves the
entry to the finishing time when the request is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import httpx

from exporter import __version__
from exporter.config import Config
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
    parse_meta,
    read_body,
)
from exporter.snapshot import Meta

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

    def get(self, endpoint: str, params: dict[str, Any], *, path: str | None = None) -> Any:
        """One request → parsed JSON body, or a typed ApiError. Spends budget first: a
        refused request (BudgetExhausted) is neither sent nor observed. ``path``: the URL
        under the API base when it is not ``datasets/<endpoint>`` (/classifications/task)."""
        with self._spend(endpoint):
            started = time.perf_counter()
            code = "error"
            try:
                response = self._send(endpoint, params, path or f"datasets/{endpoint}")
                code = str(response.status_code)
            finally:
                self._observe(endpoint, code, time.perf_counter() - started)
        return read_body(endpoint, response, self._secret, self._clock())

    def _send(self, endpoint: str, params: dict[str, Any], path: str) -> httpx.Response:
        try:
            return self._http.get(path, params=params)
        except httpx.TimeoutException as e:
            raise TransportError(f"timed out ({type(e).__name__})", endpoint=endpoint) from None
        except httpx.HTTPError as e:
            text = f"{type(e).__name__}: {e}"
            if self._secret:
                text = text.replace(self._secret, "[REDACTED]")
            raise TransportError(text, endpoint=endpoint) from None

    def page(
        self, endpoint: str, params: dict[str, Any], parse: Callable[[Any], list[Any]]
    ) -> Page:
        """One request → a page of rows (``parse``: the dataset's parser) and its meta."""
        body = self.get(endpoint, params)
        try:
            return Page(parse(body), parse_meta(body))
        except MalformedResponse as e:
            e.endpoint = endpoint
            raise
