"""The simulator against the Data API reference, rule by rule.

Every docstring quotes (or names) the line of /work/shared/reference/openrouter-data-api.md
it checks. The clock is frozen at 2026-05-12T02:00Z, the reference's own example, so
"yesterday" is 2026-05-11 and the default window is 2026-04-12 … 2026-05-11.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_client import client_for

from exporter.simulator import ManualClock, Simulator
from exporter.simulator.catalog import CATEGORY_GROUPS, SUBCATEGORY_TO_CATEGORY

NOW = datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
YESTERDAY = date(2026, 5, 11)
APPS = "/datasets/app-rankings"
DAILY = "/datasets/rankings-daily"
COST = "/datasets/session-cost"


@pytest.fixture(scope="module")
def sim() -> Simulator:
    # Shared by read-only tests; limits raised so they never interfere.
    return Simulator(seed=42, now=lambda: NOW, requests_per_minute=10**9, requests_per_day=10**9)


@pytest.fixture(scope="module")
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with client_for(sim) as c:
        yield c


def get_ok(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def assert_400(client: httpx.Client, path: str, message: str | None = None, **params: Any) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == 400 and isinstance(error["message"], str) and error["message"]
    assert "metadata" in error
    if message is not None:
        assert error["message"] == message


# --------------------------------------------------------------------------- auth


def test_missing_key_is_401_with_the_live_body(sim: Simulator) -> None:
    """Example 401 body from the live API:
    `{"error":{"message":"No cookie auth credentials found","code":401}}`."""
    with client_for(sim, key=None) as anonymous:
        response = anonymous.get(APPS)
    assert response.status_code == 401
    assert (
        response.content == b'{"error":{"message":"No cookie auth credentials found","code":401}}'
    )
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer ", "Bearer", "sk-or-test"])
def test_malformed_authorization_counts_as_missing(sim: Simulator, header: str) -> None:
    """Auth: `Authorization: Bearer <OPENROUTER_API_KEY>`; anything else has no key (401)."""
    transport = sim.transport()
    with httpx.Client(transport=transport, base_url="http://sim/api/v1") as c:
        response = c.get(APPS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "No cookie auth credentials found"


def test_invalid_key_is_401_and_valid_key_passes() -> None:
    """401 | missing or invalid key."""
    sim = Simulator(seed=1, now=lambda: NOW, api_keys={"sk-good"})
    with client_for(sim, key="sk-bad") as bad, client_for(sim, key="sk-good") as good:
        rejected = bad.get(APPS)
        assert rejected.status_code == 401
        assert rejected.json()["error"]["code"] == 401
        assert good.get(APPS).status_code == 200


# --------------------------------------------------------------------------- rate limits


def test_per_minute_limit_is_per_key_and_slides() -> None:
    """**30 requests / minute per key**: the 31st request of one key inside 60 s is 429,
    another key is unaffected, and the window slides."""
    clock = ManualClock(NOW)
    sim = Simulator(seed=1, now=clock)
    with client_for(sim, key="a") as a, client_for(sim, key="b") as b:
        for _ in range(30):
            assert a.get(COST).status_code == 200
            clock.advance(seconds=1)
        limited = a.get(COST)
        assert limited.status_code == 429
        assert b.get(COST).status_code == 200
        clock.advance(seconds=31)  # the first of a's requests is now 61 s old
        assert a.get(COST).status_code == 200


def test_429_body_shape_and_no_retry_after_by_default() -> None:
    """JSON error body: `{"error": {"code": 429, "message": "…", "metadata": {…} | null}}`;
    whether a 429 carries `Retry-After` is undocumented, so by default it does not, and
    "A 200 carries no rate-limit headers"."""
    sim = Simulator(seed=1, now=lambda: NOW, requests_per_minute=1)
    with client_for(sim) as c:
        ok = c.get(COST)
        limited = c.get(COST)
    assert not any(h.lower().startswith(("x-ratelimit", "retry-after")) for h in ok.headers)
    assert limited.status_code == 429
    body = limited.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == 429
    assert body["error"]["metadata"] is None
    assert body["error"]["message"]
    assert "retry-after" not in limited.headers


def test_rate_limit_headers_option_adds_retry_after() -> None:
    """ "honour [Retry-After] when present": with the option on, waiting exactly that long
    is enough, even though the refused request itself counted."""
    clock = ManualClock(NOW)
    sim = Simulator(seed=1, now=clock, requests_per_minute=2, rate_limit_headers=True)
    with client_for(sim) as c:
        assert c.get(COST).status_code == 200
        clock.advance(seconds=10)
        assert c.get(COST).status_code == 200
        clock.advance(seconds=10)
        limited = c.get(COST)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "50"
        assert limited.headers["x-ratelimit-limit"] == "2"
        clock.advance(seconds=50)
        assert c.get(COST).status_code == 200


def test_refused_requests_still_count() -> None:
    """ "A request that is refused with 429 should still be assumed to count.\""""
    clock = ManualClock(NOW)
    sim = Simulator(seed=1, now=clock, requests_per_minute=2)
    with client_for(sim) as c:
        assert [c.get(COST).status_code for _ in range(2)] == [200, 200]
        clock.advance(seconds=10)
        assert c.get(COST).status_code == 429  # counted at t+10 s
        clock.advance(seconds=51)  # t+61 s: only the refused request is still in the window
        assert c.get(COST).status_code == 200
        assert c.get(COST).status_code == 429


