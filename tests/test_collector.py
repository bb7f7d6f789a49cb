"""Snapshots → metric families: values, labels, escaping, vanishing rows, periods."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families

from exporter.configfile import parse_config
from exporter.datasets.apps import AppRow
from exporter.datasets.models import ModelDayRow, latest_complete_period, model_labels
from exporter.datasets.session_cost import SessionCostRow
from exporter.exposition import DatasetExposition, ExpositionCache
from exporter.snapshot import Meta, Snapshot

CFG = parse_config(
    {
        "apps": {"windows": ["30d"], "sorts": ["popular"], "filters": ["all", "image-gen"]},
        "models": {"views": [{"name": "daily"}, {"name": "monthly", "period": "month"}]},
    }
)
META = Meta(as_of=datetime(2026, 5, 12, 2, tzinfo=UTC), end_date=date(2026, 5, 11))


def samples(text: bytes) -> dict[tuple[str, frozenset], float]:
    out = {}
    for fam in text_string_to_metric_families(text.decode()):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def find(text: bytes, name: str, **labels: str) -> list[float]:
    want = set(labels.items())
    return [v for (n, ls), v in samples(text).items() if n == name and want <= ls]


def apps_snapshot(rows: list[AppRow], view: str = "30d/popular/all") -> Snapshot:
    return Snapshot("app-rankings", view, tuple(rows), META, time.time())


def render(*snaps: Snapshot) -> bytes:
    cache = ExpositionCache(CFG)
    cache.update({s.key: s for s in snaps})
    return cache.current.text


HOSTILE = [
    'Quote "double" and \\ backslash',
    "Line\nbreak",
    "Emoji 🚀🔥 and ünïcödé",
    "Trailing backslash \\",
    '\\n literally and "\\"',
    "tab\tand\rreturn",
    "",
]


def test_hostile_app_names_round_trip_through_the_parser():
    rows = [AppRow(i + 1, name, i + 1, 10, 100) for i, name in enumerate(HOSTILE)]
    text = render(apps_snapshot(rows))
    parsed = {
        ls_dict["app_id"]: ls_dict["app"]
        for (n, ls), _ in samples(text).items()
        if n == "openrouter_app_rank"
        for ls_dict in [dict(ls)]
    }
    assert parsed == {str(i + 1): name for i, name in enumerate(HOSTILE)}


def test_app_values_and_labels_equal_the_api_rows():
    text = render(
        apps_snapshot([AppRow(12345, "Cline", 1, 4321, 2**60 + 1)]),
        apps_snapshot([AppRow(9, "Img", 1, 5, 50)], "30d/popular/image-gen"),
    )
    labels = dict(
        window="30d", sort="popular", category="all", subcategory="all", app_id="12345", app="Cline"
    )
    assert find(text, "openrouter_app_rank", **labels) == [1]
    assert find(text, "openrouter_app_requests", **labels) == [4321]
    assert find(text, "openrouter_app_tokens", **labels) == [float(2**60 + 1)]
    # A subcategory view carries its parent category.
    assert find(
        text, "openrouter_app_rank", category="creative", subcategory="image-gen", app_id="9"
    ) == [1]


def test_rows_that_leave_the_api_leave_the_metrics():
    cache = ExpositionCache(CFG)
    first = apps_snapshot([AppRow(1, "Stays", 1, 1, 10), AppRow(2, "Goes", 2, 1, 5)])
    cache.update({first.key: first})
    assert find(cache.current.text, "openrouter_app_rank", app="Goes") == [2]
    second = apps_snapshot([AppRow(1, "Stays", 1, 1, 10)])
    cache.update({second.key: second})
    assert find(cache.current.text, "openrouter_app_rank", app="Goes") == []
    assert find(cache.current.text, "openrouter_app_rank", app="Stays") == [1]


def test_a_repeated_app_across_pages_is_exported_once():
    text = render(apps_snapshot([AppRow(1, "A", 100, 1, 10), AppRow(1, "A", 101, 1, 10)]))
    assert find(text, "openrouter_app_rank", app_id="1") == [100]


def test_a_views_tokens_are_its_apps_tokens_each_app_once():
    rows = [AppRow(1, "A", 1, 1, 600), AppRow(2, "B", 2, 1, 300), AppRow(1, "A", 3, 1, 600)]
    text = render(apps_snapshot(rows), apps_snapshot([], "30d/popular/image-gen"))
    view = dict(window="30d", sort="popular", category="all", subcategory="all")
    # What an app alert's "share of the ranking's tokens" divides by (a repeat counts once).
    assert find(text, "openrouter_app_view_tokens", **view) == [900]
    assert find(text, "openrouter_app_view_tokens", subcategory="image-gen") == []  # no apps


def test_model_rank_excludes_other_and_shares_sum_to_one():
    d = date(2026, 5, 11)
    rows = [
        ModelDayRow(d, "b/x:free", 30),
        ModelDayRow(d, "a/y", 60),
        ModelDayRow(d, "other", 10),
        ModelDayRow(date(2026, 5, 10), "c/z", 999),
    ]
    text = render(Snapshot("rankings-daily", "daily", tuple(rows), META, 0.0))
    assert find(text, "openrouter_model_rank", model="a/y", author="a", variant="") == [1]
    assert find(text, "openrouter_model_rank", model="b/x:free", author="b", variant="free") == [2]
    assert find(text, "openrouter_model_rank", model="other") == []
    assert find(text, "openrouter_model_tokens", model="other", view="daily") == [10]
    assert find(text, "openrouter_model_tokens", model="c/z") == []  # an older day
    shares = find(text, "openrouter_model_share", view="daily")
    assert abs(sum(shares) - 1) < 1e-12 and len(shares) == 3


def test_monthly_view_shows_the_latest_complete_month_not_the_partial_one():
    rows = [
        ModelDayRow(date(2026, 4, 1), "a/old", 100),
        ModelDayRow(date(2026, 5, 1), "a/partial", 5),
    ]
    text = render(Snapshot("rankings-daily", "monthly", tuple(rows), META, 0.0))
    assert find(text, "openrouter_model_tokens", model="a/old", view="monthly") == [100]
    assert find(text, "openrouter_model_tokens", model="a/partial") == []


def test_latest_complete_period_rules():
    rows = [ModelDayRow(date(2026, 5, 4), "m/a", 1), ModelDayRow(date(2026, 5, 11), "m/a", 1)]
    # Week of Monday 2026-05-04 ends Sunday 05-10; the week of 05-11 is partial on 05-11...
    assert latest_complete_period(rows, "week", date(2026, 5, 11)) == date(2026, 5, 4)
    # ...and complete once 05-17 is published.
    assert latest_complete_period(rows, "week", date(2026, 5, 17)) == date(2026, 5, 11)
    assert latest_complete_period(rows, "day", date(2026, 5, 11)) == date(2026, 5, 11)
    assert latest_complete_period([], "day", None) is None


def test_model_labels():
    assert model_labels("v", "openai/gpt-4o") == ["v", "openai/gpt-4o", "openai", ""]
    assert model_labels("v", "meta/llama:free") == ["v", "meta/llama:free", "meta", "free"]
    assert model_labels("v", "other") == ["v", "other", "other", ""]


def test_session_cost_and_meta_metrics():
    sc_meta = Meta(as_of=datetime(2026, 5, 11, 9, tzinfo=UTC), end_date=date(2026, 5, 10))
    snap = Snapshot(
        "session-cost",
        "default",
        (SessionCostRow("Claude Code", "claude-code", "a/b", "1-turn", 0.25),),
        sc_meta,
        0.0,
    )
    text = render(snap)
    assert find(
        text,
        "openrouter_session_median_cost_dollars",
        app_slug="claude-code",
        app="Claude Code",
        model="a/b",
        turn_range="1-turn",
    ) == [0.25]
    assert find(text, "openrouter_data_as_of_timestamp_seconds", dataset="session-cost") == [
        datetime(2026, 5, 11, 9, tzinfo=UTC).timestamp()
    ]
    assert find(text, "openrouter_data_end_date_timestamp_seconds", dataset="session-cost") == [
        datetime(2026, 5, 10, tzinfo=UTC).timestamp()
    ]
    assert find(text, "openrouter_dataset_info", dataset="session-cost", license="CC-BY-4.0") == [1]


def test_gzip_and_openmetrics_variants_carry_the_same_samples():
    import gzip
    import zlib

    cache = ExpositionCache(CFG)
    snap = apps_snapshot([AppRow(1, 'A "q"', 1, 2, 3)])
    cache.update({snap.key: snap})
    r = cache.current
    assert gzip.decompress(r.body(True, b"tail")) == r.text + b"tail"
    assert gzip.decompress(r.body(True)) == r.text
    # One gzip stream, not concatenated members: zlib stops after the first member.
    d = zlib.decompressobj(zlib.MAX_WBITS | 16)
    assert d.decompress(r.body(True, b"tail")) == r.text + b"tail" and d.eof
    assert b"# EOF" not in r.text  # added once, after the self-metrics
    om = list(parse_openmetrics((r.text + b"# EOF\n").decode()))
    assert {f.name for f in om} >= {"openrouter_app_rank", "openrouter_model_share"}
    assert find(r.text, "openrouter_app_rank", app='A "q"') == [1]


def test_freshness_help_says_where_each_registered_dataset_gets_its_values():
    # The HELP is read by people choosing which timestamp to trust: it is made from the
    # registry, so a dataset added there is listed with where its values come from.
    from exporter.datasets import REGISTRY

    helps = {f.name: f.help for f in DatasetExposition(CFG).families}
    as_of = helps["openrouter_data_as_of_timestamp_seconds"]
    end = helps["openrouter_data_end_date_timestamp_seconds"]
    for d in REGISTRY.values():
        assert f"{d.as_of_from} (" in as_of and d.name in as_of.split(d.as_of_from)[1], d.name
        assert f"{d.end_date_from} (" in end and d.name in end.split(d.end_date_from)[1], d.name
    assert "data.as_of, the window's last day (task-classifications)" in end
    assert "the UTC day of meta.as_of, current scores without a window (benchmarks)" in end
