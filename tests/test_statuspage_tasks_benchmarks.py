"""The status page's sections for task classifications and benchmarks, as a person reads
them: the same figures as /metrics, each benchmark view credited in its source's own
words, API text escaped, and a clear line when there is nothing to show.
(tests/test_statuspage_browser.py looks at them in headless Chromium too.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from test_statuspage import CFG, HOSTILE, START, Rig, bars

from exporter.datasets.benchmarks import BenchmarkRow
from exporter.datasets.task_classifications import TaskShareRow
from exporter.snapshot import Meta, Snapshot


def series(metrics: dict, name: str, **match: str) -> list[tuple[dict, float]]:
    return [
        (dict(labels), v)
        for (n, labels), v in metrics.items()
        if n == name and all(dict(labels).get(k) == want for k, want in match.items())
    ]


def stamp(metrics: dict, dataset: str, view: str) -> str:
    key = frozenset({"dataset": dataset, "view": view}.items())
    ts = metrics[("openrouter_data_as_of_timestamp_seconds", key)]
    return f"{datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M} UTC"


def test_top_tasks_equal_the_metrics(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    dom, metrics = rig.dom(), rig.metrics()
    tokens = series(metrics, "openrouter_task_token_share", window="7d")
    usage = {d["task"]: v for d, v in series(metrics, "openrouter_task_usage_share")}
    groups = {
        d["macro_category"]: d["macro_category_name"]
        for d, _ in series(metrics, "openrouter_task_macro_token_share")
    }
    top = sorted(tokens, key=lambda s: (-s[1], s[0]["task"]))[:10]
    assert len(top) == 10
    assert [(r, n, v, tip) for r, n, v, tip in bars(dom, "tasks")] == [
        (str(i), d["task_name"], f"{v * 100:.1f}%", f"{v} of tokens ({d['task']})")
        for i, (d, v) in enumerate(top, 1)
    ]
    details = [li.all("small")[0].text for li in dom.by_id("tasks").all("li")]
    assert details == [
        f"{usage[d['task']] * 100:.1f}% of requests · {groups[d['macro_category']]}" for d, _ in top
    ]
    section = dom.by_id("tasks")
    assert f"of {len(tokens)} tasks" in section.all(cls="sub")[0].text
    assert "7 days to 2026-05-11" in section.all(cls="sub")[0].text
    cite = section.all(cls="cite")[0].text
    assert cite == (
        f"Source: OpenRouter (openrouter.ai/rankings), as of "
        f"{stamp(metrics, 'task-classifications', '7d')}. CC BY 4.0."
    )


def test_each_benchmark_view_shows_its_top_models_as_on_metrics(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    dom, metrics = rig.dom(), rig.metrics()

    def top5(samples: list[tuple[dict, float]]) -> list[tuple[str, str]]:
        ranked = sorted(samples, key=lambda s: (-s[1], s[0]["model"]))[:5]
        return [(d["model"], f"{v:,.1f}") for d, v in ranked]

    def shown(slot: str) -> list[tuple[str, str]]:
        return [(n, v) for _, n, v, _ in bars(dom, slot)]

    aa = series(metrics, "openrouter_benchmark_index", index="intelligence")
    assert shown("benchmarks-artificial-analysis") == top5(aa) and len(aa) > 5
    # Design Arena: the arena and category ranking the most models, ties by name.
    elo = series(metrics, "openrouter_benchmark_elo")
    counts: dict[tuple[str, str], int] = {}
    for d, _ in elo:
        counts[(d["arena"], d["category"])] = counts.get((d["arena"], d["category"]), 0) + 1
    arena, category = min(counts, key=lambda g: (-counts[g], g))
    part = dom.by_id("benchmarks-design-arena")
    assert part.all("h3")[0].text == f"Design Arena: {arena} arena, {category}"
    assert shown("benchmarks-design-arena") == top5(
        series(metrics, "openrouter_benchmark_elo", arena=arena, category=category)
    )
    # OpenRouter: a ratio, shown as a percentage, of the benchmark with the most models.
    scores = series(metrics, "openrouter_benchmark_score_ratio")
    by_benchmark: dict[str, int] = {}
    for d, _ in scores:
        by_benchmark[d["benchmark"]] = by_benchmark.get(d["benchmark"], 0) + 1
    for slot in ("benchmarks-openrouter", "benchmarks-openrouter-search"):
        title = dom.by_id(slot).all("h3")[0].text
        benchmark = title.removeprefix("OpenRouter benchmark: ")
        best = series(metrics, "openrouter_benchmark_score_ratio", benchmark=benchmark)
        ranked = sorted(best, key=lambda s: (-s[1], s[0]["model"]))[:5]
        assert shown(slot) == [(d["model"], f"{v * 100:.1f}%") for d, v in ranked]
    # Each view credited in its source's words (meta.citation), with the time of its data.
    for view, words in (
        ("artificial-analysis", "Source: Artificial Analysis (artificialanalysis.ai) via"),
        ("design-arena", "Source: Design Arena (designarena.ai) via OpenRouter"),
        ("openrouter", "Source: OpenRouter (openrouter.ai/benchmarks)."),
    ):
        cite = dom.by_id(f"benchmarks-{view}").all(cls="cite")[0].text
        assert cite.startswith(words) and cite.endswith(
            f" As of {stamp(metrics, 'benchmarks', view)}."
        ), cite
    assert "CC BY" not in dom.by_id("benchmarks-artificial-analysis").text  # not stated


def _put(rig: Rig, dataset: str, view: str, rows: tuple, meta: Meta | None = None) -> None:
    meta = meta or Meta(as_of=START, end_date=START.date())
    rig.exporter.store.put(Snapshot(dataset, view, rows, meta, START.timestamp()))


def test_hostile_api_text_is_escaped_in_both_sections(tmp_path):
    rig = Rig(tmp_path, {**CFG, "benchmarks": {"views": ["artificial-analysis"]}})
    tasks = tuple(
        TaskShareRow("task", f"t{i}", name, "<b>g</b>", "", 0.01, 0.1 - i / 100)
        for i, name in enumerate(HOSTILE)
    )
    _put(rig, "task-classifications", "7d", tasks)
    models = tuple(
        BenchmarkRow("index", name, index="intelligence", value=90.0 - i)
        for i, name in enumerate(HOSTILE[:5])
    )
    cite = BenchmarkRow("source_info", "", category="x", citation="<script>alert(1)</script>")
    _put(rig, "benchmarks", "artificial-analysis", (*models, cite))
    page = rig.page()
    assert b"<script>" not in page and b"<img" not in page and b"<b>g</b>" not in page
    dom = rig.dom()
    names = [n for _, n, _, _ in bars(dom, "tasks")]
    assert names[:3] == [
        "<script>window.pwned=1</script>",
        '"><img src=x onerror=alert(1)>',
        "Line one Line two",
    ]
    assert names[6] == "t6"  # a blank display name: the tag
    shown = [n for _, n, _, _ in bars(dom, "benchmarks-artificial-analysis")]
    assert shown[0] == "<script>window.pwned=1</script>" and shown[2] == "Line one Line two"
    # The citation is the API's text: shown as text; the demo never credits (not here).
    assert (
        dom.by_id("benchmarks-artificial-analysis")
        .all(cls="cite")[0]
        .text.startswith("<script>alert(1)</script> As of")
    )


def test_no_data_yet_switched_off_and_no_citation(tmp_path):
    rig = Rig(tmp_path, key=None)  # no key: nothing is fetched
    dom = rig.dom()
    assert "No task classifications yet." in dom.by_id("tasks").text
    for view in ("artificial-analysis", "openrouter", "openrouter-search", "design-arena"):
        assert "No scores yet." in dom.by_id(f"benchmarks-{view}").text
    off = Rig(
        tmp_path / "off",
        {**CFG, "task_classifications": {"enabled": False}, "benchmarks": {"enabled": False}},
        key=None,
    )
    page = off.page()
    assert b'id="tasks"' not in page and b'id="benchmarks' not in page
    # meta.citation null: the page says to credit each score's source, as the SDK does.
    rig = Rig(tmp_path / "cite", {**CFG, "benchmarks": {"views": ["design-arena"]}}, key=None)
    row = BenchmarkRow("elo", "a/b", arena="models", category="website", value=1200.0)
    site = BenchmarkRow("source_info", "", category="designarena.ai")
    _put(rig, "benchmarks", "design-arena", (row, site))
    cite = rig.dom().by_id("benchmarks-design-arena").all(cls="cite")[0].text
    assert cite.startswith("Attribute each score to its source (designarena.ai). As of ")
    _put(rig, "benchmarks", "design-arena", (row,))
    cite = rig.dom().by_id("benchmarks-design-arena").all(cls="cite")[0].text
    assert cite.startswith("Attribute each score to its source. As of ")


def test_duplicate_rows_show_once_as_on_metrics(tmp_path):
    rig = Rig(tmp_path, {**CFG, "benchmarks": {"views": ["artificial-analysis"]}}, key=None)
    rows = (
        BenchmarkRow("index", "a/first", index="intelligence", value=50.0),
        BenchmarkRow("index", "a/first", index="intelligence", value=99.0),  # dropped
        BenchmarkRow("index", "b/second", index="intelligence", value=40.0),
    )
    _put(rig, "benchmarks", "artificial-analysis", rows)
    got = [(n, v) for _, n, v, _ in bars(rig.dom(), "benchmarks-artificial-analysis")]
    assert got == [("a/first", "50.0"), ("b/second", "40.0")]
    text = rig.exporter.cache.current.text.decode()
    assert 'model="a/first"' in text and "99.0" not in text


def test_a_stored_snapshot_of_the_simulator_keeps_its_day(tmp_path):
    # The page reads the snapshot's own as_of, never the clock: stale data keeps its date.
    rig = Rig(tmp_path)
    rig.run(600)
    snap = rig.exporter.store.snapshots()[("task-classifications", "7d")]
    old = datetime(2026, 1, 2, tzinfo=UTC)
    rig.exporter.store.put(replace(snap, meta=Meta(as_of=old, end_date=old.date())))
    cite = rig.dom().by_id("tasks").all(cls="cite")[0].text
    assert "as of 2026-01-02 00:00 UTC" in cite