def test_per_day_limit_is_per_account_across_keys() -> None:
    """**500 requests / day per account**: all keys share one daily budget (24 h sliding)."""
    clock = ManualClock(NOW)
    sim = Simulator(seed=1, now=clock, requests_per_day=5)
    with client_for(sim, key="a") as a, client_for(sim, key="b") as b:
        statuses = [(a if i % 2 else b).get(COST).status_code for i in range(5)]
        assert statuses == [200] * 5
        assert a.get(COST).status_code == 429
        assert b.get(COST).status_code == 429
        assert "day" in b.get(COST).json()["error"]["message"]
        clock.advance(hours=24, seconds=1)
        assert a.get(COST).status_code == 200


def test_unauthenticated_requests_do_not_spend_the_budget() -> None:
    """Limits are per key and per account: a request with no key belongs to neither."""
    sim = Simulator(seed=1, now=lambda: NOW, requests_per_minute=1)
    with client_for(sim, key=None) as anonymous, client_for(sim) as c:
        for _ in range(3):
            assert anonymous.get(COST).status_code == 401
        assert c.get(COST).status_code == 200


def test_400s_count_towards_the_limit() -> None:
    """Rate limits are "shared by every Data API endpoint" and every request counts,
    including ones refused for a bad parameter."""
    sim = Simulator(seed=1, now=lambda: NOW, requests_per_minute=2)
    with client_for(sim) as c:
        assert c.get(APPS, params={"limit": 0}).status_code == 400
        assert c.get(DAILY).status_code == 200
        assert c.get(COST).status_code == 429


# --------------------------------------------------------------------------- headers, meta


@pytest.mark.parametrize("path", [APPS, DAILY, COST])
def test_cache_control_and_content_type(client: httpx.Client, path: str) -> None:
    """ "Responses were observed with `cache-control: private, max-age=60,
    stale-while-revalidate=300`"."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, max-age=60, stale-while-revalidate=300"
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", [APPS, DAILY])
def test_dated_meta_block(client: httpx.Client, path: str) -> None:
    """meta: `{"as_of": "2026-05-12T02:00:00Z", "start_date": "2026-04-12",
    "end_date": "2026-05-11", "version": "v1"}`."""
    meta = get_ok(client, path)["meta"]
    assert set(meta) == {"as_of", "start_date", "end_date", "version"}
    assert meta["version"] == "v1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", meta["as_of"])
    assert meta["start_date"] == "2026-04-12" and meta["end_date"] == "2026-05-11"


def test_as_of_moves_on_every_request(client: httpx.Client) -> None:
    """ "`as_of` was also seen to move on every request" (even with a frozen clock here)."""
    stamps = [get_ok(client, path)["meta"]["as_of"] for path in (APPS, DAILY, COST, APPS)]
    parsed = [datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps]
    assert parsed == sorted(parsed) and len(set(parsed)) == 4


def test_session_cost_meta(client: httpx.Client) -> None:
    """Session-cost "Meta: `as_of`, `version`, `window_days` (nullable), `window_end_date`
    (nullable)"; "a 30-day window … `window_end_date` a Sunday"."""
    meta = get_ok(client, COST)["meta"]
    assert set(meta) == {"as_of", "version", "window_days", "window_end_date"}
    assert meta["version"] == "v1" and meta["window_days"] == 30
    assert meta["window_end_date"] == "2026-05-10"  # the Sunday before Tuesday 2026-05-12


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 5, 11), date(2026, 5, 10)),  # Monday: yesterday
        (date(2026, 5, 10), date(2026, 5, 3)),  # Sunday: the week before
        (date(2026, 5, 16), date(2026, 5, 10)),  # Saturday
    ],
)
def test_session_cost_window_end_is_previous_sunday(today: date, expected: date) -> None:
    """ "a 30-day window refreshed weekly; observed: `window_end_date` a Sunday"."""
    when = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    sim = Simulator(seed=1, now=lambda: when)
    assert sim.session_cost_window_end() == expected
    assert expected.weekday() == 6


def test_session_cost_without_snapshot_has_null_window(sim: Simulator) -> None:
    """ "`window_end_date` (nullable; null when no snapshot is published)"."""
    sim.session_cost_published = False
    try:
        with client_for(sim) as c:
            body = get_ok(c, COST)
    finally:
        sim.session_cost_published = True
    assert body["data"] == []
    assert body["meta"]["window_days"] is None and body["meta"]["window_end_date"] is None


# --------------------------------------------------------------------------- date windows


@pytest.mark.parametrize("path", [APPS, DAILY])
def test_default_window_is_thirty_days_ending_yesterday(client: httpx.Client, path: str) -> None:
    """ "Window of 30 days = `start_date` … `end_date` inclusive (2026-04-12 … 2026-05-11)";
    end_date defaults to the "most recent completed UTC day"."""
    meta = get_ok(client, path)["meta"]
    assert (meta["start_date"], meta["end_date"]) == ("2026-04-12", "2026-05-11")


def test_default_start_is_relative_to_given_end(client: httpx.Client) -> None:
    """start_date default: "30 days before end_date" (a 30-day inclusive window)."""
    meta = get_ok(client, APPS, end_date="2026-03-31")["meta"]
    assert (meta["start_date"], meta["end_date"]) == ("2026-03-02", "2026-03-31")


