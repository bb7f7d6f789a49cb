"""Data API client against a respx-mocked API: requests, pagination, parsing, typed errors."""

from __future__ import annotations

import contextlib
import email.utils
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from exporter import __version__, responses
from exporter.budget import BudgetExhausted
from exporter.client import (
    ApiError,
    BadRequest,
    Client,
    HttpError,
    MalformedResponse,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedContentType,
)
from exporter.config import Config
from exporter.configfile import parse_config
from exporter.datasets.apps import AppRow, AppView, app_rankings, app_rankings_pages, app_views
from exporter.datasets.models import ModelDayRow, model_views, rankings_daily
from exporter.datasets.session_cost import SessionCostRow, session_cost
from exporter.snapshot import Meta

BASE = "https://openrouter.example/api/v1"
KEY = "sk-or-v1-TESTKEY-d1st1nct1ve-7f3a9c"
END = date(2026, 5, 11)
NOW = datetime(2026, 5, 12, 12, 0, 0, tzinfo=UTC).timestamp()

META = {
    "as_of": "2026-05-12T02:00:00Z",
    "start_date": "2026-04-12",
    "end_date": "2026-05-11",
    "version": "v1",
}


def config(**openrouter: Any) -> Config:
    return parse_config(
        {
            "openrouter": {"base_url": BASE, **openrouter},
            "apps": {
                "windows": ["1d", "7d", "30d"],
                "sorts": ["popular", "trending"],
                "filters": ["all", "coding", "cli-agent"],
                "depth": 50,
            },
        }
    )


def app_view(name: str = "7d/popular/all", depth: int | None = None) -> AppView:
    view = {v.name: v for v in app_views(config())}[name]
    if depth is not None:
        view = AppView(
            view.window_days,
            view.sort,
            view.filter,
            view.category_param,
            view.subcategory_param,
            depth,
        )
    return view


def app_row(rank: int) -> dict[str, Any]:
    return {
        "app_id": 1000 + rank,
        "app_name": f"App #{rank}",
        "rank": rank,
        "total_requests": 5000 - rank,
        "total_tokens": str(9_000_000 - rank * 1000),
    }


def app_body(ranks: range | list[int]) -> dict[str, Any]:
    return {"data": [app_row(r) for r in ranks], "meta": META}


def fake_app_api(available: int) -> Callable[[httpx.Request], httpx.Response]:
    """Answers like the API: rows offset+1 … offset+limit of ``available`` apps."""

    def handler(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        return httpx.Response(
            200, json=app_body(range(offset + 1, min(offset + limit, available) + 1))
        )

    return handler


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def client() -> Iterator[Client]:
    c = Client(config(), KEY, clock=lambda: NOW)
    yield c
    c.close()


# --- app-rankings: the request ---------------------------------------------------------


def test_app_rankings_request_url_params_and_headers(api: respx.MockRouter) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body(range(1, 4)))
    )
    c = Client(
        config(
            http_referer="https://dash.example.org",
            title="Team dashboards",
            categories=["cli-agent", "ide-extension"],
        ),
        KEY,
    )

    app_rankings(c, app_view("7d/popular/coding"), END)

    assert route.call_count == 1
    request = route.calls.last.request
    assert str(request.url).startswith(f"{BASE}/datasets/app-rankings?")
    assert dict(request.url.params) == {
        "sort": "popular",
        "category": "coding",
        "start_date": "2026-05-05",
        "end_date": "2026-05-11",
        "limit": "50",
        "offset": "0",
    }
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["HTTP-Referer"] == "https://dash.example.org"
    assert request.headers["X-OpenRouter-Title"] == "Team dashboards"
    assert request.headers["X-OpenRouter-Categories"] == "cli-agent,ide-extension"
    assert request.headers["User-Agent"] == f"openrouter-exporter/{__version__}"
    assert KEY not in str(request.url)


def test_thirty_day_window_matches_the_documented_example(
    api: respx.MockRouter, client: Client
) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    app_rankings(client, app_view("30d/trending/all"), END)
    params = route.calls.last.request.url.params
    # The reference: a 30-day window is 2026-04-12 … 2026-05-11, both inclusive.
    assert (params["start_date"], params["end_date"]) == ("2026-04-12", "2026-05-11")
    assert params["sort"] == "trending"
    assert "category" not in params and "subcategory" not in params


