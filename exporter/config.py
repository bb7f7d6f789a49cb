"""YAML → validated, immutable config, each setting declared once (see ``schema``).

Every problem in a file is reported at once, each naming its key path and what is wrong
(``apps.windows[2]: '45x' is not a window like 7d``), so a user can fix the file without
reading code. The API key is never part of the YAML: it comes from ``OPENROUTER_API_KEY``
or ``openrouter.api_key_file``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from exporter.durations import Duration, parse_duration
from exporter.schema import (
    Bool,
    Choice,
    ConfigError,
    Custom,
    Int,
    Invalid,
    ListOf,
    Loc,
    Problems,
    Report,
    Section,
    Text,
    section,
    setting,
    yaml_defaults,
)
from exporter.viewconfig import (
    MAX_WINDOW_DAYS,
    AppsConfig,
    AppView,
    ModelsConfig,
    ModelView,
    check_models,
)
from exporter.yamlfile import read_yaml

__all__ = [
    "DEFAULTS",
    "MAX_WINDOW_DAYS",
    "AppView",
    "Config",
    "ConfigError",
    "ModelView",
    "check_listen",
    "load_api_key",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_listen",
]

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_LISTEN = ":10110"
API_PER_MINUTE, API_PER_DAY = 30, 500  # OpenRouter's documented limits: per key, per account
LITERAL_KEY = (
    "a literal key in the config file is refused; set OPENROUTER_API_KEY or openrouter.api_key_file"
)

# --- what a value may be ---------------------------------------------------------------

_PERMASLUG_RE = re.compile(r"^[^\s/]+/[^\s]+$")


def _app_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected an app id (a number), got {value!r}")
    return value


def _permaslug(value: Any) -> str:
    if not isinstance(value, str) or not _PERMASLUG_RE.match(value):
        raise Invalid(f"{value!r} is not a permaslug like author/model")
    return value


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
class SessionCostConfig:
    enabled: bool = setting(True, Bool(), "median cost per session (~2 requests/day)")


# The sections of the datasets added as packages: config is the lowest layer and cannot
# import a dataset, so each declares its settings here and its package reads them.
@dataclass(frozen=True)
class TaskClassificationsConfig:
    enabled: bool = setting(True, Bool(), "traffic share by task, 7-day window (~1 request/day)")


# Each one request a day: a source's scores, OpenRouter's search benchmarks, and Design
# Arena's arenas (the package maps each to its query).
BENCHMARK_VIEWS = (
    "artificial-analysis",
    "openrouter",
    "openrouter-search",
    "design-arena",
    "design-arena-builders",
    "design-arena-agents",
)


@dataclass(frozen=True)
class BenchmarksConfig:
    enabled: bool = setting(True, Bool(), "benchmark scores by model (~1 request/day per view)")
    views: tuple[str, ...] = setting(
        list(BENCHMARK_VIEWS[:4]),
        ListOf(Choice(BENCHMARK_VIEWS), single=True),
        "`artificial-analysis`, `openrouter`, `openrouter-search`, `design-arena`, "
        "`design-arena-builders`, `design-arena-agents`",
    )


@dataclass(frozen=True)
class WatchConfig:
    apps: tuple[int, ...] = setting(
        [], ListOf(Custom(_app_id), single=True), "app ids for `openrouter_watched_app_info`"
    )
    models: tuple[str, ...] = setting(
        [],
        ListOf(Custom(_permaslug), single=True),
        "permaslugs, short or dated, for `openrouter_watched_model_info`",
    )


@dataclass(frozen=True)
class WebConfig:
    listen_address: str = setting(DEFAULT_LISTEN, Text(_listen), "also `--web.listen-address`")
    telemetry_path: str = setting("/metrics", Text(_telemetry_path), "also `--web.telemetry-path`")


@dataclass(frozen=True)
class Config:
    openrouter: OpenRouterConfig = section(OpenRouterConfig, refused={"api_key": LITERAL_KEY})
    budget: BudgetConfig = section(BudgetConfig, check=_check_budget)
    state_dir: str = setting("state", Text(), "request log + last good data")
    apps: AppsConfig = section(AppsConfig)
    models: ModelsConfig = section(ModelsConfig, check=check_models)
    session: SessionCostConfig = section(SessionCostConfig, key="session_cost")
    task_classifications: TaskClassificationsConfig = section(TaskClassificationsConfig)
    benchmarks: BenchmarksConfig = section(BenchmarksConfig)
    watch: WatchConfig = section(WatchConfig)
    web: WebConfig = section(WebConfig)
    # What is allowed but probably not meant (an empty file, a budget over the API's limits).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @cached_property
    def app_views(self) -> tuple[AppView, ...]:
        return self.apps.views()

    @property
    def model_views(self) -> tuple[ModelView, ...]:
        return self.models.views

    @property
    def session_cost(self) -> bool:
        return self.session.enabled


CONFIG = Section(Config, refused={"api_key": LITERAL_KEY})
DEFAULTS: dict[str, Any] = yaml_defaults(Config)  # the defaults as YAML spells them


def parse_config(data: Any, found: Iterable[tuple[Loc, str]] = ()) -> Config:
    """A YAML document's data → ``Config``; ``ConfigError`` lists every problem in it,
    with those ``found`` while loading it (keys written twice) in their place."""
    problems = Problems("config")
    problems.errors.extend(found)
    cfg = CONFIG.read(data, (), problems)
    problems.raise_errors(data, ConfigError)
    return replace(cfg, warnings=problems.lines(problems.warnings, data))


def load_config(path: str | None) -> Config:
    """Read and validate; no file means every default."""
    if path is None:
        return parse_config({})
    loaded = read_yaml(path, "config file", ConfigError)
    cfg = parse_config(loaded.data, loaded.duplicates)
    if not loaded.data:  # the file parsed, so only comments (or `{}`) are in it
        empty = f"{path}: nothing configured (the file is empty or only comments); using defaults"
        cfg = replace(cfg, warnings=(empty, *cfg.warnings))
    return cfg


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