@pytest.mark.parametrize("end", ["2026-05-12", "2026-05-13", "2030-01-01"])
def test_today_or_later_is_clamped_to_yesterday(client: httpx.Client, end: str) -> None:
    """ "The current UTC day is never served: an `end_date` of today or later is clamped
    down to yesterday"."""
    meta = get_ok(client, DAILY, start_date="2026-05-01", end_date=end)["meta"]
    assert meta["end_date"] == "2026-05-11"


def test_today_never_appears_in_rows(client: httpx.Client) -> None:
    """ "The current UTC day is never served"."""
    rows = get_ok(client, DAILY, start_date="2026-05-10", end_date="2026-05-12")["data"]
    assert {r["date"] for r in rows} == {"2026-05-10", "2026-05-11"}


def test_start_before_floor_is_clamped_and_echoed(client: httpx.Client) -> None:
    """ "dataset starts 2025-01-01; earlier values are clamped forward and the resolved value
    is echoed in `meta.start_date`"."""
    meta = get_ok(client, APPS, start_date="2024-06-01", end_date="2025-01-31")["meta"]
    assert meta["start_date"] == "2025-01-01"


def test_end_before_floor_is_400(client: httpx.Client) -> None:
    """`end_date`: "before 2025-01-01 → 400"."""
    assert_400(client, APPS, end_date="2024-12-31")
    assert_400(client, DAILY, start_date="2024-12-01", end_date="2024-12-31")


def test_366_days_allowed_367_refused(client: httpx.Client) -> None:
    """ "Maximum span of one window: **366 days**; wider → 400" (inclusive day count)."""
    meta = get_ok(client, DAILY, start_date="2025-05-11", end_date="2026-05-11")["meta"]
    assert meta["start_date"] == "2025-05-11"
    assert_400(
        client,
        DAILY,
        "Date range cannot exceed 366 days (requested 367).",
        start_date="2025-05-10",
        end_date="2026-05-11",
    )


def test_span_message_matches_reference_example() -> None:
    """ "(`Date range cannot exceed 366 days (requested 623).`)"."""
    later = datetime(2026, 11, 24, 12, tzinfo=UTC)
    with client_for(Simulator(seed=1, now=lambda: later)) as c:
        assert_400(
            c,
            APPS,
            "Date range cannot exceed 366 days (requested 623).",
            start_date="2025-01-01",
            end_date="2026-09-15",
        )


def test_start_after_end_is_400(client: httpx.Client) -> None:
    """ "`start_date` after `end_date` → 400 (`start_date must be on or before end_date.`)"."""
    message = "start_date must be on or before end_date."
    assert_400(client, APPS, message, start_date="2026-03-02", end_date="2026-03-01")
    # A start of "today" is after the clamped end (yesterday).
    assert_400(client, DAILY, message, start_date="2026-05-12")


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2025-13-01", "2026-5-1", "2026/05/01", "yesterday", "", "20260501"]
)
@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_impossible_or_malformed_dates_are_400(client: httpx.Client, name: str, value: str) -> None:
    """ "an impossible date such as `2026-02-30` → 400"; format is `YYYY-MM-DD`."""
    assert_400(client, APPS, **{name: value})
    assert_400(client, DAILY, **{name: value})


def test_publication_lag_holds_back_end_date() -> None:
    """ "publication is sometimes delayed by a day or more … always read `meta.end_date`"."""
    sim = Simulator(seed=1, now=lambda: NOW, publication_lag_days=1)
    with client_for(sim) as c:
        assert get_ok(c, DAILY)["meta"]["end_date"] == "2026-05-10"
        sim.publication_lag_days = 0
        assert get_ok(c, DAILY)["meta"]["end_date"] == "2026-05-11"


def test_end_date_moves_with_the_clock() -> None:
    """ "`meta.end_date` moving forward does [signal new data]"."""
    clock = ManualClock(NOW)
    sim = Simulator(seed=1, now=clock)
    with client_for(sim) as c:
        first = get_ok(c, DAILY)
        clock.advance(days=1)
        second = get_ok(c, DAILY)
    assert first["meta"]["end_date"] == "2026-05-11"
    assert second["meta"]["end_date"] == "2026-05-12"
    assert second["data"][-1]["date"] == "2026-05-12"


# --------------------------------------------------------------------------- app-rankings


def test_app_rankings_row_shape_and_defaults(sim: Simulator, client: httpx.Client) -> None:
    """Row: `app_id` integer, `app_name`, `rank`, `total_requests` integer, `total_tokens` a
    **decimal string**; `limit` default 50; popular sorts "by total tokens in the window"."""
    rows = get_ok(client, APPS)["data"]
    assert len(rows) == 50
    for row in rows:
        assert list(row) == ["app_id", "app_name", "rank", "total_requests", "total_tokens"]
        assert type(row["app_id"]) is int and type(row["total_requests"]) is int
        assert isinstance(row["total_tokens"], str) and row["total_tokens"].isdigit()
    assert [r["rank"] for r in rows] == list(range(1, 51))
    tokens = [int(r["total_tokens"]) for r in rows]
    assert tokens == sorted(tokens, reverse=True)