def test_one_day_window_starts_and_ends_on_the_same_day(
    api: respx.MockRouter, client: Client
) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    app_rankings(client, app_view("1d/popular/all"), END)
    params = route.calls.last.request.url.params
    assert params["start_date"] == params["end_date"] == "2026-05-11"


def test_subcategory_view_sends_only_the_subcategory(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    app_rankings(client, app_view("7d/popular/cli-agent"), END)
    params = route.calls.last.request.url.params
    assert params["subcategory"] == "cli-agent"
    assert "category" not in params  # a wrong parent guess would be a 400


def test_no_attribution_headers_unless_configured(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    app_rankings(client, app_view(), END)
    headers = route.calls.last.request.headers
    for name in ("HTTP-Referer", "X-OpenRouter-Title", "X-OpenRouter-Categories"):
        assert name not in headers


def test_no_authorization_header_without_a_key(api: respx.MockRouter) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    app_rankings(Client(config(), None), app_view(), END)
    assert "Authorization" not in route.calls.last.request.headers


# --- app-rankings: the rows ------------------------------------------------------------


def test_app_rows_are_typed_and_tokens_keep_64_bit_precision(
    api: respx.MockRouter, client: Client
) -> None:
    body = {
        "data": [
            {
                "app_id": 12345,
                "app_name": 'Cline "dev" \\ \n 🚀',
                "rank": 1,
                "total_requests": 4321,
                "total_tokens": "18446744073709551615",
                "icon_url": "https://x/y.png",
                "new_field": {"nested": [1, 2]},
            },
            {
                "app_id": 7,
                "app_name": "Small",
                "rank": 2,
                "total_requests": 9,
                "total_tokens": "9007199254740993",
            },
        ],
        "meta": {**META, "generated_by": "something new"},
    }
    api.get("/datasets/app-rankings").mock(return_value=httpx.Response(200, json=body))

    rows, meta, pages = app_rankings(client, app_view(), END)

    assert pages == 1
    assert rows == [
        AppRow(
            app_id=12345,
            app_name='Cline "dev" \\ \n 🚀',
            rank=1,
            total_requests=4321,
            total_tokens=18446744073709551615,
        ),
        AppRow(app_id=7, app_name="Small", rank=2, total_requests=9, total_tokens=9007199254740993),
    ]
    assert rows[0].total_tokens == 2**64 - 1  # exact, not rounded through a float
    assert rows[1].total_tokens == 2**53 + 1
    assert meta.as_of == datetime(2026, 5, 12, 2, 0, tzinfo=UTC)
    assert meta.end_date == date(2026, 5, 11)


def test_tokens_sent_as_json_numbers_are_accepted(api: respx.MockRouter, client: Client) -> None:
    row = {**app_row(1), "total_tokens": 123456789}
    api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json={"data": [row], "meta": META})
    )
    rows, _, _ = app_rankings(client, app_view(), END)
    assert rows[0].total_tokens == 123456789


# --- app-rankings: pagination ----------------------------------------------------------


def offsets_and_limits(route: respx.Route) -> list[tuple[int, int]]:
    return [
        (int(c.request.url.params["offset"]), int(c.request.url.params["limit"]))
        for c in route.calls
    ]


