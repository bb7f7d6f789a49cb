"""Property-based tests: the API's text and numbers are untrusted input.

- Any JSON value (or any bytes) as a response body of any endpoint, through the real
  client, ends in rows or a typed ``ApiError``, never another exception.
- Whatever rows the parser accepts render to an exposition Prometheus can parse.
- Any string as an app or model name survives the exposition and parses back identically
  with prometheus_client's text parser and its OpenMetrics parser.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from exporter.client import ApiError, Client
from exporter.configfile import parse_config
from exporter.datasets.apps import AppRow, app_rankings, app_views
from exporter.datasets.models import ModelDayRow, model_views, rankings_daily
from exporter.datasets.session_cost import SessionCostRow, session_cost
from exporter.exposition import ExpositionCache
from exporter.snapshot import Meta, Snapshot

CFG = parse_config(
    {
        "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
        "models": {"views": [{"name": "daily"}]},
        "openrouter": {"base_url": "https://openrouter.test/api/v1"},
    }
)
APP_VIEW = app_views(CFG)[0]
MODEL_VIEW = model_views(CFG)[0]
END = date(2026, 5, 11)
META = Meta(as_of=datetime(2026, 5, 12, 2, tzinfo=UTC), end_date=END)
ENDPOINTS = ("app-rankings", "rankings-daily", "session-cost")

PROPS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- bodies -------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(10**400), 10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
any_json = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=20), kids, max_size=5)
    ),
    max_leaves=30,
)


def _field_value(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes anything at all."""
    return st.one_of(valid, valid, valid, valid, valid, any_json)


ints = (
    st.integers(-(10**50), 10**50) | st.integers(10**300, 10**400) | st.integers(0, 10**12).map(str)
)
dates = st.dates().map(date.isoformat)
timestamps = (
    st.datetimes().map(lambda d: d.isoformat() + "Z")
    | st.datetimes().map(datetime.isoformat)
    | st.sampled_from(
        [
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999",
            "0001-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
        ]
    )
)

app_row = st.fixed_dictionaries(
    {
        "app_id": _field_value(ints),
        "app_name": _field_value(st.text()),
        "rank": _field_value(ints),
        "total_requests": _field_value(ints),
        "total_tokens": _field_value(ints),
    }
)
model_row = st.fixed_dictionaries(
    {
        "date": _field_value(dates),
        "model_permaslug": _field_value(st.text()),
        "total_tokens": _field_value(ints),
    }
)
session_row = st.fixed_dictionaries(
    {
        "app_name": _field_value(st.text()),
        "app_slug": _field_value(st.text()),
        "model_permaslug": _field_value(st.text()),
        "turn_range": _field_value(st.text()),
        "median_session_cost_usd": _field_value(st.floats() | st.integers()),
    }
)
meta = st.fixed_dictionaries(
    {},
    optional={
        "as_of": _field_value(timestamps),
        "start_date": _field_value(dates),
        "end_date": _field_value(dates),
        "window_end_date": _field_value(dates),
        "window_days": _field_value(ints),
        "version": any_json,
    },
)