def test_popular_matches_an_independent_computation(sim: Simulator, client: httpx.Client) -> None:
    """sort=popular: "by total tokens in the window" — recomputed from the raw daily series."""
    start, end = date(2026, 4, 12), date(2026, 5, 11)
    totals = []
    for app in sim.market.apps:
        tokens = sum(sim.market.app_tokens(app.id, start + timedelta(d)) for d in range(30))
        requests = sum(sim.market.app_requests(app.id, start + timedelta(d)) for d in range(30))
        if tokens:
            totals.append((-tokens, app.id, requests))
    totals.sort()
    rows = get_ok(client, APPS, limit=100)["data"]
    assert [(r["app_id"], int(r["total_tokens"]), r["total_requests"]) for r in rows] == [
        (app_id, -neg, req) for neg, app_id, req in totals[:100]
    ]
    assert sim.market.app_window(rows[0]["app_id"], start, end)[0] == int(rows[0]["total_tokens"])


def test_trending_is_excess_growth_over_three_prior_periods(
    sim: Simulator, client: httpx.Client
) -> None:
    """trending: "absolute excess growth = window volume − mean volume of the three
    equal-length periods right before the window. Apps with no excess growth are omitted"."""
    start, end = date(2026, 4, 12), date(2026, 5, 11)
    prior_start = start - timedelta(days=90)
    expected = []
    for app in sim.market.apps:
        window, _ = sim.market.app_window(app.id, start, end)
        prior, _ = sim.market.app_window(app.id, prior_start, start - timedelta(days=1))
        if 3 * window - prior > 0:
            expected.append((-(3 * window - prior), app.id))
    expected.sort()
    got = [
        r["app_id"]
        for offset in (0, 100)
        for r in get_ok(client, APPS, sort="trending", limit=100, offset=offset)["data"]
    ]
    assert got == [app_id for _, app_id in expected[:200]]
    assert len(expected) < len(sim.market.apps)  # some apps are omitted


def test_trending_can_return_fewer_than_limit(sim: Simulator, client: httpx.Client) -> None:
    """ "so trending can return fewer than `limit` rows"."""
    popular = get_ok(client, APPS, subcategory="legal", limit=100)["data"]
    trending = get_ok(client, APPS, subcategory="legal", sort="trending", limit=100)["data"]
    assert 0 < len(trending) < len(popular) < 100
    assert [r["rank"] for r in trending] == list(range(1, len(trending) + 1))


def test_offset_keeps_ranks_absolute(client: httpx.Client) -> None:
    """ "ranks stay absolute: the first row at offset=50 has `rank: 51`"."""
    full = get_ok(client, APPS, limit=100)["data"]
    page = get_ok(client, APPS, offset=50, limit=50)["data"]
    assert page[0]["rank"] == 51
    assert page == full[50:]


def test_at_most_200_apps_reachable(client: httpx.Client) -> None:
    """ "So at most 200 apps per ranking are reachable" (offset ≤ 100, limit ≤ 100)."""
    rows = get_ok(client, APPS, offset=100, limit=100)["data"]
    assert rows[0]["rank"] == 101 and rows[-1]["rank"] == 200
    assert_400(client, APPS, offset=101)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "-1"),
        ("limit", "abc"),
        ("limit", "1.5"),
        ("limit", ""),
        ("offset", "-1"),
        ("offset", "101"),
        ("offset", "x"),
    ],
)
def test_app_limit_offset_ranges(client: httpx.Client, name: str, value: str) -> None:
    """`limit` 1–100, `offset` 0–100; "400 | bad parameter (… limit/offset range …)"."""
    assert_400(client, APPS, **{name: value})


def test_app_limit_offset_bounds_accepted(client: httpx.Client) -> None:
    """`limit` 1–100 and `offset` 0–100 are inclusive ranges."""
    assert len(get_ok(client, APPS, limit=1)["data"]) == 1
    assert len(get_ok(client, APPS, limit=100, offset=0)["data"]) == 100
    assert get_ok(client, APPS, limit=1, offset=100)["data"][0]["rank"] == 101


@pytest.mark.parametrize(
    ("name", "value"),
    [("sort", "hot"), ("sort", "Popular"), ("category", "games"), ("subcategory", "chat")],
)
def test_app_bad_enums(client: httpx.Client, name: str, value: str) -> None:
    """`sort`: `popular`, `trending`; `category` and `subcategory` from fixed lists → 400."""
    assert_400(client, APPS, **{name: value})


@pytest.mark.parametrize("category", list(CATEGORY_GROUPS))
def test_category_filter_and_renumbering(
    sim: Simulator, client: httpx.Client, category: str
) -> None:
    """`category`: marketplace category group; "Ranks are renumbered 1..N after category
    filtering"; grouping per the *inferred* mapping."""
    rows = get_ok(client, APPS, category=category, limit=100)["data"]
    assert rows
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for row in rows:
        assert sim.market.app_by_id[row["app_id"]].category == category


def test_subcategory_takes_precedence_and_must_be_consistent(
    sim: Simulator, client: httpx.Client
) -> None:
    """subcategory "takes precedence over category; if both are given they must be
    consistent (else 400)"."""
    alone = get_ok(client, APPS, subcategory="cli-agent", limit=100)["data"]
    both = get_ok(client, APPS, subcategory="cli-agent", category="coding", limit=100)["data"]
    assert alone == both and alone
    assert all(sim.market.app_by_id[r["app_id"]].subcategory == "cli-agent" for r in alone)
    assert SUBCATEGORY_TO_CATEGORY["roleplay"] == "entertainment"
    assert_400(client, APPS, subcategory="roleplay", category="coding")


