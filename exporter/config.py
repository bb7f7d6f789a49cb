"""YAML → validated, immutable config, each setting declared once (see ``schema``): the
``Config`` type and the sections every exporter has (``openrouter``, ``budget``,
``state_dir``, ``web``). Each dataset declares its own section in its package, and
``exporter.configfile`` assembles the whole file from both, so this module names no dataset.

Every problem in a file is reported at once, each naming its key path and what is wrong
(``apps.windows[2]: '45x' is not a window like 7d``), so a user can fix the file without
reading code. The API key is never part of the YAML: it comes from ``OPENROUTER_API_KEY``
or ``openrouter.api_key_file``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from exporter.durations import Duration, parse_duration
from exporter.schema import (
    ConfigError,
    Custom,
    Int,
    Invalid,
    Report,
    Text,
    section,
    setting,
)

__all__ = [
    "MAX_WINDOW_DAYS",
    "Config",
    "ConfigError",
    "check_listen",
    "load_api_key",
    "parse_duration",
    "parse_listen",
]

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_LISTEN = ":10110"
API_PER_MINUTE, API_PER_DAY = 30, 500  # OpenRouter's documented limits: per key, per account
MAX_WINDOW_DAYS = 366  # the API's cap on one date window
LITERAL_KEY = (
    "a literal key in the config file is refused; set OPENROUTER_API_KEY or openrouter.api_key_file"
)
S = TypeVar("S")

# --- what a value may be ---------------------------------------------------------------


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise Invalid(f"{value!r} must be a fraction from 0 up to (not including) 1")
    return float(value)


def _categories(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(c.strip() for c in value.split(",") if c.strip())
    if isinstance(value, list | tuple) and all(isinstance(c, str) for c in value):
        return tuple(value)
    raise Invalid("expected a list of subcategory names")


def _base_url(value: str) -> str:
    value = value.rstrip("/")
    if not re.match(r"^https?://[^\s/]+", value):
        raise Invalid(f"{value!r} is not an http(s) URL")
    return value


def _key_file(value: str) -> str:
    # A key pasted where its file's path belongs would be echoed by every later error.
    if value.strip().startswith("sk-"):
        raise Invalid(
            "this looks like an API key, not a path; write the key to a file and name that "
            "file here"
        )
    return value


def parse_listen(listen: str) -> tuple[str, int]:
    """ "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces) -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {listen!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0", int(port)


def _listen(value: str) -> str:
    try:
        parse_listen(value)
    except ValueError:
        raise Invalid(f"{value!r} is not an address like :10110 or 127.0.0.1:10110") from None
    return value


def check_flag(check: Callable[[str], str], value: str, flag: str) -> str:
    """A flag that overrides a setting gets the setting's own check and its message."""
    try:
        return check(value)
    except Invalid as e:
        raise ConfigError(f"{flag}: {e}") from None


def check_listen(value: str, key: str) -> str:
    return check_flag(_listen, value, key)


def check_telemetry_path(value: str, key: str) -> str:
    return check_flag(_telemetry_path, value, key)


def _telemetry_path(value: str) -> str:
    if not value.startswith("/") or value == "/":
        raise Invalid(f"{value!r} must start with / and not be /")
    return value


# --- the settings ----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRouterConfig:
    base_url: str = setting(DEFAULT_BASE_URL, Text(_base_url), "Data API base URL")
    api_key_file: str | None = setting(
        None,
        Text(_key_file),
        "file holding the key (Docker/K8s secrets); `OPENROUTER_API_KEY` wins",
    )
    timeout: float = setting(
        "30s", Duration(at_most=600), "per request, up to `10m` (`30`, `1.5s`, `500ms`, `2m`)"
    )
    http_referer: str | None = setting(None, Text(), "attribution header `HTTP-Referer`")
    title: str | None = setting(None, Text(), "attribution header `X-OpenRouter-Title`")
    categories: tuple[str, ...] = setting(
        [], Custom(_categories), "attribution header `X-OpenRouter-Categories`", shown="—"
    )


@dataclass(frozen=True)
class BudgetConfig:
    requests_per_minute: int = setting(
        API_PER_MINUTE, Int(1, 10_000), "OpenRouter's limit is 30 per key (above it: a warning)"
    )
    requests_per_day: int = setting(
        API_PER_DAY,
        Int(1, 1_000_000),
        "OpenRouter's limit is 500 per account (above it: a warning)",
    )
    reserve: float = setting(
        0.2,
        Custom(_fraction),
        "fraction of both limits left for other users of the account, 0 to <1",
    )

    @property
    def effective_per_minute(self) -> int:
        # round() first: 100 * (1 - 0.9) is 9.999999999999998 in floating point, not 10.
        return max(1, int(round(self.requests_per_minute * (1 - self.reserve), 6)))

    @property
    def effective_per_day(self) -> int:
        return max(1, int(round(self.requests_per_day * (1 - self.reserve), 6)))


def _check_budget(values: dict[str, Any], given: set[str], report: Report) -> None:
    for key, limit, per in (
        ("requests_per_minute", API_PER_MINUTE, "minute per key"),
        ("requests_per_day", API_PER_DAY, "day per account"),
    ):
        if values[key] > limit:
            report.warn(
                f"{values[key]} is above OpenRouter's documented limit of {limit} per {per}; "
                "requests past the real limit are answered 429",
                key,
            )


@dataclass(frozen=True)
class WebConfig:
    listen_address: str = setting(DEFAULT_LISTEN, Text(_listen), "also `--web.listen-address`")
    telemetry_path: str = setting("/metrics", Text(_telemetry_path), "also `--web.telemetry-path`")


@dataclass(frozen=True)
class Config:
    """The whole config; each dataset's section is read by ``exporter.configfile`` (which
    knows the registry) and reached through ``section``. The fields are in file order: the
    datasets' sections and ``watch:`` come where ``sections`` and ``watch`` are."""

    openrouter: OpenRouterConfig = section(OpenRouterConfig, refused={"api_key": LITERAL_KEY})
    budget: BudgetConfig = section(BudgetConfig, check=_check_budget)
    state_dir: str = setting("state", Text(), "request log + last good data")
    # Each dataset's section by its key, and its list under `watch:` by the same key. Not
    # hashed: a mapping is not hashable, and equal configs still hash alike without them.
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    watch: Mapping[str, tuple[Any, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    web: WebConfig = section(WebConfig)
    # What is allowed but probably not meant (an empty file, a budget over the API's limits).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def section(self, key: str, cls: type[S]) -> S:
        """The dataset section under ``key``, as the class its dataset declared."""
        try:
            found = self.sections[key]
        except KeyError:
            raise KeyError(f"no {key!r} section: configs are read by exporter.configfile") from None
        if not isinstance(found, cls):
            raise TypeError(f"the {key!r} section is a {type(found).__name__}, not {cls.__name__}")
        return found

    def watched(self, key: str) -> tuple[Any, ...]:
        """The entries under ``watch.<key>`` (none if the file has none)."""
        return self.watch.get(key, ())


def load_api_key(cfg: Config, environ: Mapping[str, str] = os.environ) -> str | None:
    """The key from the environment, else from api_key_file; None when neither is set."""
    key = environ.get("OPENROUTER_API_KEY", "").strip()
    if key:
        return key
    path = cfg.openrouter.api_key_file
    if not path:
        return None
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"openrouter.api_key_file: cannot read {path!r}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"openrouter.api_key_file: {path!r} is not UTF-8 text") from None
    if not key:
        raise ConfigError(f"openrouter.api_key_file: {path!r} is empty")
    return key
