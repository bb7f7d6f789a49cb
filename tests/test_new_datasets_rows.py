"""The parsers of the datasets added as packages read only the fields they export, and
never fail a refresh on a field they do not read."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import golden_body

from exporter.client import MalformedResponse
from exporter.datasets import ROW_TYPES
from exporter.datasets.benchmarks import BenchmarkRow, parse_items
from exporter.datasets.task_classifications import TaskShareRow, parse_body
from exporter.snapshot import Snapshot


def test_task_classifications_rows_and_their_day():
    rows, meta = parse_body(golden_body("tasks"))
    assert meta.end_date == date(2026, 5, 11)
    assert meta.as_of is not None and meta.as_of.date() == date(2026, 5, 11)
    kinds = [r.kind for r in rows]
    assert kinds.count("task") == 2 and kinds.count("model") == 4 and kinds.count("macro") == 4
    assert (
        TaskShareRow("task", "general:chat", "Conversation", "general", "", 0.226974, 0.099658)
        in rows
    )


def test_task_classifications_without_the_window_day_is_malformed():
    body = golden_body("tasks")
    del body["data"]["as_of"]
    with pytest.raises(MalformedResponse, match="as_of"):
        parse_body(body)


def test_benchmarks_keep_the_kind_asked_for_and_drop_bad_values_not_items():
    body = golden_body("bench_openrouter")
    body["data"][0]["avg_cost_per_task"] = "n/a"  # a value unlike the docs: that series only
    body["data"][0]["accuracy_stddev"] = None
    rows = parse_items(body, "openrouter")
    families = [r.family for r in rows if r.model == body["data"][0]["model_permaslug"]]
    assert "cost_per_task" not in families and "score" in families and "tasks" in families
    assert all(r.model != "x/y" for r in rows)  # the item of an unknown source is skipped
    assert parse_items(body, "openrouter", search=True) == []  # no search item in it


def test_design_arena_ratios_and_seconds_are_base_units():
    rows = parse_items(golden_body("bench_arena"), "design-arena")
    first = {
        (r.family, r.place): r.value
        for r in rows
        if r.model == "anthropic/claude-4.5-opus-20251124"
    }
    assert first == {
        ("elo", ""): 1420.1,
        ("win", ""): 0.78,
        ("generation", ""): 54.524,
        ("tournaments", ""): 1223.0,
        ("placements", "first"): 745.0,
        ("placements", "second"): 210.0,
        ("placements", "third"): 189.0,
        ("placements", "fourth"): 79.0,
    }
    assert all(isinstance(r, BenchmarkRow) and r.arena == "models" for r in rows)


def test_a_null_or_missing_placement_is_no_series_not_a_failed_item():
    body = golden_body("bench_arena")
    stats = body["data"][0]["tournament_stats"]
    stats["second_place"] = None
    del stats["fourth_place"]
    body["data"][1]["tournament_stats"] = None  # the SDK types it non-null; never trusted
    rows = parse_items(body, "design-arena")
    first, second = (body["data"][i]["model_permaslug"] for i in (0, 1))
    assert sorted(r.place for r in rows if r.model == first and r.family == "placements") == [
        "first",
        "third",
    ]
    assert {r.family for r in rows if r.model == second} == {"elo", "win", "generation"}


def test_their_snapshots_survive_the_store_round_trip():
    tasks, meta = parse_body(golden_body("tasks"))
    arena = parse_items(golden_body("bench_arena"), "design-arena")
    for dataset, rows in (("task-classifications", tasks), ("benchmarks", arena)):
        snap = Snapshot(dataset, "v", tuple(rows), meta, 1.0)
        assert Snapshot.from_json(json.loads(json.dumps(snap.to_json())), ROW_TYPES) == snap