def test_apps_without_subcategory_only_in_unfiltered_rankings(
    sim: Simulator, client: httpx.Client
) -> None:
    """Category filter: "Only apps tagged with a subcategory inside this group are returned"
    (SDK docstring); untagged apps still rank overall."""
    untagged = {a.id for a in sim.market.apps if a.subcategory is None}
    overall = {
        r["app_id"] for off in (0, 100) for r in get_ok(client, APPS, limit=100, offset=off)["data"]
    }
    assert untagged & overall
    for category in CATEGORY_GROUPS:
        rows = get_ok(client, APPS, category=category, limit=100)["data"]
        assert not untagged & {r["app_id"] for r in rows}


def test_hostile_app_names_round_trip(sim: Simulator, client: httpx.Client) -> None:
    """ "`app_name` free text (any characters: quotes, backslashes, newlines, emoji — treat
    as untrusted)"."""
    rows = [r for off in (0, 100) for r in get_ok(client, APPS, limit=100, offset=off)["data"]]
    names = {r["app_name"] for r in rows}
    for needle in ('"', "\\", "\n", "🚀"):
        assert any(needle in n for n in names), needle
    assert any(len(n) > 200 for n in names)
    for row in rows:
        assert row["app_name"] == sim.market.app_by_id[row["app_id"]].name


# --------------------------------------------------------------------------- rankings-daily


def _by_date(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["date"], []).append(row)
    return out


