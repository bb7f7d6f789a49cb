"""YAML → validated, immutable config.

Every error names the key path and the problem (``apps.windows[2]: "45x" is not a window
like 7d``) so a user can fix the file without reading code. The API key is never part of
the YAML: it comes from ``OPENROUTER_API_KEY`` or ``openrouter.api_key_file``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exporter import taxonomy as tx

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_LISTEN = ":10110"
MAX_WINDOW_DAYS = 366  # the API's cap on one date window


class ConfigError(ValueError):
    """A config problem, phrased as ``key.path: problem``."""


@dataclass(frozen=True)
class AppView:
    """One app-rankings ranking: a window, a sort and a filter, fetched to ``depth``."""

    window_days: int
    sort: str
    filter: str  # the config spelling: all, a category or a subcategory
    category_param: str | None  # what is sent to the API
    subcategory_param: str | None
    depth: int

    @property
    def window(self) -> str:
        return f"{self.window_days}d"

    @property
    def name(self) -> str:
        return f"{self.window}/{self.sort}/{self.filter}"

    @property
    def category_label(self) -> str:
        if self.subcategory_param:
            return tx.PARENT_CATEGORY.get(self.subcategory_param, self.category_param or "all")
        return self.category_param or "all"

    @property
    def subcategory_label(self) -> str:
        return self.subcategory_param or "all"

    @property
    def pages(self) -> int:
        """Requests one refresh costs at most (the API pages by 100)."""
        return -(-self.depth // 100)


@dataclass(frozen=True)
class ModelView:
    """One rankings-daily query; metrics show its latest complete period."""

    name: str
    period: str = "day"
    days: int = 7
    modality: str | None = None
    context_bucket: str | None = None
    category: str | None = None
    language_type: str | None = None

    def params(self) -> dict[str, str]:
        p = {"period": self.period}
        for key in ("modality", "context_bucket", "category", "language_type"):
            value = getattr(self, key)
            if value is not None:
                p[key] = value
        return p


@dataclass(frozen=True)
class OpenRouterConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key_file: str | None = None
    timeout: float = 30.0
    http_referer: str | None = None
    title: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class BudgetConfig:
    requests_per_minute: int = 30
    requests_per_day: int = 500
    reserve: float = 0.2

    @property
    def effective_per_minute(self) -> int:
        # round() first: 100 * (1 - 0.9) is 9.999999999999998 in floating point, not 10.
        return max(1, int(round(self.requests_per_minute * (1 - self.reserve), 6)))

    @property
    def effective_per_day(self) -> int:
        return max(1, int(round(self.requests_per_day * (1 - self.reserve), 6)))


@dataclass(frozen=True)
class WebConfig:
    listen_address: str = DEFAULT_LISTEN
    telemetry_path: str = "/metrics"
    config_file: str | None = None


@dataclass(frozen=True)
class WatchConfig:
    apps: tuple[int, ...] = ()
    models: tuple[str, ...] = ()


def _default_model_views() -> tuple[ModelView, ...]:
    return (
        ModelView("daily", "day", 7),
        ModelView("weekly", "week", 21),
        ModelView("monthly", "month", 62),
    )


@dataclass(frozen=True)
class Config:
    openrouter: OpenRouterConfig = field(default_factory=OpenRouterConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    state_dir: str = "state"
    app_views: tuple[AppView, ...] = ()
    model_views: tuple[ModelView, ...] = field(default_factory=_default_model_views)
    session_cost: bool = True
    watch: WatchConfig = field(default_factory=WatchConfig)
    web: WebConfig = field(default_factory=WebConfig)


# --- parsing -------------------------------------------------------------------------

_WINDOW_RE = re.compile(r"^([1-9][0-9]{0,2})d$")
_DURATION_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_PERMASLUG_RE = re.compile(r"^[^\s/]+/[^\s]+$")

FILTER_SHORTHANDS: dict[str, tuple[str, ...]] = {
    "every": ("all", *tx.APP_CATEGORIES, *tx.APP_SUBCATEGORIES),
    "categories": tuple(tx.APP_CATEGORIES),
    "subcategories": tx.APP_SUBCATEGORIES,
}

DEFAULTS: dict[str, Any] = {
    "apps": {
        "windows": ["1d", "7d", "30d"],
        "sorts": ["popular", "trending"],
        "filters": ["all", "categories"],
        "depth": 50,
    },
}


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "empty",
    }.get(type(value), "?")


class _Reader:
    """Walks a mapping and remembers which keys were read, so typos are reported."""

    def __init__(self, data: Any, path: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path or 'config'}: expected a mapping, got {_type_name(data)}")
        self.data = data
        self.path = path
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, default: Any = None) -> Any:
        self.seen.add(name)
        return self.data.get(name, default)

    def sub(self, name: str) -> _Reader:
        return _Reader(self.get(name), self.key(name))

    def finish(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self.seen)
        if unknown:
            raise ConfigError(f"{self.key(unknown[0])}: unknown key")

    def string(self, name: str, default: str | None = None, *, allow_none: bool = True) -> Any:
        value = self.get(name, default)
        if value is None and allow_none:
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(
                f"{self.key(name)}: expected a non-empty string, got {_type_name(value)}"
            )
        return value

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self.key(name)}: expected a whole number, got {value!r}")
        if not lo <= value <= hi:
            raise ConfigError(f"{self.key(name)}: {value} is out of range {lo}–{hi}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key(name)}: expected true or false, got {value!r}")
        return value

    def items(self, name: str, default: list[Any]) -> list[Any]:
        value = self.get(name, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{self.key(name)}: expected a list, got {_type_name(value)}")
        return value


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(
    value: Any, key: str, *, at_least: float | None = None, at_most: float = 600
) -> float:
    """``30``, ``30s``, ``1.5s``, ``500ms``, ``2m``, ``1h``, ``1d`` → seconds, more than 0
    and within the bounds."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a duration like 30s, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION_RE.match(str(value).strip())
        if not m:
            raise ConfigError(f"{key}: {value!r} is not a duration like 30s, 5m, 1h or 1d")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if at_least is not None and not at_least <= seconds <= at_most:
        raise ConfigError(f"{key}: {value!r} must be from {at_least:g}s to {at_most:g}s")
    if not 0 < seconds <= at_most:
        raise ConfigError(f"{key}: {value!r} must be more than 0 and at most {at_most:g}s")
    return seconds