def test_depth_200_takes_two_pages_of_100(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    rows, _, pages = app_rankings(client, app_view(depth=200), END)
    assert offsets_and_limits(route) == [(0, 100), (100, 100)]
    assert pages == 2
    assert [r.rank for r in rows] == list(range(1, 201))


def test_depth_150_asks_for_100_then_50(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    rows, _, pages = app_rankings(client, app_view(depth=150), END)
    assert offsets_and_limits(route) == [(0, 100), (100, 50)]
    assert (len(rows), pages) == (150, 2)
    assert rows[-1].rank == 150


def test_short_first_page_stops_paging(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(37))
    rows, _, pages = app_rankings(client, app_view(depth=200), END)
    assert offsets_and_limits(route) == [(0, 100)]
    assert (len(rows), pages) == (37, 1)


def test_short_second_page_ends_the_ranking(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(160))
    rows, _, pages = app_rankings(client, app_view(depth=200), END)
    assert offsets_and_limits(route) == [(0, 100), (100, 100)]
    assert (len(rows), pages) == (160, 2)


def test_depth_50_is_one_request_for_50(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    rows, _, pages = app_rankings(client, app_view(depth=50), END)
    assert offsets_and_limits(route) == [(0, 50)]
    assert (len(rows), pages) == (50, 1)


def test_every_page_carries_the_same_window_and_filter(
    api: respx.MockRouter, client: Client
) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    app_rankings(client, app_view("30d/trending/coding", depth=200), END)
    for call in route.calls:
        p = call.request.url.params
        assert (p["sort"], p["category"], p["start_date"], p["end_date"]) == (
            "trending",
            "coding",
            "2026-04-12",
            "2026-05-11",
        )


def test_error_on_second_page_is_raised(api: respx.MockRouter, client: Client) -> None:
    api.get("/datasets/app-rankings").mock(
        side_effect=[
            httpx.Response(200, json=app_body(range(1, 101))),
            httpx.Response(503, json={"error": {"code": 503, "message": "overloaded"}}),
        ]
    )
    with pytest.raises(ServerError) as info:
        app_rankings(client, app_view(depth=200), END)
    assert info.value.code == "503"


# --- rankings-daily --------------------------------------------------------------------


def model_config() -> Config:
    return parse_config(
        {
            "openrouter": {"base_url": BASE},
            "models": {
                "views": [
                    {"name": "daily"},
                    {"name": "images", "modality": "image"},
                    {"name": "coding", "period": "week", "category": "programming"},
                ]
            },
        }
    )


def test_rankings_daily_rows_are_typed(api: respx.MockRouter) -> None:
    body = {
        "data": [
            {
                "date": "2026-05-10",
                "model_permaslug": "openai/gpt-4o-2024-05-13",
                "total_tokens": "98765432100",
            },
            {
                "date": "2026-05-11",
                "model_permaslug": "meta/llama-3:free",
                "total_tokens": "18446744073709551615",
                "extra": True,
            },
            {"date": "2026-05-11", "model_permaslug": "other", "total_tokens": "1234567890"},
        ],
        "meta": META,
    }
    route = api.get("/datasets/rankings-daily").mock(return_value=httpx.Response(200, json=body))
    cfg = model_config()
    c = Client(cfg, KEY)

    rows, meta = rankings_daily(c, model_views(cfg)[0], date(2026, 5, 5), END)

    assert rows == [
        ModelDayRow(date(2026, 5, 10), "openai/gpt-4o-2024-05-13", 98765432100),
        ModelDayRow(date(2026, 5, 11), "meta/llama-3:free", 2**64 - 1),
        ModelDayRow(date(2026, 5, 11), "other", 1234567890),
    ]
    assert meta.end_date == END
    assert dict(route.calls.last.request.url.params) == {
        "start_date": "2026-05-05",
        "end_date": "2026-05-11",
    }
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {KEY}"


def test_rankings_daily_sends_the_view_slice(api: respx.MockRouter) -> None:
    route = api.get("/datasets/rankings-daily").mock(
        return_value=httpx.Response(200, json={"data": [], "meta": META})
    )
    cfg = model_config()
    c = Client(cfg, KEY)
    _, images, coding = model_views(cfg)

    rankings_daily(c, images)
    assert dict(route.calls.last.request.url.params) == {"modality": "image"}

    rankings_daily(c, coding, end=END)
    assert dict(route.calls.last.request.url.params) == {
        "period": "week",
        "category": "programming",
        "end_date": "2026-05-11",
    }


def test_rankings_daily_bad_date_is_malformed(api: respx.MockRouter) -> None:
    body = {
        "data": [{"date": "2026-02-30", "model_permaslug": "a/b", "total_tokens": "1"}],
        "meta": META,
    }
    api.get("/datasets/rankings-daily").mock(return_value=httpx.Response(200, json=body))
    cfg = model_config()
    with pytest.raises(MalformedResponse) as info:
        rankings_daily(Client(cfg, KEY), model_views(cfg)[0])
    assert "data[0].date" in info.value.message
    assert info.value.endpoint == "rankings-daily"


# --- session-cost ----------------------------------------------------------------------


def session_row(i: int) -> dict[str, Any]:
    return {
        "app_name": f"Harness {i % 4}",
        "app_slug": f"harness-{i % 4}",
        "model_permaslug": f"vendor/model-{i}",
        "turn_range": "2-9-turns",
        "median_session_cost_usd": 0.25 + i / 1000,
    }


SESSION_META = {
    "as_of": "2026-05-11T08:00:00Z",
    "version": "v1",
    "window_days": 30,
    "window_end_date": "2026-05-10",
}


def test_session_cost_pages_by_500_until_a_short_page(
    api: respx.MockRouter, client: Client
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        rows = [session_row(i) for i in range(offset, min(offset + limit, 650))]
        return httpx.Response(200, json={"data": rows, "meta": SESSION_META})

    route = api.get("/datasets/session-cost").mock(side_effect=handler)

    rows, meta, pages = session_cost(client)

    assert offsets_and_limits(route) == [(0, 500), (500, 500)]
    assert (len(rows), pages) == (650, 2)
    assert rows[0] == SessionCostRow("Harness 0", "harness-0", "vendor/model-0", "2-9-turns", 0.25)
    assert rows[-1].model == "vendor/model-649"
    assert isinstance(rows[-1].median_cost_usd, float)
    assert meta.end_date == date(2026, 5, 10)  # from window_end_date


def test_session_cost_with_no_snapshot_published(api: respx.MockRouter, client: Client) -> None:
    route = api.get("/datasets/session-cost").mock(
        return_value=httpx.Response(
            200,
            json={
                "data": [],
                "meta": {
                    "as_of": None,
                    "version": "v1",
                    "window_days": None,
                    "window_end_date": None,
                },
            },
        )
    )
    rows, meta, pages = session_cost(client)
    assert (rows, pages, route.call_count) == ([], 1, 1)
    assert meta.end_date is None and meta.as_of is None


def test_session_cost_cost_must_be_a_number(api: respx.MockRouter, client: Client) -> None:
    row = {**session_row(0), "median_session_cost_usd": "0.25"}
    api.get("/datasets/session-cost").mock(
        return_value=httpx.Response(200, json={"data": [row], "meta": SESSION_META})
    )
    with pytest.raises(MalformedResponse) as info:
        session_cost(client)
    assert "data[0].median_session_cost_usd" in info.value.message


# --- meta fields nothing reads ------------------------------------------------------------


class _Gone:
    def __repr__(self) -> str:  # a stable test id
        return "GONE"


GONE = _Gone()  # the field is left out of the response
# What the exporter reads of meta is as_of and end_date (window_end_date for session-cost);
# start_date, window_days and version are documented (the SDK's RankingsDailyMeta and
# SessionCostMeta) but read by nothing, so no value of theirs may fail a refresh.
ODD_UNREAD = [
    ("start_date", "yesterday"),
    ("start_date", 20260412),
    ("start_date", None),
    ("start_date", GONE),
    ("window_days", "seven"),
    ("window_days", 1.5),
    ("window_days", 10**400),
    ("window_days", None),
    ("window_days", GONE),
    ("version", 2),
    ("version", {"major": 1}),
    ("version", GONE),
]


def fetch_one(api: respx.MockRouter, endpoint: str, meta: dict[str, Any]) -> tuple[list[Any], Any]:
    row = {
        "app-rankings": app_row(1),
        "rankings-daily": {"date": "2026-05-11", "model_permaslug": "a/b", "total_tokens": "7"},
        "session-cost": session_row(0),
    }[endpoint]
    api.get(f"/datasets/{endpoint}").mock(
        return_value=httpx.Response(200, json={"data": [row], "meta": meta})
    )
    if endpoint == "app-rankings":
        rows, got, _ = app_rankings(Client(config(), KEY, clock=lambda: NOW), app_view(), END)
    elif endpoint == "rankings-daily":
        cfg = model_config()
        rows, got = rankings_daily(Client(cfg, KEY, clock=lambda: NOW), model_views(cfg)[0])
    else:
        rows, got, _ = session_cost(Client(config(), KEY, clock=lambda: NOW))
    return rows, got


@pytest.mark.parametrize("endpoint", ["app-rankings", "rankings-daily", "session-cost"])
@pytest.mark.parametrize("field, value", ODD_UNREAD, ids=lambda v: repr(v)[:20])
def test_an_odd_value_in_a_meta_field_nothing_reads_never_fails_a_refresh(
    api: respx.MockRouter, endpoint: str, field: str, value: Any
) -> None:
    documented = SESSION_META if endpoint == "session-cost" else META
    meta = {**documented, field: value}
    if value is GONE:
        del meta[field]
    rows, got = fetch_one(api, endpoint, meta)
    assert len(rows) == 1
    end = date(2026, 5, 10) if endpoint == "session-cost" else END
    assert got.end_date == end  # what is read is still read
    assert got.as_of == datetime.fromisoformat(documented["as_of"])


def test_an_odd_unread_meta_field_is_logged_once_at_debug(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "_NOTED", set())
    with caplog.at_level(logging.DEBUG, logger="exporter.responses"):
        for _ in range(3):
            fetch_one(api, "session-cost", {**SESSION_META, "window_days": "seven"})
        fetch_one(api, "session-cost", SESSION_META)  # as documented: nothing to say
    notes = [r for r in caplog.records if r.name == "exporter.responses"]
    assert [(r.levelno, r.getMessage()) for r in notes] == [
        (
            logging.DEBUG,
            "meta.window_days: 'seven' is not what the API documents; not read by this "
            "exporter, so ignored",
        )
    ]


def test_an_unread_meta_field_nested_too_deep_to_show_is_still_only_noted(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "_NOTED", set())
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with caplog.at_level(logging.DEBUG, logger="exporter.responses"):
        meta = responses.parse_meta({"meta": {**META, "version": deep}})
    assert meta.end_date == END
    assert "meta.version: a value nested too deep is not what the API documents" in caplog.text


def test_the_fields_nothing_reads_are_not_kept() -> None:
    assert [f.name for f in fields(Meta)] == ["as_of", "end_date"]


# --- errors ----------------------------------------------------------------------------


def error_json(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "metadata": None}}


def fetch_error(api: respx.MockRouter, client: Client, **mock: Any) -> ApiError:
    api.get("/datasets/app-rankings").mock(**mock)
    with pytest.raises(ApiError) as info:
        app_rankings(client, app_view(), END)
    return info.value


def test_400_is_bad_request_with_the_api_message(api: respx.MockRouter, client: Client) -> None:
    msg = "Date range cannot exceed 366 days (requested 623)."
    e = fetch_error(api, client, return_value=httpx.Response(400, json=error_json(400, msg)))
    assert type(e) is BadRequest
    assert e.message == msg
    assert e.code == "400"
    assert e.endpoint == "app-rankings"


def test_401_is_unauthorized(api: respx.MockRouter, client: Client) -> None:
    msg = "No cookie auth credentials found"
    e = fetch_error(api, client, return_value=httpx.Response(401, json=error_json(401, msg)))
    assert type(e) is Unauthorized
    assert e.message == msg
    assert e.code == "401"


def test_403_is_unauthorized_too(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(
        api, client, return_value=httpx.Response(403, json=error_json(403, "Key disabled"))
    )
    assert isinstance(e, Unauthorized)


def test_429_with_retry_after_seconds(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            429, headers={"Retry-After": "7"}, json=error_json(429, "Rate limit exceeded")
        ),
    )
    assert type(e) is RateLimited
    assert e.code == "429"
    assert e.retry_after == 7.0
    assert e.message == "Rate limit exceeded"


def test_429_with_retry_after_http_date(api: respx.MockRouter, client: Client) -> None:
    when = email.utils.format_datetime(datetime.fromtimestamp(NOW + 45, UTC), usegmt=True)
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            429, headers={"Retry-After": when}, json=error_json(429, "slow down")
        ),
    )
    assert isinstance(e, RateLimited)
    assert e.retry_after == pytest.approx(45.0)


def test_429_with_retry_after_date_in_the_past_means_now(
    api: respx.MockRouter, client: Client
) -> None:
    when = email.utils.format_datetime(datetime.fromtimestamp(NOW - 600, UTC), usegmt=True)
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            429, headers={"Retry-After": when}, json=error_json(429, "slow down")
        ),
    )
    assert isinstance(e, RateLimited)
    assert e.retry_after == 0.0