def test_daily_top50_plus_other_in_documented_order(client: httpx.Client) -> None:
    """ "Up to 51 rows per date … Rows sorted by `date` ascending, then `total_tokens`
    descending, ties broken alphabetically by `model_permaslug`; `other` is always last"."""
    body = get_ok(client, DAILY)
    rows = body["data"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    groups = _by_date(rows)
    assert len(groups) == 30
    for day_rows in groups.values():
        assert len(day_rows) == 51
        assert day_rows[-1]["model_permaslug"] == "other"
        models = day_rows[:-1]
        keys = [(-int(r["total_tokens"]), r["model_permaslug"]) for r in models]
        assert keys == sorted(keys)
        assert all(list(r) == ["date", "model_permaslug", "total_tokens"] for r in day_rows)
        assert all(r["total_tokens"].isdigit() for r in day_rows)


def test_other_sums_every_model_outside_top_50(sim: Simulator, client: httpx.Client) -> None:
    """ "one `other` row summing every model outside the top 50" — recomputed per model."""
    day = date(2026, 5, 1)
    rows = get_ok(client, DAILY, start_date="2026-05-01", end_date="2026-05-01")["data"]
    everything = sorted(
        (
            (-sim.market.model_tokens(m.permaslug, day), m.permaslug)
            for m in sim.market.models
            if sim.market.model_tokens(m.permaslug, day) > 0
        ),
    )
    assert [r["model_permaslug"] for r in rows[:-1]] == [slug for _, slug in everything[:50]]
    assert int(rows[-1]["total_tokens"]) == -sum(neg for neg, _ in everything[50:])


def test_ties_break_alphabetically(client: httpx.Client) -> None:
    """ "ties broken alphabetically by `model_permaslug`" (two models with equal series)."""
    rows = get_ok(client, DAILY, start_date="2025-05-01", end_date="2025-05-31")["data"]
    twins = ("qwen/qwen3-235b-a22b-04-28", "qwen/qwen3-30b-a3b-04-28")
    seen = 0
    for day_rows in _by_date(rows).values():
        slugs = [r["model_permaslug"] for r in day_rows]
        if twins[0] in slugs and twins[1] in slugs:
            i = slugs.index(twins[0])
            assert slugs[i + 1] == twins[1]
            assert day_rows[i]["total_tokens"] == day_rows[i + 1]["total_tokens"]
            seen += 1
    assert seen > 20


def test_other_omitted_when_tail_is_empty(client: httpx.Client) -> None:
    """ "(omitted when that tail is empty)": early 2025 had fewer than 50 models."""
    rows = get_ok(client, DAILY, start_date="2025-01-01", end_date="2025-01-05")["data"]
    for day_rows in _by_date(rows).values():
        assert len(day_rows) < 50
        assert all(r["model_permaslug"] != "other" for r in day_rows)


def test_zero_token_models_dropped(sim: Simulator, client: httpx.Client) -> None:
    """ "Zero-token models (non-token endpoints) are dropped before ranking.\""""
    zero = {m.permaslug for m in sim.market.models if m.zero_token}
    assert zero
    for params in ({}, {"modality": "image_output"}, {"modality": "audio"}):
        rows = get_ok(client, DAILY, **params)["data"]
        assert not zero & {r["model_permaslug"] for r in rows}
        assert all(int(r["total_tokens"]) > 0 for r in rows)


def test_variants_rank_as_their_own_entry(client: httpx.Client) -> None:
    """ "non-default variants carry a `:variant` suffix (`…:free`) and rank as their own
    entry"."""
    slugs = {r["model_permaslug"] for r in get_ok(client, DAILY)["data"]}
    free = {s for s in slugs if s.endswith(":free")}
    assert free and any(s.removesuffix(":free") in slugs for s in free)


def test_missing_history_days_have_no_rows(client: httpx.Client) -> None:
    """ "Some days are missing from the history (reported: 2025-06-15, 2025-07-15)"."""
    rows = get_ok(client, DAILY, start_date="2025-06-14", end_date="2025-06-16")["data"]
    assert {r["date"] for r in rows} == {"2025-06-14", "2025-06-16"}


def test_launch_mid_history(client: httpx.Client) -> None:
    """Launches: a model appears only from its launch day."""
    before = get_ok(client, DAILY, start_date="2025-05-21", end_date="2025-05-21")["data"]
    after = get_ok(client, DAILY, start_date="2025-06-01", end_date="2025-06-01")["data"]
    slug = "anthropic/claude-4-sonnet-20250522"
    assert slug not in {r["model_permaslug"] for r in before}
    assert slug in {r["model_permaslug"] for r in after}


def test_week_buckets_by_iso_week_with_partial_trailing_bucket(
    sim: Simulator, client: httpx.Client
) -> None:
    """ "week buckets by ISO week start"; "`period=week` … return a partial trailing bucket
    that is not marked as partial"."""
    body = get_ok(client, DAILY, period="week", start_date="2026-04-13", end_date="2026-05-06")
    groups = _by_date(body["data"])
    assert list(groups) == ["2026-04-13", "2026-04-20", "2026-04-27", "2026-05-04"]
    assert all(date.fromisoformat(d).weekday() == 0 for d in groups)
    slug = "google/gemini-2.5-flash"
    trailing = {r["model_permaslug"]: int(r["total_tokens"]) for r in groups["2026-05-04"]}
    # Monday 2026-05-04 … Wednesday 2026-05-06 only: partial, same shape as full weeks.
    assert trailing[slug] == sim.market.model_window(slug, date(2026, 5, 4), date(2026, 5, 6))
    assert all(set(r) == {"date", "model_permaslug", "total_tokens"} for r in body["data"])
    full = {r["model_permaslug"]: int(r["total_tokens"]) for r in groups["2026-04-27"]}
    assert full[slug] == sim.market.model_window(slug, date(2026, 4, 27), date(2026, 5, 3))


def test_month_buckets_by_month_start(sim: Simulator, client: httpx.Client) -> None:
    """ "month by month start", with a partial trailing month."""
    body = get_ok(client, DAILY, period="month", start_date="2026-02-01", end_date="2026-05-11")
    groups = _by_date(body["data"])
    assert list(groups) == ["2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]
    may = {r["model_permaslug"]: int(r["total_tokens"]) for r in groups["2026-05-01"]}
    slug = "google/gemini-2.5-flash"
    assert may[slug] == sim.market.model_window(slug, date(2026, 5, 1), date(2026, 5, 11))


def test_modality_slice_filters_models_with_all_their_traffic(
    sim: Simulator, client: httpx.Client
) -> None:
    """ "Modality slices filter models by capability and overlap (an image-capable model
    counts in `image` for all its traffic)"."""
    params = {"start_date": "2026-05-11", "end_date": "2026-05-11"}
    everything = {
        r["model_permaslug"]: r["total_tokens"]
        for r in get_ok(client, DAILY, **params)["data"]
        if r["model_permaslug"] != "other"
    }
    image = get_ok(client, DAILY, modality="image", **params)["data"]
    text = get_ok(client, DAILY, modality="text", **params)["data"]
    image_models = {r["model_permaslug"] for r in image} - {"other"}
    assert image_models and image_models & {r["model_permaslug"] for r in text}
    for row in image:
        if row["model_permaslug"] == "other":
            continue
        assert "image" in sim.market.model_by_slug[row["model_permaslug"]].capabilities
        if row["model_permaslug"] in everything:
            assert row["total_tokens"] == everything[row["model_permaslug"]]


def test_context_bucket_slices_are_subsets_scaled_down(
    sim: Simulator, client: httpx.Client
) -> None:
    """`context_bucket` (`1K` … `10M`) is an "exact dataset": a share of each model's
    traffic; the slices overlap in models, so never sum across views."""
    params = {"start_date": "2026-05-11", "end_date": "2026-05-11"}
    full = {
        r["model_permaslug"]: int(r["total_tokens"])
        for r in get_ok(client, DAILY, **params)["data"]
    }
    seen: list[set[str]] = []
    for bucket in ("1K", "10K", "100K", "1M", "10M"):
        rows = get_ok(client, DAILY, context_bucket=bucket, **params)["data"]
        assert rows, bucket
        models = {r["model_permaslug"] for r in rows} - {"other"}
        for row in rows:
            slug = row["model_permaslug"]
            if slug != "other":
                day = date(2026, 5, 11)
                assert int(row["total_tokens"]) <= sim.market.model_tokens(slug, day)
                if slug in full:
                    assert int(row["total_tokens"]) <= full[slug]
        seen.append(models)
    assert seen[1] & seen[2]  # overlapping model sets
    assert len(seen[4]) < len(seen[2])  # only long-context models reach 10M


@pytest.mark.parametrize("name", ["category", "language_type"])
def test_estimate_views_refuse_period_day(client: httpx.Client, name: str) -> None:
    """`category` / `language_type`: "weekly-grain estimates; … `period=day` → 400"."""
    assert_400(client, DAILY, period="day", **{name: "programming"})
    for period in ("week", "month"):
        assert get_ok(client, DAILY, period=period, **{name: "programming"})["data"]


@pytest.mark.parametrize("name", ["category", "language_type"])
def test_estimate_views_default_to_weekly(client: httpx.Client, name: str) -> None:
    """Where the reference and SDK differ, "the newer SDK reflects the live API": with
    `category` or `language_type` "only `week` (default) and `month` are available"."""
    rows = get_ok(client, DAILY, **{name: "programming"})["data"]
    assert rows
    assert all(date.fromisoformat(r["date"]).weekday() == 0 for r in rows)


@pytest.mark.parametrize("name", ["category", "language_type"])
@pytest.mark.parametrize(("other", "value"), [("modality", "text"), ("context_bucket", "10K")])
def test_estimate_views_not_combinable(
    client: httpx.Client, name: str, other: str, value: str
) -> None:
    """category/language_type: "not combinable with the others"."""
    assert_400(client, DAILY, period="week", **{name: "programming", other: value})


def test_category_and_language_type_not_combinable(client: httpx.Client) -> None:
    """ "same restrictions as `category`": the two estimate views exclude each other."""
    assert_400(client, DAILY, period="week", category="roleplay", language_type="natural")


def test_estimate_views_are_weekly_and_smaller_than_totals(
    sim: Simulator, client: httpx.Client
) -> None:
    """ "sampled, upsampled, weekly-grain estimates": one row per ISO week, a fraction of
    the model's traffic in that whole week."""
    body = get_ok(
        client, DAILY, period="week", category="roleplay", start_date="2026-04-13",
        end_date="2026-04-26",
    )  # fmt: skip
    groups = _by_date(body["data"])
    assert list(groups) == ["2026-04-13", "2026-04-20"]
    for week, rows in groups.items():
        monday = date.fromisoformat(week)
        for row in rows:
            if row["model_permaslug"] != "other":
                total = sim.market.model_window(
                    row["model_permaslug"], monday, monday + timedelta(days=6)
                )
                assert 0 < int(row["total_tokens"]) < total


def test_estimate_trailing_week_includes_traffic_past_end_date(client: httpx.Client) -> None:
    """SDK: "the trailing weekly bucket may include traffic past `end_date`" — a week's
    estimate is the same whichever day of it the window ends on."""
    ends_wednesday = get_ok(
        client, DAILY, category="programming", start_date="2026-04-20", end_date="2026-04-22"
    )
    ends_sunday = get_ok(
        client, DAILY, category="programming", start_date="2026-04-20", end_date="2026-04-26"
    )
    assert ends_wednesday["meta"]["end_date"] == "2026-04-22"
    assert ends_wednesday["data"] == ends_sunday["data"]


def test_estimate_months_sum_weeks_by_week_start_month(client: httpx.Client) -> None:
    """SDK: "For those sampled datasets `period=month` buckets each week by its week-start
    month, so totals are approximate at month boundaries"."""
    params = {"language_type": "natural", "start_date": "2026-03-02", "end_date": "2026-03-31"}
    weeks = _by_date(get_ok(client, DAILY, period="week", **params)["data"])
    months = _by_date(get_ok(client, DAILY, period="month", **params)["data"])
    assert list(weeks) == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]
    assert list(months) == ["2026-03-01"]  # the week of Monday 30 March belongs to March
    top = months["2026-03-01"][0]
    weekly = [
        int(r["total_tokens"])
        for rows in weeks.values()
        for r in rows
        if r["model_permaslug"] == top["model_permaslug"]
    ]
    assert len(weekly) == 5 and sum(weekly) == int(top["total_tokens"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("period", "year"),
        ("period", "Week"),
        ("modality", "video"),
        ("context_bucket", "100k"),
        ("context_bucket", "2M"),
        ("category", "coding"),
        ("language_type", "english"),
    ],
)
def test_daily_bad_enums(client: httpx.Client, name: str, value: str) -> None:
    """`period`, `modality`, `context_bucket`, `category`, `language_type` take the listed
    values only."""
    extra = {"period": "week"} if name in ("category", "language_type") else {}
    assert_400(client, DAILY, **{name: value}, **extra)


# --------------------------------------------------------------------------- session-cost


def test_session_cost_cells_and_default_limit(sim: Simulator, client: httpx.Client) -> None:
    """ "~650 cells over 4 harnesses, so the default `limit=100` truncates"; rows carry
    `app_name`, `app_slug`, `model_permaslug`, `turn_range`, `median_session_cost_usd`
    (number)."""
    assert len(get_ok(client, COST)["data"]) == 100
    cells = [
        row
        for offset in range(0, 1000, 500)
        for row in get_ok(client, COST, limit=500, offset=offset)["data"]
    ]
    assert 600 <= len(cells) <= 700
    assert {c["app_slug"] for c in cells} == {"claude-code", "cline", "kilo-code", "roo-code"}
    assert {c["turn_range"] for c in cells} == {
        "1-turn", "2-9-turns", "10-49-turns", "50-plus-turns",
    }  # fmt: skip
    for slug in {c["app_slug"] for c in cells}:
        models = {c["model_permaslug"] for c in cells if c["app_slug"] == slug}
        assert 35 <= len(models) <= 45
    for cell in cells:
        assert set(cell) == {
            "app_name", "app_slug", "model_permaslug", "turn_range", "median_session_cost_usd",
        }  # fmt: skip
        assert isinstance(cell["median_session_cost_usd"], int | float)
        assert cell["model_permaslug"] in sim.market.model_by_slug


def test_session_cost_filters(client: httpx.Client) -> None:
    """Query: `app_slug`, `model` (exact permaslug), `turn_range`."""
    rows = get_ok(client, COST, app_slug="cline", turn_range="1-turn", limit=500)["data"]
    assert rows and all(r["app_slug"] == "cline" and r["turn_range"] == "1-turn" for r in rows)
    model = rows[0]["model_permaslug"]
    across = get_ok(client, COST, model=model, limit=500)["data"]
    assert {r["model_permaslug"] for r in across} == {model}
    assert len({r["app_slug"] for r in across}) >= 1
    assert get_ok(client, COST, model=model.upper())["data"] == []  # exact match only
    assert get_ok(client, COST, app_slug="nope")["data"] == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("turn_range", "2-10-turns"),
        ("limit", "0"),
        ("limit", "501"),
        ("offset", "-1"),
        ("offset", "5001"),
    ],
)
def test_session_cost_parameter_ranges(client: httpx.Client, name: str, value: str) -> None:
    """`turn_range` enum, `limit` 1–500 (default 100), `offset` 0–5000."""
    assert_400(client, COST, **{name: value})