def parse_window(value: Any, key: str) -> int:
    m = _WINDOW_RE.match(str(value)) if isinstance(value, str) else None
    if not m:
        raise ConfigError(f"{key}: {value!r} is not a window like 7d")
    days = int(m.group(1))
    if days > MAX_WINDOW_DAYS:
        raise ConfigError(f"{key}: {value!r} is longer than the API's {MAX_WINDOW_DAYS} days")
    return days


def _resolve_filter(value: Any, key: str) -> list[tuple[str, str | None, str | None]]:
    """A filter spelling → [(name, category param, subcategory param)]."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{key}: expected a filter name, got {_type_name(value)}")
    if value in FILTER_SHORTHANDS:
        return [r for v in FILTER_SHORTHANDS[value] for r in _resolve_filter(v, key)]
    if value == "all":
        return [("all", None, None)]
    if value in tx.APP_CATEGORIES:
        return [(value, value, None)]
    if value in tx.APP_SUBCATEGORIES:
        return [(value, None, value)]
    kind, _, name = value.partition(":")
    if kind in ("category", "subcategory") and re.match(r"^[a-z0-9][a-z0-9-]*$", name):
        return [(name, name, None)] if kind == "category" else [(name, None, name)]
    known = ", ".join(["all", *FILTER_SHORTHANDS, *tx.APP_CATEGORIES, *tx.APP_SUBCATEGORIES])
    raise ConfigError(
        f"{key}: {value!r} is not a known filter (one of: {known}; or category:NAME / "
        "subcategory:NAME for a value newer than this exporter)"
    )


def _parse_apps(r: _Reader) -> tuple[AppView, ...]:
    d = DEFAULTS["apps"]
    windows = [
        parse_window(w, f"{r.key('windows')}[{i}]")
        for i, w in enumerate(r.items("windows", d["windows"]))
    ]
    sorts = r.items("sorts", d["sorts"])
    for i, s in enumerate(sorts):
        if s not in tx.APP_SORTS:
            raise ConfigError(f"{r.key('sorts')}[{i}]: {s!r} is not one of popular, trending")
    filters: list[tuple[str, str | None, str | None]] = []
    for i, f in enumerate(r.items("filters", d["filters"])):
        for resolved in _resolve_filter(f, f"{r.key('filters')}[{i}]"):
            if resolved not in filters:
                filters.append(resolved)
    depth = r.integer("depth", d["depth"], 1, 200)
    r.finish()
    views: list[AppView] = []
    seen: set[str] = set()
    for window in windows:
        for sort in sorts:
            for name, cat, sub in filters:
                view = AppView(window, sort, name, cat, sub, depth)
                if view.name not in seen:
                    seen.add(view.name)
                    views.append(view)
    return tuple(views)


def _parse_model_view(raw: Any, key: str) -> ModelView:
    r = _Reader(raw, key)
    name = r.string("name", allow_none=False)
    if not _NAME_RE.match(name):
        raise ConfigError(f"{r.key('name')}: {name!r} must be lowercase letters, digits, - _ .")
    period = r.string("period", "day")
    if period not in tx.MODEL_PERIODS:
        raise ConfigError(f"{r.key('period')}: {period!r} is not one of day, week, month")
    choices = {
        "modality": tx.MODEL_MODALITIES,
        "context_bucket": tx.MODEL_CONTEXT_BUCKETS,
        "category": tx.MODEL_CATEGORIES,
        "language_type": tx.MODEL_LANGUAGE_TYPES,
    }
    slices: dict[str, str | None] = {}
    for k, allowed in choices.items():
        v = r.get(k)
        if v is not None and v not in allowed:
            raise ConfigError(f"{r.key(k)}: {v!r} is not one of {', '.join(allowed)}")
        slices[k] = v
    chosen = [k for k, v in slices.items() if v is not None]
    if len(chosen) > 1:
        # Each of these selects a separate dataset on the API side.
        raise ConfigError(f"{key}: {' and '.join(chosen)} cannot be combined; use one per view")
    if chosen and chosen[0] in ("category", "language_type") and period == "day":
        raise ConfigError(
            f"{r.key('period')}: {chosen[0]} views are weekly estimates; "
            "use period week or month (the API answers 400 to day)"
        )
    min_days = {"day": 1, "week": 14, "month": 62}[period]
    default_days = {"day": 7, "week": 21, "month": 62}[period]
    days = r.integer("days", default_days, min_days, MAX_WINDOW_DAYS)
    r.finish()
    return ModelView(name=name, period=period, days=days, **slices)


def _parse_models(r: _Reader) -> tuple[ModelView, ...]:
    raw = r.get("views")
    r.finish()
    if raw is None:
        return _default_model_views()
    if not isinstance(raw, list):
        raise ConfigError(f"{r.key('views')}: expected a list, got {_type_name(raw)}")
    views = [_parse_model_view(v, f"{r.key('views')}[{i}]") for i, v in enumerate(raw)]
    names = [v.name for v in views]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(f"{r.key('views')}[{i}].name: {n!r} is used twice")
    return tuple(views)


def parse_listen(listen: str) -> tuple[str, int]:
    """ "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces) -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {listen!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or "0.0.0.0", int(port)


