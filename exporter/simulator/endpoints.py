"""What the endpoints answer: the market as published at an instant (the newest day, the
weekly session-cost window, the newest day still growing), serialised as the live API does.
Parameters are checked in ``params``; keys, limits and faults are the Simulator's."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from exporter.simulator import benchmarks
from exporter.simulator.catalog import (
    APP_RANKINGS_PATH,
    BENCHMARKS_PATH,
    RANKINGS_DAILY_PATH,
    SESSION_COST_PATH,
    TASK_CLASSIFICATIONS_PATH,
    VERSION,
)
from exporter.simulator.entities import DailyRow
from exporter.simulator.market import Market
from exporter.simulator.params import (
    Params,
    RankingsQuery,
    app_query,
    benchmarks_query,
    classification_window,
    rankings_query,
    resolve_window,
    session_query,
)
from exporter.simulator.publication import PublicationSchedule, bucket_shortfall
from exporter.simulator.replay import Replay

SESSION_WINDOW_DAYS = 30


class PublishedData:
    """The data side of the simulator: its clock, the market, what of it is published when,
    and each endpoint's body for a request that passed the API's checks."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        market: Market,
        publication: PublicationSchedule | None,
        publication_lag_days: int,
        replay: Replay | None = None,
    ) -> None:
        self._clock = clock
        self.market = market
        self.replay = replay
        """A recorded history: its days are rankings-daily's published days (the plain
        dataset's rows; modality, context and estimate views stay synthetic)."""
        self.publication = publication
        self.publication_lag_days = publication_lag_days
        self.session_cost_published = True
        """False: session-cost answers with no rows and null window fields, as the live API
        does while no snapshot is published."""
        self._stamp_lock = threading.Lock()
        self._last_as_of: datetime | None = None

    def now(self) -> datetime:
        current = self._clock()
        if current.tzinfo is None:
            return current.replace(tzinfo=UTC)
        return current.astimezone(UTC)

    def today(self) -> date:
        return self.now().date()

    def latest_day(self) -> date:
        """The newest day served: yesterday (UTC) minus any publication lag, or what the
        publication schedule has published by now; never after a replay's last day (as if
        publication stopped there)."""
        lag = timedelta(days=self.publication_lag_days)
        if self.publication is not None:
            latest = self.publication.latest_day(self.now()) - lag
        else:
            latest = self.today() - timedelta(days=1) - lag
        return latest if self.replay is None else min(latest, self.replay.last)

    def replays(self, q: RankingsQuery) -> bool:
        """Whether the replay answers this rankings-daily query (the dataset it holds)."""
        plain = (q.modality, q.context_bucket, q.category, q.language_type) == (None,) * 4
        return self.replay is not None and plain

    def model_rows(self, start: date, end: date, period: str = "day") -> list[DailyRow]:
        """The plain rankings-daily rows of [start, end]: the replay's, else the market's."""
        if self.replay is not None:
            return self.replay.rows(start, end, period)
        return self.market.rankings_daily(start, end, period=period)

    def session_cost_window_end(self) -> date:
        """The most recent Sunday strictly before today (once published, with a schedule)."""
        if self.publication is not None:
            return self.publication.session_cost_window_end(self.now())
        today = self.today()
        back = (today.weekday() + 1) % 7 or 7
        return today - timedelta(days=back)

    def as_of(self, at: datetime) -> str:
        # Strictly increasing even under a frozen test clock: the live value moves on every
        # request.
        with self._stamp_lock:
            last = self._last_as_of
            stamp = at if last is None or at > last else last + timedelta(milliseconds=1)
            self._last_as_of = stamp
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"

    def growing(self, start: date, end: date, at: datetime) -> list[tuple[date, float]]:
        """Days in [start, end] still short of their final value, with the missing share."""
        if self.publication is None:
            return []
        return self.publication.growing(self.latest_day(), start, end, at)

    def meta(self, start: date, end: date, at: datetime) -> dict[str, Any]:
        return {
            "as_of": self.as_of(at),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "version": VERSION,
        }

    def body(self, path: str, params: Params, at: datetime) -> dict[str, Any]:
        """The 200 body of one endpoint (``path``); raises ``params.BadRequest``."""
        return ENDPOINTS[path](self, params, at)


def app_rankings(data: PublishedData, params: Params, at: datetime) -> dict[str, Any]:
    q = app_query(params)
    start, end = resolve_window(params, data.latest_day())
    ranking = data.market.app_rankings(
        start, end, sort=q.sort, category=q.category, subcategory=q.subcategory
    )
    growing = data.growing(start, end, at)
    rows = [
        {
            "app_id": r.app.id,
            "app_name": r.app.name,
            "rank": r.rank,
            "total_requests": r.total_requests,
            "total_tokens": str(
                r.total_tokens
                - sum(int(data.market.app_tokens(r.app.id, g) * f) for g, f in growing)
            ),
        }
        for r in ranking[q.offset : q.offset + q.limit]
    ]
    return {"data": rows, "meta": data.meta(start, end, at)}