def test_429_with_ratelimit_reset_in_epoch_ms(api: respx.MockRouter, client: Client) -> None:
    reset_ms = int((NOW + 12) * 1000)
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            429,
            headers={
                "X-RateLimit-Limit": "30",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset_ms),
            },
            json=error_json(429, "Rate limit exceeded: free-models-per-min"),
        ),
    )
    assert isinstance(e, RateLimited)
    assert e.retry_after == pytest.approx(12.0)


def test_429_without_hints_has_no_retry_after(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(
        api, client, return_value=httpx.Response(429, json=error_json(429, "Rate limited"))
    )
    assert isinstance(e, RateLimited)
    assert e.retry_after is None


def test_429_with_garbage_retry_after_has_no_retry_after(
    api: respx.MockRouter, client: Client
) -> None:
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            429, headers=[(b"Retry-After", b"\xb2")], json=error_json(429, "x")
        ),
    )
    assert isinstance(e, RateLimited)
    assert e.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_server_error_with_its_status(
    api: respx.MockRouter, client: Client, status: int
) -> None:
    e = fetch_error(
        api, client, return_value=httpx.Response(status, json=error_json(status, "upstream"))
    )
    assert type(e) is ServerError
    assert e.code == str(status)
    assert e.message == "upstream"


@pytest.mark.parametrize("status", [404, 405, 418, 422])
def test_other_4xx_is_http_error_with_its_status(
    api: respx.MockRouter, client: Client, status: int
) -> None:
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(status, text="nope", headers={"Content-Type": "text/plain"}),
    )
    assert type(e) is HttpError
    assert e.code == str(status)
    assert str(status) in e.message