def check_listen(value: str, key: str) -> str:
    try:
        parse_listen(value)
    except ValueError:
        raise ConfigError(
            f"{key}: {value!r} is not an address like :10110 or 127.0.0.1:10110"
        ) from None
    return value


def _key_file(path: str | None) -> str | None:
    # A key pasted where its file's path belongs would be echoed by every later error.
    if path is not None and path.strip().startswith("sk-"):
        raise ConfigError(
            "openrouter.api_key_file: this looks like an API key, not a path; "
            "write the key to a file and name that file here"
        )
    return path


def parse_config(data: Any) -> Config:
    root = _Reader(data, "")
    if root.get("api_key") is not None or (
        isinstance(root.data.get("openrouter"), Mapping) and "api_key" in root.data["openrouter"]
    ):
        raise ConfigError(
            "openrouter.api_key: a literal key in the config file is refused; set "
            "OPENROUTER_API_KEY or openrouter.api_key_file"
        )

    o = root.sub("openrouter")
    base_url = o.string("base_url", DEFAULT_BASE_URL, allow_none=False).rstrip("/")
    if not re.match(r"^https?://[^\s/]+", base_url):
        raise ConfigError(f"openrouter.base_url: {base_url!r} is not an http(s) URL")
    categories = o.get("categories") or ()
    if categories == ():
        pass
    elif isinstance(categories, str):
        categories = tuple(c.strip() for c in categories.split(",") if c.strip())
    elif isinstance(categories, list) and all(isinstance(c, str) for c in categories):
        categories = tuple(categories)
    else:
        raise ConfigError("openrouter.categories: expected a list of subcategory names")
    openrouter = OpenRouterConfig(
        base_url=base_url,
        api_key_file=_key_file(o.string("api_key_file")),
        timeout=parse_duration(o.get("timeout", 30), "openrouter.timeout"),
        http_referer=o.string("http_referer"),
        title=o.string("title"),
        categories=categories,
    )
    o.finish()

    b = root.sub("budget")
    rpm = b.integer("requests_per_minute", 30, 1, 10_000)
    rpd = b.integer("requests_per_day", 500, 1, 1_000_000)
    reserve = b.get("reserve", 0.2)
    if isinstance(reserve, bool) or not isinstance(reserve, int | float) or not 0 <= reserve < 1:
        raise ConfigError(
            f"budget.reserve: {reserve!r} must be a fraction from 0 up to (not including) 1"
        )
    b.finish()

    state_dir = root.string("state_dir", "state", allow_none=False)
    app_views = _parse_apps(root.sub("apps"))
    model_views = _parse_models(root.sub("models"))

    s = root.sub("session_cost")
    session_cost = s.boolean("enabled", True)
    s.finish()

    w = root.sub("watch")
    watch_apps = w.items("apps", [])
    for i, a in enumerate(watch_apps):
        if isinstance(a, bool) or not isinstance(a, int):
            raise ConfigError(f"watch.apps[{i}]: expected an app id (a number), got {a!r}")
    watch_models = w.items("models", [])
    for i, m in enumerate(watch_models):
        if not isinstance(m, str) or not _PERMASLUG_RE.match(m):
            raise ConfigError(f"watch.models[{i}]: {m!r} is not a permaslug like author/model")
    w.finish()

    web = root.sub("web")
    listen = check_listen(
        web.string("listen_address", DEFAULT_LISTEN, allow_none=False), "web.listen_address"
    )
    path = web.string("telemetry_path", "/metrics", allow_none=False)
    if not path.startswith("/") or path == "/":
        raise ConfigError(f"web.telemetry_path: {path!r} must start with / and not be /")
    web.finish()
    root.finish()

    return Config(
        openrouter=openrouter,
        budget=BudgetConfig(rpm, rpd, float(reserve)),
        state_dir=state_dir,
        app_views=app_views,
        model_views=model_views,
        session_cost=session_cost,
        watch=WatchConfig(tuple(watch_apps), tuple(watch_models)),
        web=WebConfig(listen_address=listen, telemetry_path=path),
    )