def rankings_daily(data: PublishedData, params: Params, at: datetime) -> dict[str, Any]:
    q = rankings_query(params)
    if data.replays(q):
        assert data.replay is not None
        # The replay's first day is its dataset's first: earlier starts are clamped to it.
        start, end = resolve_window(params, data.latest_day(), data.replay.first)
        rows = data.replay.rows(start, end, q.period or "day")
    else:
        start, end = resolve_window(params, data.latest_day())
        rows = data.market.rankings_daily(
            start,
            end,
            period=q.period,
            modality=q.modality,
            context_bucket=q.context_bucket,
            category=q.category,
            language_type=q.language_type,
            data_end=data.latest_day(),
        )
    growing = data.growing(start, end, at)
    out = [
        {
            "date": r.date.isoformat(),
            "model_permaslug": r.model_permaslug,
            "total_tokens": str(
                r.total_tokens - bucket_shortfall(r.date, q.period, r.total_tokens, growing)
            ),
        }
        for r in rows
    ]
    return {"data": out, "meta": data.meta(start, end, at)}


def session_cost(data: PublishedData, params: Params, at: datetime) -> dict[str, Any]:
    q = session_query(params)
    if not data.session_cost_published:
        meta = {"as_of": data.as_of(at), "version": VERSION}
        return {"data": [], "meta": meta | {"window_days": None, "window_end_date": None}}
    window_end = data.session_cost_window_end()
    cells = [
        c
        for c in data.market.session_cost(window_end)
        if (q.app_slug is None or c.app_slug == q.app_slug)
        and (q.model is None or c.model_permaslug == q.model)
        and (q.turn_range is None or c.turn_range == q.turn_range)
    ]
    rows = [
        {
            "app_name": c.app_name,
            "app_slug": c.app_slug,
            "model_permaslug": c.model_permaslug,
            "turn_range": c.turn_range,
            "median_session_cost_usd": c.median_session_cost_usd,
        }
        for c in cells[q.offset : q.offset + q.limit]
    ]
    meta = {
        "as_of": data.as_of(at),
        "version": VERSION,
        "window_days": SESSION_WINDOW_DAYS,
        "window_end_date": window_end.isoformat(),
    }
    return {"data": rows, "meta": meta}


def task_classifications(data: PublishedData, params: Params, at: datetime) -> dict[str, Any]:
    """No ``meta``: ``data`` is one object whose ``as_of`` is the window's last day."""
    days = classification_window(params)
    end = data.latest_day()
    classes, macros = data.market.task_classifications(end - timedelta(days=days - 1), end)
    rows = [
        {
            "category_token_share": c.category_token_share,
            "category_usage_share": c.category_usage_share,
            "display_name": c.display_name,
            "macro_category": c.macro_category,
            "models": [
                {
                    "id": m.id,
                    "tag_token_share": m.tag_token_share,
                    "tag_usage_share": m.tag_usage_share,
                }
                for m in c.models
            ],
            "tag": c.tag,
            "token_share": c.token_share,
            "usage_share": c.usage_share,
        }
        for c in classes
    ]
    macro_rows = [
        {"key": m.key, "label": m.label, "token_share": m.token_share, "usage_share": m.usage_share}
        for m in macros
    ]
    return {
        "data": {
            "as_of": end.isoformat(),
            "classifications": rows,
            "macro_categories": macro_rows,
            "window_days": days,
        }
    }


def benchmark_scores(data: PublishedData, params: Params, at: datetime) -> dict[str, Any]:
    q = benchmarks_query(params)
    return benchmarks.body(data.market.seed, data.market.models, data.latest_day(), q)


def served(payload: dict[str, Any]) -> tuple[str, int]:
    """The ``as_of`` a 200 carried and its number of rows (classifications: tags)."""
    body = payload["data"]
    if isinstance(body, dict):
        return body["as_of"], len(body["classifications"])
    return payload["meta"]["as_of"], len(body)


ENDPOINTS: dict[str, Callable[[PublishedData, Params, datetime], dict[str, Any]]] = {
    APP_RANKINGS_PATH: app_rankings,
    RANKINGS_DAILY_PATH: rankings_daily,
    SESSION_COST_PATH: session_cost,
    TASK_CLASSIFICATIONS_PATH: task_classifications,
    BENCHMARKS_PATH: benchmark_scores,
}
