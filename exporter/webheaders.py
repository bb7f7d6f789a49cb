"""``http_server_config.headers`` of ``--web.config.file``: the response headers an operator
may add, checked as exporter-toolkit checks them (exporter.webconfig reads the rest)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter.schema import INVALID, Kind, Loc, Problems, did_you_mean, type_name

# exporter-toolkit's fixed set (web/handler.go, extraHTTPHeaders): only these may be
# configured, so every exporter of the ecosystem accepts the same files; a tuple lists the
# only values accepted, None takes any text. Names are matched exactly, as there.
EXTRA_HEADERS: dict[str, tuple[str, ...] | None] = {
    "Strict-Transport-Security": None,
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": None,
    "Content-Security-Policy": None,
}
# A header value is one line of visible text: a CR or LF would start a header of its own.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


@dataclass(frozen=True)
class Headers(Kind):
    """``http_server_config.headers``: header name → value, for every response. A blank
    value means the header is not sent (exporter-toolkit's documentation: "Unset if
    blank"); a number is text, as Go's YAML reads ``X-XSS-Protection: 1``."""

    def read(self, value: Any, loc: Loc, problems: Problems) -> Any:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            problems.error(
                loc, f"expected a mapping of header names to values, got {type_name(value)}"
            )
            return INVALID
        headers: list[tuple[str, str]] = []
        ok = True
        for name, raw in value.items():
            here = (*loc, str(name))
            if name not in EXTRA_HEADERS:
                problems.error(
                    here,
                    "this HTTP header cannot be configured (as in exporter-toolkit); one of "
                    + ", ".join(EXTRA_HEADERS)
                    + did_you_mean(name, EXTRA_HEADERS),
                )
                ok = False
                continue
            if raw is None:
                continue
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                problems.error(here, f"expected text, got {type_name(raw)}")
                ok = False
                continue
            text = str(raw).strip()
            allowed = EXTRA_HEADERS[name]
            if not text:
                continue
            if allowed is not None and text not in allowed:
                problems.error(here, f"{text!r} is not one of {', '.join(allowed)}")
                ok = False
            elif not _HEADER_VALUE.fullmatch(text):
                problems.error(
                    here, "a header value must be one line of Latin-1 text, no control characters"
                )
                ok = False
            else:
                headers.append((name, text))
        return tuple(headers) if ok else INVALID