def test_redirect_is_not_followed(api: respx.MockRouter, client: Client) -> None:
    elsewhere = api.route(host="elsewhere.example").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(302, headers={"Location": "https://elsewhere.example/steal"}),
    )
    assert type(e) is HttpError
    assert e.code == "302"
    assert elsewhere.call_count == 0  # the bearer key never goes to another host


def test_connection_failure_is_transport_error(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(api, client, side_effect=httpx.ConnectError)
    assert type(e) is TransportError
    assert e.code == "error"
    assert "ConnectError" in e.message


def test_timeout_is_transport_error(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(api, client, side_effect=httpx.ReadTimeout)
    assert type(e) is TransportError
    assert "timed out" in e.message


def test_broken_json_is_malformed(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            200, content=b'{"data": [', headers={"Content-Type": "application/json"}
        ),
    )
    assert type(e) is MalformedResponse
    assert "JSON" in e.message


def test_json_that_is_not_utf8_is_malformed(api: respx.MockRouter, client: Client) -> None:
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            200, content=b'{"data": "\xff"}', headers={"Content-Type": "application/json"}
        ),
    )
    assert type(e) is MalformedResponse


def test_html_page_with_200_is_unexpected_content_type(
    api: respx.MockRouter, client: Client
) -> None:
    html = "<html><body><h1>Please verify you are human</h1></body></html>"
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(
            200, text=html, headers={"Content-Type": "text/html; charset=utf-8"}
        ),
    )
    assert type(e) is UnexpectedContentType
    assert isinstance(e, MalformedResponse)
    assert "text/html" in e.message
    assert "verify you are human" not in e.message


