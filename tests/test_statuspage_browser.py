"""The status page in a real browser: headless Chromium against real exporter processes.

Three situations a newcomer meets: the demo, a key OpenRouter rejects (here: the simulator
over real HTTP, with a stored snapshot set from an earlier run), and no key at all. In
each, at a laptop's and a phone's size, light and dark: the page renders (a screenshot
with many colours, nothing wider than the screen), says what is going on, shows the same
figures as /metrics, and asks no host but the exporter for anything.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from array import array
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from statistics import median
from typing import Any

import httpx
import pytest
import yaml
from browser import Chromium, png_pixels
from conftest import FAKE_KEY, Proc, free_port, wait_for
from prometheus_client.parser import text_string_to_metric_families

from exporter.datasets.page import dollars
from exporter.simulator import Simulator, serve
from exporter.simulator.market import Market, day_index

pytestmark = pytest.mark.e2e

VIEWPORTS = ((1280, 800, False), (1280, 800, True), (390, 844, False), (390, 844, True))
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
CHANGE = re.compile(r"^(▲[1-9][0-9]*|▼[1-9][0-9]*|=|NEW)$")  # a rank change, as shown
# Everything a test compares, read from the rendered DOM, not from the HTML source.
READ_PAGE = """(() => {
  const spark = svg => svg && {
    width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height,
    visible: svg.checkVisibility({opacityProperty: true, visibilityProperty: true}),
    title: svg.querySelector('title').textContent};
  const rows = id => [...document.querySelectorAll(`#${id} ol.bars li`)].map(li => ({
    rank: li.querySelector('.rk').textContent,
    name: li.querySelector('.nm').textContent,
    value: li.querySelector('.val').textContent,
    exact: li.querySelector('.val').title,
    // Each rank change as shown (the glyphs are aria-hidden) and as a screen reader says it.
    moves: [...li.querySelectorAll('.mv')].map(m => m.querySelector('[aria-hidden]').innerText),
    said: [...li.querySelectorAll('.mv .vh')].map(m => m.textContent),
    spark: spark(li.querySelector('svg.spark'))}));
  // innerText: what is visible; textContent: also what a folded <details> holds.
  const text = sel => [...document.querySelectorAll(sel)].map(e => e.innerText);
  const all = sel => [...document.querySelectorAll(sel)].map(e => e.textContent);
  const parts = [...document.querySelectorAll('#benchmarks .part')];
  return {models: rows('models'), apps: rows('apps'), tasks: rows('tasks'),
          sessions: rows('session-cost'),
          benchmarks: Object.fromEntries(parts.map(p => [p.id, rows(p.id)])),
          banners: text('.banner'),
          cites: text('.cite'), states: all('#views .st'), body: document.body.textContent,
          overflow: document.documentElement.scrollWidth - innerWidth,
          scripts: document.scripts.length};
})()"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    b = Chromium()
    try:
        yield b
    finally:
        b.close()


def shown_name(name: str) -> str:
    """What the page shows for an API name: one line, never blank."""
    return CONTROL.sub(" ", name).strip() or "(no name)"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def series(metrics: dict, name: str, **match: str) -> dict[str, tuple[dict, float]]:
    """Samples of ``name`` whose labels include ``match``, keyed by model or app_id."""
    out = {}
    for (n, labels), v in metrics.items():
        d = dict(labels)
        if n == name and all(d.get(k) == val for k, val in match.items()):
            out[d.get("model") or d.get("app_id", "")] = (d, v)
    return out


def look(browser: Chromium, url: str, shots: Path, name: str) -> dict[str, Any]:
    """Every viewport: a screenshot that is not blank and nothing wider than the screen."""
    page: dict[str, Any] = {}
    browser.events.clear()  # the network log of this page only
    for width, height, dark in VIEWPORTS:
        browser.open(url, width, height, dark)
        page = browser.evaluate(READ_PAGE)
        assert page["overflow"] <= 0, f"{name} {width}px: {page['overflow']}px too wide"
        png = browser.screenshot()
        path = shots / f"{name}-{width}{'-dark' if dark else ''}.png"
        path.write_bytes(png)
        w, h, colours = png_pixels(png)
        assert (w, h) == (width, height)
        # A blank or one-colour page has a handful; text, bars and cards give hundreds.
        assert len(colours) > 200, f"{path}: only {len(colours)} colours"
        assert colours.most_common(1)[0][1] < 0.9 * w * h, f"{path}: mostly one colour"
        if dark:  # the dark scheme really is dark: its most common colour is the background
            assert sum(colours.most_common(1)[0][0]) < 3 * 60, path
        for row in page["models"]:  # a sparkline drawn is one a person can see, at every size
            spark = row["spark"]
            assert spark is None or (spark["visible"] and spark["width"] * spark["height"] > 0), (
                f"{name} {width}px: {row['name']}: {spark}"
            )
    assert page["scripts"] == 0
    exporter = url.rstrip("/")
    strangers = [u for u in browser.requested_urls() if not u.startswith(exporter + "/")]
    assert not strangers, f"the page asked other hosts: {strangers}"
    return page


