"""The ``models`` section and ``watch.models``: ``models.views`` lists rankings-daily
queries (``ModelView``) one by one, each with at most one slice.

``exporter.configfile`` reads this section into the ``Config`` (the dataset declares it:
``ModelRankings.config_section``); the package reads it back with ``models_config``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter import taxonomy as tx
from exporter.config import MAX_WINDOW_DAYS, Config
from exporter.schema import (
    Choice,
    Custom,
    Int,
    Invalid,
    ListOf,
    Report,
    Section,
    declare,
    required,
    setting,
)

KEY = "models"  # the section's key, and its list's key under `watch:`
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_PERMASLUG_RE = re.compile(r"^[^\s/]+/[^\s]+$")

# Each slice selects a separate dataset on the API side: at most one per view.
_SLICES = {
    "modality": tx.MODEL_MODALITIES,
    "context_bucket": tx.MODEL_CONTEXT_BUCKETS,
    "category": tx.MODEL_CATEGORIES,
    "language_type": tx.MODEL_LANGUAGE_TYPES,
}
_DAYS = {"day": (7, 1), "week": (21, 14), "month": (62, 62)}  # period → (default, least)


def _view_name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise Invalid(f"{value!r} must be lowercase letters, digits, - _ .")
    return value


def _permaslug(value: Any) -> str:
    if not isinstance(value, str) or not _PERMASLUG_RE.match(value):
        raise Invalid(f"{value!r} is not a permaslug like author/model")
    return value


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


SECTION = Section(ModelsConfig, check=check_models)
WATCH = declare(
    [],
    ListOf(Custom(_permaslug), single=True),
    "permaslugs, short or dated, for `openrouter_watched_model_info`",
)


def models_config(cfg: Config) -> ModelsConfig:
    return cfg.section(KEY, ModelsConfig)


def model_views(cfg: Config) -> tuple[ModelView, ...]:
    return models_config(cfg).views


def watched_models(cfg: Config) -> tuple[str, ...]:
    return cfg.watched(KEY)
