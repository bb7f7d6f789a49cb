"""What to fetch: the ``apps`` and ``models`` sections, and the views they expand to.

``apps`` is a product (every window × sort × filter is one ranking, an ``AppView``);
``models.views`` lists rankings-daily queries (``ModelView``) one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter import taxonomy as tx
from exporter.schema import (
    Choice,
    Custom,
    Int,
    Invalid,
    ListOf,
    Report,
    Section,
    did_you_mean,
    required,
    setting,
    type_name,
)

MAX_WINDOW_DAYS = 366  # the API's cap on one date window
_WINDOW_RE = re.compile(r"^([1-9][0-9]{0,2})d$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")

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


def _view_name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise Invalid(f"{value!r} must be lowercase letters, digits, - _ .")
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


# Each slice selects a separate dataset on the API side: at most one per view.
_SLICES = {
    "modality": tx.MODEL_MODALITIES,
    "context_bucket": tx.MODEL_CONTEXT_BUCKETS,
    "category": tx.MODEL_CATEGORIES,
    "language_type": tx.MODEL_LANGUAGE_TYPES,
}
_DAYS = {"day": (7, 1), "week": (21, 14), "month": (62, 62)}  # period → (default, least)


@dataclass(frozen=True)
class ModelView:
    """One rankings-daily query; metrics show its latest complete period."""

    name: str = required(Custom(_view_name), "the `view` label: lowercase letters, digits, `-_.`")
    period: str = setting("day", Choice(tx.MODEL_PERIODS), "the ranking period")
    days: int = setting(
        _DAYS["day"][0],
        Int(1, MAX_WINDOW_DAYS),
        "days fetched, at most 366 and at least 1 / 14 / 62 by period",
        shown="`7` / `21` / `62` by period",
    )
    # At most one of the four slices per view.
    modality: str | None = setting(
        None, Choice(_SLICES["modality"]), "a slice, at most one per view"
    )
    context_bucket: str | None = setting(None, Choice(_SLICES["context_bucket"]), "a slice")
    category: str | None = setting(
        None, Choice(_SLICES["category"]), "a slice, period week or month only"
    )
    language_type: str | None = setting(
        None, Choice(_SLICES["language_type"]), "a slice, period week or month only"
    )

    def params(self) -> dict[str, str]:
        p = {"period": self.period}
        for key in _SLICES:
            value = getattr(self, key)
            if value is not None:
                p[key] = value
        return p


def _check_model_view(values: dict[str, Any], given: set[str], report: Report) -> None:
    chosen = [k for k in _SLICES if values[k] is not None]
    if len(chosen) > 1:
        report.error(f"{' and '.join(chosen)} cannot be combined; use one per view")
    period = values["period"]
    if chosen and chosen[0] in ("category", "language_type") and period == "day":
        report.error(
            f"{chosen[0]} views are weekly estimates; use period week or month (the API "
            "answers 400 to day)",
            "period",
        )
    default, least = _DAYS[period]
    if "days" not in given:
        values["days"] = default
    elif values["days"] < least:
        report.error(f"{values['days']} is out of range {least}–{MAX_WINDOW_DAYS}", "days")


def check_models(values: dict[str, Any], given: set[str], report: Report) -> None:
    names = [v.name for v in values["views"]]
    for i, name in enumerate(names):
        if name in names[:i]:
            report.error(f"{name!r} is used twice", "views", i, "name")


@dataclass(frozen=True)
class ModelsConfig:
    views: tuple[ModelView, ...] = setting(
        [
            {"name": "daily", "period": "day", "days": 7},
            {"name": "weekly", "period": "week", "days": 21},
            {"name": "monthly", "period": "month", "days": 62},
        ],
        ListOf(Section(ModelView, _check_model_view), null_is_default=True),
        "rankings-daily queries; `[]` turns them off",
        shown="`daily`, `weekly`, `monthly`",
    )