@pytest.fixture
def shots(tmp_path: Path) -> Iterator[Path]:
    """Screenshots land in tmp_path; PAGE_SCREENSHOTS=DIR keeps a copy to look at."""
    yield tmp_path
    keep = os.environ.get("PAGE_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for png in tmp_path.glob("*.png"):
            shutil.copy(png, keep)


def page_and_metrics(browser: Chromium, url: str) -> tuple[dict[str, Any], dict]:
    """The page's figures and /metrics at one moment: read until /metrics did not change
    while the page was read."""
    for _ in range(10):
        before = httpx.get(f"{url}/metrics", timeout=10).text
        browser.open(f"{url}/", 1280, 800)
        page = browser.evaluate(READ_PAGE)
        after = httpx.get(f"{url}/metrics", timeout=10).text
        data = lambda t: [ln for ln in t.splitlines() if ln.startswith("openrouter_")]  # noqa: E731
        if [ln for ln in data(before) if "_exporter_" not in ln] == [
            ln for ln in data(after) if "_exporter_" not in ln
        ]:
            return page, samples(after)
        time.sleep(1)
    raise AssertionError("/metrics kept changing")


def assert_figures_equal_metrics(page: dict, metrics: dict, model_view: str, app_window: str):
    ranks = series(metrics, "openrouter_model_rank", view=model_view)
    shares = series(metrics, "openrouter_model_share", view=model_view)
    top = sorted(ranks, key=lambda m: ranks[m][1])[:10]
    assert len(top) == 10
    assert [(r["rank"], r["name"], r["value"]) for r in page["models"]] == [
        (f"{ranks[m][1]:.0f}", m, f"{shares[m][1] * 100:.1f}%") for m in top
    ]
    match = {"window": app_window, "sort": "popular", "category": "all", "subcategory": "all"}
    app_ranks = series(metrics, "openrouter_app_rank", **match)
    tokens = series(metrics, "openrouter_app_tokens", **match)
    top_apps = sorted(app_ranks, key=lambda a: app_ranks[a][1])[:10]
    assert len(top_apps) == 10
    assert [(r["rank"], r["name"], r["exact"]) for r in page["apps"]] == [
        (
            f"{app_ranks[a][1]:.0f}",
            shown_name(app_ranks[a][0]["app"]),
            f"{tokens[a][1]:,.0f} tokens",
        )
        for a in top_apps
    ]


def assert_tasks_and_benchmarks_equal_metrics(page: dict, metrics: dict) -> None:
    """The tasks by token share, and each benchmarks view's top models, as /metrics has
    them (the benchmarks views of the demo: Artificial Analysis' intelligence index)."""
    tokens = [
        (dict(labels), v)
        for (n, labels), v in metrics.items()
        if n == "openrouter_task_token_share"
    ]
    top = sorted(tokens, key=lambda s: (-s[1], s[0]["task"]))[:10]
    assert len(top) == 10
    assert [(r["rank"], r["name"], r["value"]) for r in page["tasks"]] == [
        (str(i), d["task_name"], f"{v * 100:.1f}%") for i, (d, v) in enumerate(top, 1)
    ]
    assert set(page["benchmarks"]) == {
        "benchmarks-artificial-analysis",
        "benchmarks-openrouter",
        "benchmarks-openrouter-search",
        "benchmarks-design-arena",
    }
    index = series(metrics, "openrouter_benchmark_index", index="intelligence")
    best = sorted(index, key=lambda m: (-index[m][1], m))[:5]
    assert [
        (r["name"], r["value"]) for r in page["benchmarks"]["benchmarks-artificial-analysis"]
    ] == [(m, f"{index[m][1]:,.1f}") for m in best]
    assert all(len(rows) == 5 for rows in page["benchmarks"].values())


def assert_session_cost_equals_metrics(page: dict, metrics: dict) -> None:
    """Each harness's typical cost per session (the median over its models) in the turn
    range most cells hold, the dearest first, as /metrics has the cells."""
    turns = ("1-turn", "2-9-turns", "10-49-turns", "50-plus-turns")
    costs: dict[tuple[str, str], list[float]] = {}
    names = {}
    for (n, labels), v in metrics.items():
        if n == "openrouter_session_median_cost_dollars":
            d = dict(labels)
            costs.setdefault((d["app_slug"], d["turn_range"]), []).append(v)
            names[d["app_slug"]] = d["app"]
    held = {t: sum(len(v) for (_, t2), v in costs.items() if t2 == t) for t in turns}
    main = min(turns, key=lambda t: (-held[t], turns.index(t)))
    typical = {a: median(v) for (a, t), v in costs.items() if t == main}
    order = sorted(typical, key=lambda a: (-typical[a], a))
    assert len(order) >= 2
    assert [(r["rank"], r["name"], r["value"]) for r in page["sessions"]] == [
        (str(i), shown_name(names[a]), dollars(typical[a])) for i, a in enumerate(order, 1)
    ]


def test_demo_in_chromium(tmp_path, browser, shots):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    proc = Proc(["demo", f"--web.listen-address=127.0.0.1:{port}"], env, tmp_path / "demo.log")
    try:
        wait_for(f"{url}/readyz", lambda r: r.text == "ready\n", timeout=60)
        page = look(browser, f"{url}/", shots, "demo")
        assert page["banners"][0].startswith("Demo: simulated data, not OpenRouter's.")
        page, metrics = page_and_metrics(browser, url)
        assert_figures_equal_metrics(page, metrics, "daily", "1d")
        assert_tasks_and_benchmarks_equal_metrics(page, metrics)
        assert_session_cost_equals_metrics(page, metrics)
        assert page["cites"] and all(
            c.startswith("Simulated by the exporter's built-in simulator, not OpenRouter")
            for c in page["cites"]
        )
        assert "Source: OpenRouter" not in page["body"]
        assert set(page["states"]) == {"✓ ok"}
        # What moved: each top model's change since the previous day and over a week, and
        # its 7-day sparkline; app rows say no previous day is held.
        for row in page["models"]:
            assert len(row["moves"]) == 2 and all(CHANGE.match(m) for m in row["moves"]), row
            assert row["spark"]["title"].startswith("share of tokens, 7 days: "), row
        assert any(m[0] in "▲▼" for r in page["models"] for m in r["moves"])  # the market moves
        assert all(r["moves"] == ["—"] for r in page["apps"])
        assert "no previous day held" in page["body"]
        # The benchmarks' parts sit side by side on a wide screen, one under another on a
        # phone: a card of them in one column was as tall as the page beside an empty one.
        for width, columns in ((1280, 2), (390, 1)):
            browser.open(f"{url}/", width, 800, False)
            lefts = browser.evaluate(
                "[...document.querySelectorAll('#benchmarks .part')]"
                ".map(p => Math.round(p.getBoundingClientRect().left))"
            )
            assert len(lefts) == 4 and len(set(lefts)) == columns, (width, lefts)
    finally:
        assert proc.stop() == 0, proc.output()


def start_run(tmp_path: Path, port: int, base_url: str, key: str | None, apps: list[str]) -> Proc:
    """`run` with a small config on loopback ``port``, state in tmp_path/state."""
    cfg = {
        "openrouter": {"base_url": base_url, "timeout": "2s"},
        "state_dir": str(tmp_path / "state"),
        "apps": {"windows": apps, "sorts": ["popular"], "filters": ["all"], "depth": 20},
        "models": {"views": [{"name": "daily"}]},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    if key:
        env["OPENROUTER_API_KEY"] = key
    listen = f"--web.listen-address=127.0.0.1:{port}"
    return Proc(["--config.file", str(path), listen], env, tmp_path / f"run-{key}.log")


def entrant_market(seed: int, latest: date, rank: int) -> tuple[Market, str]:
    """A private market in which the model ranked ``rank`` on ``latest`` had no traffic
    before it: a model launched straight into the top 10, as an entrant the page must call
    NEW (no other model moves in its own series)."""
    market = Market(seed, until=latest)
    top = [r.model_permaslug for r in market.rankings_daily(latest, latest)]
    entrant = [m for m in top if m != "other"][rank - 1]
    series = market.history.models[entrant]
    for d in range(min(day_index(latest), len(series.values))):
        series.values[d] = 0
    series.prefix = array("q", accumulate(series.values, initial=0))
    return market, entrant


def ranking(market: Market, day: date) -> list[str]:
    rows = market.rankings_daily(day, day)
    return [r.model_permaslug for r in rows if r.model_permaslug != "other"]


def change(model: str, now: list[str], then: list[str]) -> str:
    if model not in then:
        return "NEW"
    places = then.index(model) - now.index(model)
    return f"▲{places}" if places > 0 else f"▼{-places}" if places < 0 else "="


def test_what_moved_in_chromium_with_an_entrant(tmp_path, browser, shots):
    today = datetime.now(UTC).date()
    latest = today - timedelta(days=1)
    market, entrant = entrant_market(7, latest, 4)
    # The simulator's clock stops at the end of today: a test running over midnight UTC
    # still sees the day the entrant entered as the newest.
    end = datetime.combine(today, datetime.max.time(), UTC)
    sim = Simulator(api_keys={FAKE_KEY}, market=market, now=lambda: min(datetime.now(UTC), end))
    server = serve(sim, "127.0.0.1", 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_run(tmp_path, port, server.url, FAKE_KEY, ["1d"])
    try:
        wait_for(f"{url}/readyz", lambda r: r.text == "ready\n", timeout=60)
        page = look(browser, f"{url}/", shots, "moved")
        now = ranking(market, latest)
        before = ranking(market, latest - timedelta(days=1))
        week = ranking(market, latest - timedelta(days=7))
        assert [r["name"] for r in page["models"]] == now[:10]
        assert {r["name"]: r["moves"] for r in page["models"]} == {
            m: [change(m, now, before), change(m, now, week)] for m in now[:10]
        }
        (row,) = [r for r in page["models"] if r["name"] == entrant]
        assert row["rank"] == "4" and row["moves"] == ["NEW", "NEW"]
        since = (latest - timedelta(days=1)).isoformat()
        assert row["said"][0] == f"new: not among the 50 ranked on {since}"
        # Its sparkline: not ranked on the six days before, then its share of the day.
        title = row["spark"]["title"]
        assert title.count("not ranked") == 6 and title.endswith(f"{latest} {row['value']}")
        others = [r for r in page["models"] if r["name"] != entrant]
        assert all(CHANGE.match(m) and m != "NEW" for r in others for m in r["moves"][:1])
    finally:
        assert proc.stop() == 0, proc.output()
        server.shutdown()


def test_rejected_key_in_chromium(tmp_path, browser, shots):
    sim = Simulator(seed=7, api_keys={FAKE_KEY})
    server = serve(sim, "127.0.0.1", 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        # An earlier run with a good key leaves its snapshots in the state directory.
        good = start_run(tmp_path, port, server.url, FAKE_KEY, ["1d"])
        try:
            wait_for(f"{url}/readyz", lambda r: r.text == "ready\n", timeout=60)
        finally:
            assert good.stop() == 0, good.output()
        # Then the key is revoked, and a new view makes the exporter ask at once.
        bad_key = "sk-or-v1-revoked-0123456789"
        bad = start_run(tmp_path, port, server.url, bad_key, ["1d", "7d"])
        try:
            wait_for(f"{url}/", lambda r: "rejected the API key" in r.text, timeout=60)
            page = look(browser, f"{url}/", shots, "rejected")
            (banner,) = page["banners"]
            assert banner.startswith("Polling paused: OpenRouter rejected the API key (401).")
            m = re.search(r"Next try: (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \(in (\d+) min\)", banner)
            assert m and 55 <= int(m.group(2)) <= 60, banner
            assert set(page["states"]) == {"✗ key rejected"}
            page, metrics = page_and_metrics(browser, url)
            assert_figures_equal_metrics(page, metrics, "daily", "1d")  # the last good data
            assert bad_key not in page["body"]
        finally:
            assert bad.stop() == 0, bad.output()
    finally:
        server.shutdown()


def test_no_key_in_chromium_sends_nothing_and_says_why(tmp_path, browser, shots):
    sim = Simulator(seed=7)
    server = serve(sim, "127.0.0.1", 0)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_run(tmp_path, port, server.url, None, ["1d"])
    started = time.monotonic()
    try:
        wait_for(f"{url}/healthz", lambda r: r.status_code == 200)
        page = look(browser, f"{url}/", shots, "nokey")
        (banner,) = page["banners"]
        assert banner.startswith("Polling is off: no API key is configured.")
        assert "OPENROUTER_API_KEY" in banner
        assert set(page["states"]) == {"– not polled: no API key"}
        assert "No model rankings yet." in page["body"]
        # The acceptance: a minute of running sends the fake API nothing at all.
        time.sleep(max(0.0, 60 - (time.monotonic() - started)))
        assert sim.log == [], [f"{r.method} {r.path}" for r in sim.log]
        assert httpx.get(f"{url}/", timeout=10).status_code == 200
    finally:
        assert proc.stop() == 0, proc.output()
        server.shutdown()
