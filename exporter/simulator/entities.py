"""The market's entities and query results: apps, models, ranking rows, session-cost cells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from exporter.simulator.catalog import SUBCATEGORY_TO_CATEGORY


@dataclass(frozen=True, slots=True)
class App:
    id: int
    name: str
    subcategory: str | None
    launch: date | None
    """First day with traffic, or None when the app predates the dataset."""

    @property
    def category(self) -> str | None:
        return SUBCATEGORY_TO_CATEGORY.get(self.subcategory) if self.subcategory else None


@dataclass(frozen=True, slots=True)
class Model:
    permaslug: str
    launch: date | None
    retired_after: date | None
    capabilities: frozenset[str]
    """Modality slices this model counts in ("text", "image", "image_output", ...)."""
    context_length: int
    kind: str

    @property
    def author(self) -> str:
        return self.permaslug.split("/", 1)[0]

    @property
    def variant(self) -> str | None:
        _, sep, variant = self.permaslug.partition(":")
        return variant if sep else None

    @property
    def zero_token(self) -> bool:
        """Non-token endpoint: never has tokens, so rankings-daily drops it."""
        return self.kind == "zero"


@dataclass(frozen=True, slots=True)
class AppRanking:
    app: App
    rank: int
    total_tokens: int
    total_requests: int
    prior_tokens: int
    """Tokens in the three equal-length periods right before the window (trending input)."""

    @property
    def excess_growth(self) -> Fraction:
        return self.total_tokens - Fraction(self.prior_tokens, 3)


@dataclass(frozen=True, slots=True)
class DailyRow:
    date: date
    model_permaslug: str
    total_tokens: int


@dataclass(frozen=True, slots=True)
class SessionCostCell:
    app_slug: str
    app_name: str
    model_permaslug: str
    turn_range: str
    median_session_cost_usd: float
