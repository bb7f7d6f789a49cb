"""The simulator's answers on the wire: JSON bodies as the live API sends them, the canned
answers of a proxy or limiter in front of it, and the damage done to an answer in transit
(malformed, truncated, a field missing, a connection dropped mid-body)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from typing import Any

import httpx

from exporter.simulator.faults import Fault

_HTML_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def json_bytes(payload: Any) -> bytes:
    # Compact and raw UTF-8, as the live API (JSON.stringify) sends it.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def error_body(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "metadata": None}}


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"content-type": "application/json", **(headers or {})},
        content=json_bytes(payload),
    )


def error_response(
    code: int, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return json_response(code, error_body(code, message), headers)


class IncompleteBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops early, the way a dropped connection looks to httpx."""

    def __init__(self, prefix: bytes, declared: int) -> None:
        self.prefix = prefix
        self.declared = declared

    def _error(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body "
            f"(received {len(self.prefix)} bytes, expected {self.declared})"
        )

    def __iter__(self) -> Iterator[bytes]:
        yield self.prefix
        raise self._error()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.prefix
        raise self._error()


def fault_response(fault: Fault) -> httpx.Response:
    """What a proxy or an upstream limiter answers instead of the API."""
    if fault.kind == "rate_limited":
        headers = {} if fault.retry_after is None else {"retry-after": fault.retry_after}
        return error_response(429, fault.message or "Rate limit exceeded", headers)
    status = fault.status or (502 if fault.kind == "html" else 500)
    phrase = _phrase(status)
    if fault.kind == "html":
        page = _HTML_PAGE.format(code=status, phrase=phrase)
        return httpx.Response(
            status, headers={"content-type": "text/html; charset=utf-8"}, content=page.encode()
        )
    return error_response(status, fault.message or phrase)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def mangle(response: httpx.Response, fault: Fault) -> httpx.Response:
    """The API's answer, damaged on its way to the client."""
    body = response.content
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    if fault.kind == "malformed_json":
        # Complete but invalid: a trailing comma before the closing brace.
        return httpx.Response(response.status_code, headers=headers, content=body[:-1] + b",}")
    if fault.kind == "truncated":
        prefix = body[: len(body) // 2]
        if not fault.incomplete:
            return httpx.Response(response.status_code, headers=headers, content=prefix)
        headers["content-length"] = str(len(body))
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=IncompleteBody(prefix, len(body)),
            extensions={"simulator_incomplete_body": (prefix, len(body))},
        )
    payload = json.loads(body)
    _remove_field(payload, fault.field, fault.first_row_only)
    return httpx.Response(response.status_code, headers=headers, content=json_bytes(payload))


def _remove_field(payload: Any, field: str, first_row_only: bool) -> None:
    if not isinstance(payload, dict):
        return
    payload.pop(field, None)
    for value in payload.values():
        if isinstance(value, dict):
            value.pop(field, None)
    rows = payload.get("data")
    if isinstance(rows, list):
        for row in rows[:1] if first_row_only else rows:
            if isinstance(row, dict):
                row.pop(field, None)
