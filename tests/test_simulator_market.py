"""The synthetic market: determinism and realism of its shape. (How fast it is built and
queried is a figure of `make bench`: bench/inprocess.py.)"""

from __future__ import annotations

import re
import statistics
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sim_client import client_for

from exporter.simulator import ManualClock, Market, Simulator
from exporter.simulator.catalog import HOSTILE_APP_NAMES, SUBCATEGORIES

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
END = date(2026, 5, 11)


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(42, until=END)


def test_same_seed_same_data(market: Market) -> None:
    """Determinism: two independent builds from one seed agree on every figure."""
    other = Market(42, until=END)
    assert other.apps == market.apps
    assert other.models == market.models
    for app in market.apps:
        assert other.app_window(app.id, date(2025, 1, 1), END) == market.app_window(
            app.id, date(2025, 1, 1), END
        )
    for model in market.models:
        assert other.model_window(model.permaslug, date(2025, 1, 1), END) == (
            market.model_window(model.permaslug, date(2025, 1, 1), END)
        )
    assert other.session_cost(date(2026, 5, 10)) == market.session_cost(date(2026, 5, 10))


def test_same_seed_same_responses() -> None:
    """Determinism end to end: identical bodies apart from the moving `as_of`."""
    bodies = []
    for _ in range(2):
        sim = Simulator(seed=9, now=lambda: NOW)
        with client_for(sim) as c:
            bodies.append(
                [
                    c.get(path, params=params).json()["data"]
                    for path, params in [
                        ("/datasets/app-rankings", {"sort": "trending"}),
                        ("/datasets/rankings-daily", {"period": "week"}),
                        ("/datasets/session-cost", {"limit": 500}),
                    ]
                ]
            )
    assert bodies[0] == bodies[1]


def test_different_seed_different_data(market: Market) -> None:
    other = Market(43, until=END)
    assert [a.id for a in other.apps] != [a.id for a in market.apps]
    slug = "google/gemini-2.5-flash"
    assert other.model_tokens(slug, END) != market.model_tokens(slug, END)


def test_history_does_not_depend_on_horizon(market: Market) -> None:
    """Values are pure functions of (seed, day): growing the history lazily (a simulated
    clock moving on) never rewrites a published day."""
    short = Market(42, until=date(2025, 3, 1))
    assert short.last_materialised_day == date(2025, 3, 1)
    for day in (date(2025, 2, 1), date(2025, 9, 9), END):
        for app in market.apps[:40]:
            assert short.app_tokens(app.id, day) == market.app_tokens(app.id, day)
            assert short.app_requests(app.id, day) == market.app_requests(app.id, day)
    assert short.last_materialised_day >= END


def test_clock_far_in_the_future_extends_history() -> None:
    clock = ManualClock(NOW)
    sim = Simulator(seed=5, now=clock)
    clock.advance(days=800)
    with client_for(sim) as c:
        body = c.get("/datasets/rankings-daily").json()
    assert body["meta"]["end_date"] == (NOW.date() + timedelta(days=799)).isoformat()
    assert len(body["data"]) > 30 * 40


def test_apps(market: Market) -> None:
    """~300 apps, stable unique integer ids, one subcategory each or none."""
    assert len(market.apps) == 300
    ids = [a.id for a in market.apps]
    assert len(set(ids)) == 300 and all(isinstance(i, int) and i > 0 for i in ids)
    assert all(a.subcategory is None or a.subcategory in SUBCATEGORIES for a in market.apps)
    untagged = [a for a in market.apps if a.subcategory is None]
    assert 5 <= len(untagged) <= 60
    assert {a.subcategory for a in market.apps} >= set(SUBCATEGORIES)
    names = [a.name for a in market.apps]
    assert set(HOSTILE_APP_NAMES) <= set(names)
    assert names.count("Chatbot") == 2  # two apps, one display name: key on app_id


def test_models(market: Market) -> None:
    """~120 models from many authors, permaslugs like `openai/gpt-4o-2024-05-13`, some
    `:free` and other `:variant` suffixes."""
    slugs = [m.permaslug for m in market.models]
    assert 100 <= len(slugs) <= 140 and len(set(slugs)) == len(slugs)
    assert "other" not in slugs
    assert all(re.fullmatch(r"[a-z0-9.-]+/[a-z0-9.-]+(:[a-z]+)?", s, re.IGNORECASE) for s in slugs)
    assert len({m.author for m in market.models}) >= 25
    variants = {m.variant for m in market.models if m.variant}
    assert "free" in variants and variants - {"free"}
    assert "openai/gpt-4o-2024-05-13" in slugs