def test_session_cost_offset_past_the_end_is_empty(client: httpx.Client) -> None:
    """`offset` up to 5000 is valid even past the ~650 cells."""
    assert get_ok(client, COST, offset=5000, limit=500)["data"] == []


def test_session_cost_ignores_date_parameters(client: httpx.Client) -> None:
    """ "No date parameters: only the current snapshot exists"."""
    plain = get_ok(client, COST)
    dated = get_ok(client, COST, start_date="2025-01-01", end_date="2025-02-01")
    assert plain["data"] == dated["data"]


# --------------------------------------------------------------------------- errors, log


@pytest.mark.parametrize(
    "url",
    [
        "http://sim/api/v1/datasets/nope",
        "http://sim/api/v1/datasets/app-rankings/",
        "http://sim/api/v2/datasets/app-rankings",
        "http://sim/datasets/app-rankings",
    ],
)
def test_unknown_paths_are_404_json(client: httpx.Client, url: str) -> None:
    """JSON error body: `{"error": {"code": …, "message": "…", "metadata": … | null}}`."""
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {"code": 404, "message": response.json()["error"]["message"], "metadata": None}
    }


def test_non_get_is_405(client: httpx.Client) -> None:
    """The Data API endpoints are GET only."""
    response = client.post(APPS)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == 405