def test_html_page_with_502_is_server_error_without_the_html(
    api: respx.MockRouter, client: Client
) -> None:
    html = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(502, text=html, headers={"Content-Type": "text/html"}),
    )
    assert type(e) is ServerError
    assert e.code == "502"
    assert "<html" not in e.message and "cloudflare" not in e.message
    assert "text/html" in e.message


def test_json_error_with_an_unexpected_shape_is_summarised(
    api: respx.MockRouter, client: Client
) -> None:
    e = fetch_error(api, client, return_value=httpx.Response(500, json={"error": "boom"}))
    assert type(e) is ServerError
    assert "500" in e.message


@pytest.mark.parametrize("field", ["app_id", "app_name", "rank", "total_requests", "total_tokens"])
def test_missing_row_field_is_malformed_and_named(
    api: respx.MockRouter, client: Client, field: str
) -> None:
    rows = [app_row(1), app_row(2)]
    del rows[1][field]
    e = fetch_error(
        api, client, return_value=httpx.Response(200, json={"data": rows, "meta": META})
    )
    assert type(e) is MalformedResponse
    assert "data[1]" in e.message and field in e.message
    assert e.endpoint == "app-rankings"


@pytest.mark.parametrize("missing", ["data", "meta"])
def test_missing_top_level_field_is_malformed_and_named(
    api: respx.MockRouter, client: Client, missing: str
) -> None:
    body = app_body([1])
    del body[missing]
    e = fetch_error(api, client, return_value=httpx.Response(200, json=body))
    assert type(e) is MalformedResponse
    assert repr(missing) in e.message


