"""The ``apps`` section and ``watch.apps``: every window × sort × filter is one ranking (an
``AppView``); the filter vocabulary (shorthands, categories, subcategories) and what each
spelling sends to the API.

``exporter.configfile`` reads this section into the ``Config`` (the dataset declares it:
``AppRankings.config_section``); the package reads it back with ``apps_config``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from exporter import taxonomy as tx
from exporter.config import MAX_WINDOW_DAYS, Config
from exporter.schema import (
    Choice,
    Custom,
    Int,
    Invalid,
    ListOf,
    Section,
    declare,
    did_you_mean,
    setting,
    type_name,
)

KEY = "apps"  # the section's key, and its list's key under `watch:`
_WINDOW_RE = re.compile(r"^([1-9][0-9]{0,2})d$")

FILTER_SHORTHANDS: dict[str, tuple[str, ...]] = {
    "every": ("all", *tx.APP_CATEGORIES, *tx.APP_SUBCATEGORIES),
    "categories": tuple(tx.APP_CATEGORIES),
    "subcategories": tx.APP_SUBCATEGORIES,
}
_FILTERS = ("all", *FILTER_SHORTHANDS, *tx.APP_CATEGORIES, *tx.APP_SUBCATEGORIES)


def _window(value: Any) -> int:
    m = _WINDOW_RE.match(value) if isinstance(value, str) else None
    if not m:
        raise Invalid(f"{value!r} is not a window like 7d")
    if int(m.group(1)) > MAX_WINDOW_DAYS:
        raise Invalid(f"{value!r} is longer than the API's {MAX_WINDOW_DAYS} days")
    return int(m.group(1))


def resolve_filter(value: str) -> list[tuple[str, str | None, str | None]]:
    """A filter spelling → [(name, category param, subcategory param)]."""
    if value in FILTER_SHORTHANDS:
        return [r for v in FILTER_SHORTHANDS[value] for r in resolve_filter(v)]
    if value == "all":
        return [("all", None, None)]
    if value in tx.APP_CATEGORIES:
        return [(value, value, None)]
    if value in tx.APP_SUBCATEGORIES:
        return [(value, None, value)]
    kind, _, name = value.partition(":")
    if kind in ("category", "subcategory") and re.match(r"^[a-z0-9][a-z0-9-]*$", name):
        return [(name, name, None)] if kind == "category" else [(name, None, name)]
    raise Invalid(
        f"{value!r} is not a known filter (one of: {', '.join(_FILTERS)}; or category:NAME / "
        "subcategory:NAME for a value newer than this exporter)" + did_you_mean(value, _FILTERS)
    )


def _filter(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(f"expected a filter name, got {type_name(value)}")
    resolve_filter(value)
    return value


def _app_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected an app id (a number), got {value!r}")
    return value


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
class AppsConfig:
    """``apps``: every window × sort × filter is one ranking (an ``AppView``)."""

    windows: tuple[int, ...] = setting(
        ["1d", "7d", "30d"],
        ListOf(Custom(_window), single=True),
        "window lengths ending at the latest published day, `1d` to `366d`",
    )
    sorts: tuple[str, ...] = setting(
        ["popular", "trending"],
        ListOf(Choice(tx.APP_SORTS), single=True),
        "`popular` (by tokens in the window) and/or `trending` (growth)",
    )
    filters: tuple[str, ...] = setting(
        ["all", "categories"],
        ListOf(Custom(_filter), single=True),
        "`all`, a category, a subcategory, `categories`, `subcategories`, `every`, or "
        "`category:NAME`/`subcategory:NAME`",
    )
    depth: int = setting(50, Int(1, 200), "apps per ranking, 1–200 (101–200 costs 2 requests)")

    # Computed once per config: the plan, each refresh and each page render read it.
    @cached_property
    def views(self) -> tuple[AppView, ...]:
        filters: list[tuple[str, str | None, str | None]] = []
        for f in self.filters:
            filters += [r for r in resolve_filter(f) if r not in filters]
        views: dict[str, AppView] = {}
        for window in self.windows:
            for sort in self.sorts:
                for name, cat, sub in filters:
                    view = AppView(window, sort, name, cat, sub, self.depth)
                    views.setdefault(view.name, view)
        return tuple(views.values())


SECTION = Section(AppsConfig)
WATCH = declare(
    [], ListOf(Custom(_app_id), single=True), "app ids for `openrouter_watched_app_info`"
)


def apps_config(cfg: Config) -> AppsConfig:
    return cfg.section(KEY, AppsConfig)


def app_views(cfg: Config) -> tuple[AppView, ...]:
    return apps_config(cfg).views


def watched_apps(cfg: Config) -> tuple[int, ...]:
    return cfg.watched(KEY)
