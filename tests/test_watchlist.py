"""Watch lists against the data: short and dated model names, entries no ranking holds."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.configfile import parse_config
from exporter.datasets.apps import AppRow
from exporter.datasets.models import ModelDayRow, matches
from exporter.exposition import DatasetExposition
from exporter.snapshot import Meta, Snapshot

DAY = date(2026, 5, 11)


@pytest.mark.parametrize(
    ("entry", "slug", "expected"),
    [
        ("anthropic/claude-sonnet-4", "anthropic/claude-sonnet-4-20250514", True),
        ("openai/gpt-4o", "openai/gpt-4o-2024-05-13", True),
        ("openai/gpt-4o-2024-05-13", "openai/gpt-4o-2024-05-13", True),  # exact
        ("openai/gpt-4o-2024-05-13", "openai/gpt-4o-2024-08-06", False),  # dated: only itself
        ("openai/gpt-4o", "openai/gpt-4o-mini-2024-07-18", False),  # another model
        ("openai/gpt-4o", "openai/gpt-4o-2024-05-13:free", False),  # :free ranks on its own
        ("openai/gpt-4o:free", "openai/gpt-4o-2024-05-13:free", True),
        ("meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct", True),
        ("x/model", "x/model-v2", False),
    ],
)
def test_short_and_dated_entries(entry: str, slug: str, expected: bool) -> None:
    assert matches(entry, slug) is expected


def _snapshots() -> dict:
    models = (
        ModelDayRow(DAY, "anthropic/claude-sonnet-4-20250514", 900),
        ModelDayRow(DAY, "openai/gpt-4o-2024-05-13", 500),
        ModelDayRow(DAY, "other", 100),
    )
    apps = (AppRow(12345, "Cline", 1, 10, 1000), AppRow(777, "Other", 2, 5, 500))
    return {
        ("rankings-daily", "daily"): Snapshot(
            "rankings-daily", "daily", models, Meta(end_date=DAY), 0.0
        ),
        ("app-rankings", "7d/popular/all"): Snapshot(
            "app-rankings", "7d/popular/all", apps, Meta(end_date=DAY), 0.0
        ),
    }


def _series(text: bytes) -> dict[str, list]:
    out: dict[str, list] = {}
    for fam in text_string_to_metric_families(text.decode()):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


CFG = {
    "apps": {"windows": ["7d"], "sorts": ["popular"], "filters": ["all"]},
    "models": {"views": [{"name": "daily", "period": "day"}]},
    "watch": {
        "apps": [12345, 424242],
        "models": ["anthropic/claude-sonnet-4", "anthropic/claude-sonet-4"],
    },
}


def test_a_short_entry_joins_on_the_dated_permaslug_and_misses_are_reported(caplog) -> None:
    exposition = DatasetExposition(parse_config(CFG))
    with caplog.at_level(logging.WARNING):
        series = _series(b"".join(exposition.render(_snapshots())))
    info = series["openrouter_watched_model_info"]
    # The alerts join on `model`: it must be the name the ranking carries.
    assert (
        {"model": "anthropic/claude-sonnet-4-20250514", "watch": "anthropic/claude-sonnet-4"},
        1.0,
    ) in info
    ranked = {(lb["kind"], lb["watch"]): v for lb, v in series["openrouter_watched_ranked"]}
    assert ranked == {
        ("model", "anthropic/claude-sonnet-4"): 1.0,
        ("model", "anthropic/claude-sonet-4"): 0.0,  # a typo
        ("app", "12345"): 1.0,
        ("app", "424242"): 0.0,  # below every app view's depth, or no such app
    }
    (line,) = [r.getMessage() for r in caplog.records if "watch list" in r.getMessage()]
    assert "anthropic/claude-sonet-4" in line and "app 424242" in line
    assert "anthropic/claude-sonnet-4," not in line


def test_nothing_is_called_unranked_before_there_is_data(caplog) -> None:
    exposition = DatasetExposition(parse_config(CFG))
    with caplog.at_level(logging.WARNING):
        series = _series(b"".join(exposition.render({})))
    assert "openrouter_watched_ranked" not in series  # no data yet: unknown, not 0
    assert not [r for r in caplog.records if "watch list" in r.getMessage()]
    assert len(series["openrouter_watched_app_info"]) == 2