@pytest.mark.parametrize(
    "body, where",
    [
        ({"data": [{**app_row(1), "rank": "abc"}], "meta": META}, "data[0].rank"),
        ({"data": [{**app_row(1), "rank": True}], "meta": META}, "data[0].rank"),
        ({"data": [{**app_row(1), "total_tokens": "12.5"}], "meta": META}, "data[0].total_tokens"),
        ({"data": [{**app_row(1), "total_tokens": "--5"}], "meta": META}, "data[0].total_tokens"),
        ({"data": [{**app_row(1), "total_tokens": "²"}], "meta": META}, "data[0].total_tokens"),
        ({"data": [{**app_row(1), "app_name": None}], "meta": META}, "data[0].app_name"),
        ({"data": {"0": app_row(1)}, "meta": META}, "response.data"),
        ({"data": ["not a row"], "meta": META}, "data[0]"),
        ({"data": [], "meta": []}, "response.meta"),
        ({"data": [], "meta": {**META, "as_of": "yesterday"}}, "meta.as_of"),
        ({"data": [], "meta": {**META, "end_date": 20260511}}, "meta.end_date"),
    ],
)
def test_wrong_types_are_malformed_and_named(
    api: respx.MockRouter, client: Client, body: dict[str, Any], where: str
) -> None:
    e = fetch_error(api, client, return_value=httpx.Response(200, json=body))
    assert type(e) is MalformedResponse
    assert where in e.message


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"42"])
def test_non_object_body_is_malformed(api: respx.MockRouter, client: Client, raw: bytes) -> None:
    e = fetch_error(
        api,
        client,
        return_value=httpx.Response(200, content=raw, headers={"Content-Type": "application/json"}),
    )
    assert type(e) is MalformedResponse
    assert "response" in e.message


# --- budget and observer ---------------------------------------------------------------


def recording_spend(events: list[Any], route: Any = None, refuse_after: int | None = None) -> Any:
    """A stand-in for Budget.spend that records when it is entered and left."""

    @contextmanager
    def spend(endpoint: str) -> Iterator[None]:
        if refuse_after is not None and len(events) >= 2 * refuse_after:
            raise BudgetExhausted(60.0, "minute")
        events.append(("enter", endpoint, route.call_count if route else None))
        try:
            yield
        finally:
            events.append(("exit", endpoint, route.call_count if route else None))

    return spend


def test_budget_is_spent_around_each_request(api: respx.MockRouter) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    events: list[Any] = []
    c = Client(config(), KEY, spend=recording_spend(events, route))
    app_rankings(c, app_view(depth=200), END)
    # Each request was recorded before it reached the API and released after it answered.
    assert events == [
        ("enter", "app-rankings", 0),
        ("exit", "app-rankings", 1),
        ("enter", "app-rankings", 1),
        ("exit", "app-rankings", 2),
    ]
    assert route.call_count == 2


def test_budget_is_spent_even_for_requests_that_fail(api: respx.MockRouter) -> None:
    api.get("/datasets/app-rankings").mock(side_effect=httpx.ConnectError)
    events: list[Any] = []
    c = Client(config(), KEY, spend=recording_spend(events))
    with pytest.raises(TransportError):
        app_rankings(c, app_view(), END)
    assert events == [("enter", "app-rankings", None), ("exit", "app-rankings", None)]


def test_budget_refusal_stops_the_request(api: respx.MockRouter) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    observed: list[Any] = []

    @contextmanager
    def spend(endpoint: str) -> Iterator[None]:
        raise BudgetExhausted(42.0, "minute")
        yield  # pragma: no cover

    c = Client(config(), KEY, spend=spend, observe=lambda *a: observed.append(a))
    with pytest.raises(BudgetExhausted) as info:
        app_rankings(c, app_view(), END)
    assert info.value.wait == 42.0
    assert route.call_count == 0
    assert observed == []