def load_config(path: str | None) -> Config:
    """Read and validate; no file means every default."""
    if path is None:
        return parse_config({})
    return parse_config(read_yaml(path, "config file", ConfigError))


def read_yaml(path: str, what: str, error: type[Exception], *, echo_problem: bool = True) -> Any:
    """A YAML file's data, or ``error`` naming the file, the line and the problem.

    ``echo_problem=False`` leaves out the parser's words, which quote the offending text
    (a file of secrets must not be echoed).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (byte {e.start})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = f": {getattr(e, 'problem', e)}" if echo_problem else ""
        raise error(f"{path}: not valid YAML{where}{problem}") from None


def load_api_key(cfg: Config, environ: Mapping[str, str] = os.environ) -> str | None:
    """The key from the environment, else from api_key_file; None when neither is set."""
    key = environ.get("OPENROUTER_API_KEY", "").strip()
    if key:
        return key
    if cfg.openrouter.api_key_file:
        try:
            key = Path(cfg.openrouter.api_key_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ConfigError(
                f"openrouter.api_key_file: cannot read "
                f"{cfg.openrouter.api_key_file!r}: {e.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise ConfigError(
                f"openrouter.api_key_file: {cfg.openrouter.api_key_file!r} is not UTF-8 text"
            ) from None
        if not key:
            raise ConfigError(f"openrouter.api_key_file: {cfg.openrouter.api_key_file!r} is empty")
        return key
    return None