def test_heavy_tail(market: Market) -> None:
    """Heavy-tailed sizes: the top app dwarfs the median app."""
    start = END - timedelta(days=29)
    totals = sorted(market.app_window(a.id, start, END)[0] for a in market.apps)
    assert totals[-1] > 20 * statistics.median(totals)


def test_growth(market: Market) -> None:
    """The whole market grows over the history."""

    def total(day: date) -> int:
        return sum(market.model_tokens(m.permaslug, day) for m in market.models)

    assert total(date(2026, 5, 6)) > 3 * total(date(2025, 1, 8))


def test_weekly_seasonality(market: Market) -> None:
    """Coding apps dip at weekends."""
    coding = [a for a in market.apps if a.category == "coding" and a.launch is None]
    weekdays = weekends = 0
    monday = date(2026, 4, 6)
    for week in range(4):
        for offset in range(7):
            day = monday + timedelta(days=7 * week + offset)
            volume = sum(market.app_tokens(a.id, day) for a in coding)
            if offset < 5:
                weekdays += volume
            else:
                weekends += volume
    assert weekends / 2 < 0.9 * weekdays / 5


def test_launches(market: Market) -> None:
    """Launches: apps that appear mid-history have no traffic before their launch day."""
    late = [a for a in market.apps if a.launch is not None]
    assert len(late) > 30
    for app in late:
        assert app.launch is not None
        assert market.app_tokens(app.id, app.launch - timedelta(days=1)) == 0
        assert market.app_tokens(app.id, app.launch + timedelta(days=60)) > 0


def test_declines_and_retirements(market: Market) -> None:
    """Declines: some models lose most of their traffic; cloaked models vanish."""
    declined = 0
    for model in market.models:
        if model.zero_token:
            continue
        monthly = [
            market.model_window(model.permaslug, d, d + timedelta(days=29))
            for d in (date(2025, 1, 1) + timedelta(days=30 * i) for i in range(16))
        ]
        if max(monthly) > 0 and monthly[-1] < 0.3 * max(monthly):
            declined += 1
    assert declined >= 10
    assert market.model_tokens("openrouter/horizon-beta", date(2025, 8, 10)) > 0
    assert market.model_tokens("openrouter/horizon-beta", date(2025, 8, 15)) == 0


def test_rank_swaps(market: Market) -> None:
    """Rank swaps: the leading model changes over the history."""
    leaders = {
        market.rankings_daily(d, d)[0].model_permaslug
        for d in (date(2025, 1, 1) + timedelta(days=30 * i) for i in range(16))
    }
    assert len(leaders) >= 3


def test_session_cost_cells(market: Market) -> None:
    """4 harnesses, ~40 models each, all 4 turn ranges: ~650 cells; costs rise with turns."""
    cells = market.session_cost(date(2026, 5, 10))
    assert 600 <= len(cells) <= 700
    by_key = {(c.app_slug, c.model_permaslug, c.turn_range): c for c in cells}
    rising = 0
    for (app, model, turn), cell in by_key.items():
        longer = by_key.get((app, model, "50-plus-turns"))
        if turn == "1-turn" and longer and cell.median_session_cost_usd > 0:
            rising += longer.median_session_cost_usd > cell.median_session_cost_usd
    assert rising > 100
    assert any(c.median_session_cost_usd == 0 for c in cells)  # free variants
    # Weekly refresh: a new snapshot has new figures.
    assert market.session_cost(date(2026, 5, 17)) != cells


def test_big_values_are_exact(market: Market) -> None:
    """Totals are exact integers well beyond 32 bits (the API sends decimal strings)."""
    start = END - timedelta(days=365)
    top = max(market.model_window(m.permaslug, start, END) for m in market.models)
    assert isinstance(top, int) and top > 2**40


def test_concurrent_handling_is_safe() -> None:
    """`handle` is thread-safe: concurrent requests are all answered and logged."""
    sim = Simulator(seed=3, now=lambda: NOW, requests_per_minute=10**6, requests_per_day=10**6)
    errors: list[BaseException] = []

    def worker(key: str) -> None:
        try:
            with client_for(sim, key=key) as c:
                for _ in range(10):
                    assert c.get("/datasets/app-rankings").status_code == 200
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"k{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(sim.log) == 80


def test_markets_are_shared_per_seed_unless_given() -> None:
    """Simulators of one seed share the generated market (cheap to build); a private one
    can be passed in for tests that alter data."""
    a, b = Simulator(seed=11, now=lambda: NOW), Simulator(seed=11, now=lambda: NOW)
    assert a.market is b.market
    assert Simulator(seed=12, now=lambda: NOW).market is not a.market
    private = Market(11, until=END)
    private.apps.pop()
    c = Simulator(seed=11, now=lambda: NOW, market=private)
    assert c.market is private and len(a.market.apps) == 300
