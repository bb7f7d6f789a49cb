"""A synthetic, deterministic OpenRouter market: apps, models, daily token series, session costs.

Every daily value is a pure function of the seed, the entity and the day, so the history can
be extended lazily as a simulated clock moves forward without changing any earlier day, and
two markets built from the same seed agree on every figure whatever their horizon.

The query methods (`app_rankings`, `rankings_daily`, `session_cost`) implement the Data API
semantics over this data; the HTTP layer only validates parameters and serialises, so tests
can compute expected responses from the same methods. Who is in the market is
``population``, the series ``series``, the ranking rules ``rankings``, session costs
``session_costs``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from exporter.simulator import rankings
from exporter.simulator.catalog import REPORTED_MISSING_DAYS
from exporter.simulator.entities import App, AppRanking, DailyRow, Model, SessionCostCell
from exporter.simulator.population import build_apps, build_models
from exporter.simulator.series import EPOCH, History, day_index, index_day, window
from exporter.simulator.session_costs import SessionCosts
from exporter.simulator.tasks import MacroShare, TaskClass, classify


class Market:
    """The generated data. Read-only for callers; the history grows via `ensure`."""

    def __init__(
        self,
        seed: int = 42,
        *,
        until: date | None = None,
        missing_days: Iterable[date] = REPORTED_MISSING_DAYS,
    ) -> None:
        self.seed = seed
        self.missing_days: frozenset[date] = frozenset(missing_days)
        models = build_models(random.Random(f"{seed}/models"))
        self.models: list[Model] = models.models
        self.model_by_slug: dict[str, Model] = {m.permaslug: m for m in self.models}
        self.category_ppm = models.category_ppm
        self.context_ppm = models.context_ppm
        self.apps, app_series = build_apps(random.Random(f"{seed}/apps"))
        self.app_by_id: dict[int, App] = {a.id: a for a in self.apps}
        self._session_costs = SessionCosts(seed, random.Random(f"{seed}/session-cost"), self.models)
        self.harnesses: tuple[tuple[str, str], ...] = self._session_costs.harnesses
        self.history = History(seed, self.missing_days, models.series, app_series)
        if until is None:
            until = datetime.now(UTC).date() - timedelta(days=1)
        self.ensure(until + timedelta(days=1))

    @staticmethod
    def shared(seed: int = 42, missing_days: Iterable[date] = REPORTED_MISSING_DAYS) -> Market:
        """A process-wide market per (seed, missing days).

        Sharing is safe because every value is a pure function of seed and day, and the
        history only ever grows; it spares each Simulator the generation time and memory.
        """
        return _shared_market(seed, frozenset(missing_days))

    def ensure(self, stop: date) -> None:
        """Materialise every day before `stop` (exclusive)."""
        self.history.ensure(day_index(stop))

    @property
    def last_materialised_day(self) -> date:
        return index_day(self.history.days - 1)

    # ----------------------------------------------------------------- raw series

    def model_tokens(self, permaslug: str, day: date) -> int:
        self.ensure(day + timedelta(days=1))
        d = day_index(day)
        return self.history.models[permaslug].values[d] if d >= 0 else 0

    def model_window(self, permaslug: str, start: date, end: date) -> int:
        self.ensure(end + timedelta(days=1))
        prefix = self.history.models[permaslug].prefix
        return window(prefix, day_index(start), day_index(end))

    def app_tokens(self, app_id: int, day: date) -> int:
        self.ensure(day + timedelta(days=1))
        d = day_index(day)
        return self.history.apps[app_id].values[d] if d >= 0 else 0

    def app_requests(self, app_id: int, day: date) -> int:
        self.ensure(day + timedelta(days=1))
        d = day_index(day)
        return self.history.apps[app_id].requests[d] if d >= 0 else 0

    def app_window(self, app_id: int, start: date, end: date) -> tuple[int, int]:
        """(total_tokens, total_requests) of one app over [start, end] inclusive."""
        self.ensure(end + timedelta(days=1))
        s = self.history.apps[app_id]
        a, b = day_index(start), day_index(end)
        return window(s.prefix, a, b), window(s.request_prefix, a, b)

    # ----------------------------------------------------------------- API semantics

    def app_rankings(
        self,
        start: date,
        end: date,
        *,
        sort: str = "popular",
        category: str | None = None,
        subcategory: str | None = None,
    ) -> list[AppRanking]:
        """The whole ranking for a resolved window, ranks 1..N after filtering.

        Ties (equal tokens or equal excess growth) break by app_id ascending (*inferred*).
        """
        return rankings.app_rankings(
            self.history, self.apps, start, end, sort, category, subcategory
        )

    def rankings_daily(
        self,
        start: date,
        end: date,
        *,
        period: str | None = None,
        modality: str | None = None,
        context_bucket: str | None = None,
        category: str | None = None,
        language_type: str | None = None,
        data_end: date | None = None,
    ) -> list[DailyRow]:
        """Top 50 models per bucket plus `other`, in the documented order.

        Exact views: buckets are dated by their first calendar day (ISO Monday / 1st of
        month) even when the window starts mid-bucket, and hold only days inside the
        window, so the trailing bucket is partial (*inferred*).

        Estimate views (`category`, `language_type`; period defaults to week, per the SDK):
        whole ISO weeks overlapping the window, so "the trailing weekly bucket may include
        traffic past `end_date`" up to `data_end` (the newest published day); months sum
        the weeks whose Monday falls in them ("approximate at month boundaries").
        """
        models = [m for m in self.models if not m.zero_token]
        if modality is not None:
            models = [m for m in models if modality in m.capabilities]
        if category is not None or language_type is not None:
            key = category if category is not None else f"lang:{language_type}"
            through = max(end, data_end or end)
            return rankings.estimate_rows(
                self.history,
                self.category_ppm,
                self.seed,
                start,
                end,
                period or "week",
                key,
                through,
                models,
            )
        return rankings.exact_rows(
            self.history, self.context_ppm, start, end, period or "day", context_bucket, models
        )

    def session_cost(self, window_end: date) -> list[SessionCostCell]:
        """Every published cell of the snapshot ending `window_end`, sorted by app_slug,
        model_permaslug, then turn range in enum order (*inferred* order)."""
        return self._session_costs.cells(window_end)

    def task_classifications(
        self, start: date, end: date
    ) -> tuple[list[TaskClass], list[MacroShare]]:
        """How [start, end]'s traffic splits by task: every tag by usage share, and the
        macro-categories (``tasks``)."""
        return classify(self.history, self.models, self.seed, start, end)


@lru_cache(maxsize=8)
def _shared_market(seed: int, missing_days: frozenset[date]) -> Market:
    return Market(seed, missing_days=missing_days)


__all__ = [
    "EPOCH",
    "App",
    "AppRanking",
    "DailyRow",
    "Market",
    "Model",
    "SessionCostCell",
    "day_index",
    "index_day",
]