def test_log_records_every_request() -> None:
    """Tests need to see what the client sent: time, path, params, key, status."""
    clock = ManualClock(NOW)
    sim = Simulator(seed=1, now=clock)
    with client_for(sim, key="k1") as c, client_for(sim, key=None) as anonymous:
        c.get(APPS, params={"limit": 5, "sort": "trending"})
        clock.advance(seconds=5)
        anonymous.get(DAILY)
        c.get("/datasets/nope")
    log = sim.log
    assert [(r.path, r.key, r.status) for r in log] == [
        (APPS, "k1", 200),
        (DAILY, None, 401),
        ("/datasets/nope", "k1", 404),
    ]
    assert log[0].params == {"limit": "5", "sort": "trending"}
    assert log[0].time == NOW and log[1].time == NOW + timedelta(seconds=5)
    log.clear()  # a snapshot: clearing it does not touch the simulator
    assert len(sim.log) == 3


def test_json_is_compact_utf8(client: httpx.Client) -> None:
    """Names are "any characters": sent as raw UTF-8 JSON, decodable by any client."""
    raw = client.get(APPS, params={"limit": 100}).content
    assert "🚀".encode() in raw
    assert json.loads(raw.decode("utf-8"))["data"]


@settings(max_examples=150, deadline=None)
@given(
    start=st.one_of(st.none(), st.dates(date(2024, 6, 1), date(2026, 8, 1))),
    end=st.one_of(st.none(), st.dates(date(2024, 6, 1), date(2026, 8, 1))),
)
def test_window_resolution_invariants(
    client: httpx.Client, start: date | None, end: date | None
) -> None:
    """Every date rule at once: a request is either a 400 or resolves to a window with
    2025-01-01 ≤ start ≤ end ≤ yesterday and at most 366 days, echoing a clamped start."""
    params = {
        k: v.isoformat() for k, v in (("start_date", start), ("end_date", end)) if v is not None
    }
    response = client.get(DAILY, params=params)
    if response.status_code == 400:
        effective_end = min(end or YESTERDAY, YESTERDAY)
        effective_start = max(start or effective_end - timedelta(days=29), date(2025, 1, 1))
        assert (
            (end is not None and end < date(2025, 1, 1))
            or effective_start > effective_end
            or (effective_end - effective_start).days + 1 > 366
        )
        return
    assert response.status_code == 200
    meta = response.json()["meta"]
    got_start = date.fromisoformat(meta["start_date"])
    got_end = date.fromisoformat(meta["end_date"])
    assert date(2025, 1, 1) <= got_start <= got_end <= YESTERDAY
    assert (got_end - got_start).days + 1 <= 366
    assert got_end == min(end or YESTERDAY, YESTERDAY)
    if start is not None:
        assert got_start == max(start, date(2025, 1, 1))
    rows = response.json()["data"]
    assert all(meta["start_date"] <= r["date"] <= meta["end_date"] for r in rows)