def shaped(row: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The documented shape with hostile values inside: reaches the deep parsing code."""
    return st.fixed_dictionaries(
        {"data": st.lists(row, max_size=4) | any_json, "meta": meta | meta | meta | any_json}
    )


BODIES = {
    "app-rankings": shaped(app_row),
    "rankings-daily": shaped(model_row),
    "session-cost": shaped(session_row),
}


def client_for(content: bytes, content_type: str = "application/json") -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"content-type": content_type})

    return Client(CFG, "sk-test", transport=httpx.MockTransport(handler))


def fetch(
    endpoint: str, content: bytes, content_type: str = "application/json"
) -> tuple[list[Any], Meta] | ApiError:
    """One endpoint through the real client: (rows, meta) or the typed error it raised."""
    client = client_for(content, content_type)
    try:
        if endpoint == "app-rankings":
            rows, m, _ = app_rankings(client, APP_VIEW, END)
        elif endpoint == "rankings-daily":
            rows, m = rankings_daily(client, MODEL_VIEW)
        else:
            rows, m, _ = session_cost(client)
        return rows, m
    except ApiError as e:
        return e  # anything else escapes and fails the test
    finally:
        client.close()


def encode(value: Any) -> bytes:
    return json.dumps(value).encode()  # NaN and Infinity as Python writes them


def render_parses(endpoint: str, rows: list[Any], meta: Meta) -> None:
    """Rows the parser accepted always make an exposition both parsers read."""
    view = {
        "app-rankings": APP_VIEW.name,
        "rankings-daily": MODEL_VIEW.name,
        "session-cost": "weekly",
    }[endpoint]
    cache = ExpositionCache(CFG)
    cache.update({(endpoint, view): Snapshot(endpoint, view, tuple(rows), meta, 0.0)})
    text = cache.current.text.decode("utf-8")
    list(parse_text(text))
    list(parse_openmetrics(text + "# EOF\n"))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@PROPS
@given(body=any_json)
def test_any_json_value_gives_rows_or_a_typed_error(endpoint, body):
    fetch(endpoint, encode(body))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@PROPS
@given(data=st.data())
def test_hostile_values_in_the_documented_shape(endpoint, data):
    result = fetch(endpoint, encode(data.draw(BODIES[endpoint])))
    event("typed error" if isinstance(result, ApiError) else "rows")
    if not isinstance(result, ApiError):
        render_parses(endpoint, *result)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@PROPS
@given(m=meta)
def test_any_meta_gives_a_typed_error_or_renders(endpoint, m):
    result = fetch(endpoint, encode({"data": [], "meta": m}))
    if not isinstance(result, ApiError):
        render_parses(endpoint, *result)


UNREAD_META = ("start_date", "window_days", "version")  # documented, read by nothing
ROWS = {"app-rankings": app_row, "rankings-daily": model_row, "session-cost": session_row}


def outcome(result: tuple[list[Any], Meta] | ApiError) -> str:
    if isinstance(result, ApiError):
        return f"{type(result).__name__}: {result.message}"
    return repr(result)  # repr: a NaN cost equals itself


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@PROPS
@given(data=st.data())
def test_meta_fields_nothing_reads_never_change_the_outcome(endpoint, data):
    """Whatever start_date, window_days and version hold, or without them, the same body
    gives the same rows and meta, or the same error."""
    rows = data.draw(st.lists(ROWS[endpoint], max_size=4))
    read = {k: v for k, v in data.draw(meta).items() if k not in UNREAD_META}
    unread = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(UNREAD_META, any_json)))
    plain = fetch(endpoint, encode({"data": rows, "meta": read}))
    odd = fetch(endpoint, encode({"data": rows, "meta": {**unread, **read}}))
    assert outcome(odd) == outcome(plain)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@PROPS
@given(
    body=st.binary(max_size=200),
    ctype=st.sampled_from(
        ["application/json", "application/json; charset=utf-16", "text/html", ""]
    ),
)
def test_any_bytes_give_rows_or_a_typed_error(endpoint, body, ctype):
    fetch(endpoint, body, ctype)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON parser's recursion limit
        b'{"data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"data": [], "meta": {"window_days": ' + b"9" * 5000 + b"}}",  # > int_max_str_digits
        b'{"data": [{"total_tokens": 1e999}]}',
        b"\xff\xfe\x00{",
        b"",
    ],
)
def test_pathological_bodies(endpoint, body):
    assert isinstance(fetch(endpoint, body), ApiError)


def test_huge_numbers_are_refused_not_rendered():
    """A 400-digit integer is valid JSON and a valid Python int, but no float: it would
    crash the renderer, so the parser refuses it."""
    body = {
        "data": [
            {"app_id": 1, "app_name": "a", "rank": 1, "total_requests": 1, "total_tokens": 10**400}
        ],
        "meta": {},
    }
    assert isinstance(fetch("app-rankings", encode(body)), ApiError)
    body["data"][0]["total_tokens"] = 10**30  # large but representable: accepted
    rows, m = fetch("app-rankings", encode(body))  # type: ignore[misc]
    render_parses("app-rankings", rows, m)


# --- names survive the exposition ---------------------------------------------------------

NAMES = st.text()  # any unicode without surrogates: quotes, backslashes, newlines, NUL…
TRICKY = st.sampled_from(
    [
        '"',
        "\\",
        "\n",
        '\\"',
        "\\n",
        "\r",
        "\r\n",
        "\x00",
        "\t",
        " ",
        "# EOF",
        "}",
        "{",
        ",",
        "=",
        "\u2028",
        "\x85",
        "🚀",
        "ä\u0301",
        '"} 1\nfake_metric{a="',
        "",
    ]
)
NAME = NAMES | st.lists(TRICKY | NAMES, min_size=1, max_size=6).map("".join)


def _samples(text: str, openmetrics: bool) -> list[tuple[str, dict[str, str], float]]:
    families = parse_openmetrics(text + "# EOF\n") if openmetrics else parse_text(text)
    return [(s.name, s.labels, s.value) for f in families for s in f.samples]


@pytest.mark.parametrize("openmetrics", [False, True], ids=["text", "openmetrics"])
@PROPS
@given(app=NAME, model=NAME, slug=NAME, turn=NAME)
def test_any_name_survives_the_exposition(openmetrics, app, model, slug, turn):
    cfg = parse_config(
        {
            "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"], "depth": 20},
            "models": {"views": [{"name": "daily"}]},
        }
    )
    snaps = {
        ("app-rankings", "7d/popular/all"): Snapshot(
            "app-rankings", "7d/popular/all", (AppRow(42, app, 1, 10, 100),), META, 0.0
        ),
        ("rankings-daily", "daily"): Snapshot(
            "rankings-daily", "daily", (ModelDayRow(END, model, 1000),), META, 0.0
        ),
        ("session-cost", "weekly"): Snapshot(
            "session-cost", "weekly", (SessionCostRow(app, slug, model, turn, 0.5),), META, 0.0
        ),
    }
    cache = ExpositionCache(cfg)
    cache.update(snaps)
    samples = _samples(cache.current.text.decode("utf-8"), openmetrics)
    # No name can forge or swallow a series: the same samples as with a plain name.
    plain = ExpositionCache(cfg)
    plain.update(
        {
            k: Snapshot(s.dataset, s.view, tuple(_plain(r) for r in s.rows), s.meta, 0.0)
            for k, s in snaps.items()
        }
    )
    plain_samples = _samples(plain.current.text.decode("utf-8"), openmetrics)
    assert sorted(n for n, _, _ in samples) == sorted(n for n, _, _ in plain_samples)
    by_name: dict[str, list[dict[str, str]]] = {}
    for name, labels, _ in samples:
        by_name.setdefault(name, []).append(labels)
    assert [lab["app"] for lab in by_name["openrouter_app_rank"]] == [app]
    assert by_name["openrouter_app_rank"][0]["app_id"] == "42"
    assert [lab["model"] for lab in by_name["openrouter_model_tokens"]] == [model]
    [cost] = by_name["openrouter_session_median_cost_dollars"]
    assert cost == {"app_slug": slug, "app": app, "model": model, "turn_range": turn}
    assert all(not math.isnan(v) for _, _, v in samples)


def _plain(row: Any) -> Any:
    """The same row with plain names (a model named other stays other: it has no rank)."""
    if isinstance(row, AppRow):
        return AppRow(row.app_id, "app", row.rank, row.total_requests, row.total_tokens)
    if isinstance(row, ModelDayRow):
        return ModelDayRow(row.date, "other" if row.model == "other" else "a/m", row.total_tokens)
    return SessionCostRow(
        "app", "slug", "other" if row.model == "other" else "a/m", "turn", row.median_cost_usd
    )