def test_budget_refusal_on_the_second_page_keeps_the_first(api: respx.MockRouter) -> None:
    route = api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    events: list[Any] = []
    c = Client(config(), KEY, spend=recording_spend(events, refuse_after=1))
    pages = app_rankings_pages(c, app_view(depth=200), END)
    first = next(pages)
    assert len(first.rows) == 100
    with pytest.raises(BudgetExhausted):
        next(pages)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "mock, code",
    [
        ({"return_value": httpx.Response(200, json={"data": [], "meta": META})}, "200"),
        (
            {
                "return_value": httpx.Response(
                    200, content=b"{", headers={"Content-Type": "application/json"}
                )
            },
            "200",
        ),
        ({"return_value": httpx.Response(429, json=error_json(429, "x"))}, "429"),
        ({"return_value": httpx.Response(400, json=error_json(400, "x"))}, "400"),
        ({"return_value": httpx.Response(503, text="down")}, "503"),
        ({"side_effect": httpx.ConnectError}, "error"),
        ({"side_effect": httpx.ReadTimeout}, "error"),
    ],
)
def test_observer_gets_endpoint_code_and_duration(
    api: respx.MockRouter, mock: dict[str, Any], code: str
) -> None:
    api.get("/datasets/session-cost").mock(**mock)
    observed: list[tuple[str, str, float]] = []
    c = Client(config(), KEY, observe=lambda *a: observed.append(a))
    with contextlib.suppress(ApiError):
        session_cost(c)
    assert len(observed) == 1
    endpoint, got_code, seconds = observed[0]
    assert (endpoint, got_code) == ("session-cost", code)
    assert isinstance(seconds, float) and 0 <= seconds < 5


def test_observer_sees_every_page(api: respx.MockRouter) -> None:
    api.get("/datasets/app-rankings").mock(side_effect=fake_app_api(500))
    observed: list[tuple[str, str, float]] = []
    app_rankings(
        Client(config(), KEY, observe=lambda *a: observed.append(a)), app_view(depth=200), END
    )
    assert [(e, c) for e, c, _ in observed] == [("app-rankings", "200")] * 2


# --- the key never leaks ---------------------------------------------------------------


LEAK_CASES: dict[str, dict[str, Any]] = {
    "400": {"return_value": httpx.Response(400, json=error_json(400, "bad start_date"))},
    "401": {"return_value": httpx.Response(401, json=error_json(401, "User not found."))},
    "429": {
        "return_value": httpx.Response(
            429, headers={"Retry-After": "7"}, json=error_json(429, "Rate limit exceeded")
        )
    },
    "500": {"return_value": httpx.Response(500, json=error_json(500, "Internal"))},
    "502-html": {
        "return_value": httpx.Response(
            502, text="<html>bad gateway</html>", headers={"Content-Type": "text/html"}
        )
    },
    "404": {"return_value": httpx.Response(404, text="not found")},
    "connect": {"side_effect": httpx.ConnectError},
    "timeout": {"side_effect": httpx.ReadTimeout},
    "bad-json": {
        "return_value": httpx.Response(
            200, content=b'{"data": [', headers={"Content-Type": "application/json"}
        )
    },
    "html-200": {
        "return_value": httpx.Response(
            200, text="<html></html>", headers={"Content-Type": "text/html"}
        )
    },
    "missing-field": {
        "return_value": httpx.Response(200, json={"data": [{"app_id": 1}], "meta": META})
    },
    "wrong-type": {
        "return_value": httpx.Response(
            200, json={"data": [{**app_row(1), "rank": "abc"}], "meta": META}
        )
    },
    "not-object": {"return_value": httpx.Response(200, json=[])},
}


@pytest.mark.parametrize("case", sorted(LEAK_CASES))
def test_api_key_never_appears_in_errors(api: respx.MockRouter, client: Client, case: str) -> None:
    e = fetch_error(api, client, **LEAK_CASES[case])
    rendered = "".join(traceback.format_exception(e))
    secret_part = KEY.split("-", 3)[-1]
    for text in (str(e), repr(e), e.message, rendered, repr(vars(e))):
        assert KEY not in text
        assert secret_part not in text


def test_api_key_is_not_in_the_client_repr() -> None:
    c = Client(config(), KEY)
    assert KEY not in repr(c)
    c.close()


def test_dates_are_computed_from_the_given_end_not_today(
    api: respx.MockRouter, client: Client
) -> None:
    route = api.get("/datasets/app-rankings").mock(
        return_value=httpx.Response(200, json=app_body([]))
    )
    end = date(2025, 1, 3)
    app_rankings(client, app_view("7d/popular/all"), end)
    params = route.calls.last.request.url.params
    assert params["start_date"] == (end - timedelta(days=6)).isoformat() == "2024-12-28"
