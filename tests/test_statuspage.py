"""The status page at ``/`` as a person reads it: built from a real exporter driven against
the simulator on a fake clock, rendered to HTML and read back with the standard library's
parser. (tests/test_statuspage_browser.py looks at the same page in headless Chromium.)"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FAKE_KEY, drive
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import Exporter, build
from exporter.budget import read_log
from exporter.configfile import parse_config
from exporter.datasets.apps import AppRow
from exporter.datasets.apps.page import NOT_HELD_APPS
from exporter.datasets.models import ModelDayRow
from exporter.simulator import ManualClock, Simulator
from exporter.snapshot import Meta, Snapshot
from exporter.statuspage import StatusPage
from exporter.statuspage.html import compact, relative
from testsupport.maximal import maximal_config, maximal_snapshots

START = datetime(2026, 5, 12, 0, 30, tzinfo=UTC)
CFG: dict[str, Any] = {
    "apps": {"windows": ["1d", "7d"], "sorts": ["popular", "trending"], "filters": ["all"]},
    "models": {"views": [{"name": "daily"}, {"name": "weekly", "period": "week", "days": 21}]},
    "watch": {"models": ["openai/not-a-ranked-model"]},
}
HOSTILE = (
    "<script>window.pwned=1</script>",
    '"><img src=x onerror=alert(1)>',
    "Line one\nLine two\r\n",
    "\u202eevil right-to-left override",
    "مساعد الكتابة",
    "A " + "very long app name " * 40 + "end",
    " ",
)


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and (
                    cls is None or cls in c.attrs.get("class", "").split()
                ):
                    found.append(c)
                found.extend(c.all(tag, cls))
        return found

    def by_id(self, ident: str) -> Node:
        hits = [n for n in self.all() if n.attrs.get("id") == ident]
        assert len(hits) == 1, f"#{ident}: {len(hits)} elements"
        return hits[0]


VOID = {"meta", "br", "img", "input", "link", "rect", "line", "path", "circle", "polyline"}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.cur = Node("#root", {}, None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.cur.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.cur))

    def handle_endtag(self, tag: str) -> None:
        node = self.cur
        while node.parent is not None and node.tag != tag:
            node = node.parent
        assert node.tag == tag, f"</{tag}> closes nothing"
        self.cur = node.parent or self.root

    def handle_data(self, data: str) -> None:
        self.cur.children.append(data)


def parse(page: bytes) -> Node:
    p = _Parser()
    p.feed(page.decode("utf-8"))
    p.close()
    assert p.cur is p.root, f"<{p.cur.tag}> never closed"
    return p.root


class Rig:
    """An exporter against the simulator on a fake clock, as tests/test_faults.py does."""

    def __init__(self, tmp_path: Path, cfg: dict | None = None, key: str | None = FAKE_KEY):
        self.clock = ManualClock(START)
        self.sim = Simulator(
            seed=5,
            now=self.clock,
            api_keys={FAKE_KEY},
        )
        self.exporter: Exporter = build(
            parse_config(cfg or CFG),
            key,
            transport=httpx.MockTransport(self.sim.handle),
            clock=self.clock.timestamp,
            state_dir=tmp_path,
            rng=random.Random(1),
        )
        self.page = StatusPage(self.exporter)

    def run(self, seconds: float) -> None:
        drive(self.exporter.scheduler.step, self.clock, self.clock.timestamp() + seconds)

    def dom(self) -> Node:
        return parse(self.page())

    def metrics(self) -> dict[tuple[str, frozenset], float]:
        text = self.exporter.cache.current.text.decode()
        return {
            (s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(text)
            for s in fam.samples
        }


def bars(dom: Node, section: str) -> list[tuple[str, str, str, str]]:
    """(rank, shown name, value text, value tooltip) of each bar in a chart."""
    rows = []
    for li in dom.by_id(section).all("li"):
        (rk,), (nm,), (val,) = li.all(cls="rk"), li.all(cls="nm"), li.all(cls="val")
        rows.append((rk.text, nm.text, val.text, val.attrs["title"]))
    return rows


def test_top_models_and_apps_equal_the_metrics(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    dom, metrics = rig.dom(), rig.metrics()
    share = {
        dict(labels)["model"]: v
        for (name, labels), v in metrics.items()
        if name == "openrouter_model_share" and dict(labels)["view"] == "daily"
    }
    rank = {
        dict(labels)["model"]: int(v)
        for (name, labels), v in metrics.items()
        if name == "openrouter_model_rank" and dict(labels)["view"] == "daily"
    }
    top = sorted(rank, key=rank.get)[:10]
    assert [(r, n, v) for r, n, v, _ in bars(dom, "models")] == [
        (str(rank[m]), m, f"{share[m] * 100:.1f}%") for m in top
    ]
    apps = {
        dict(labels)["app_id"]: (dict(labels)["app"], v)
        for (name, labels), v in metrics.items()
        if name == "openrouter_app_rank"
        and dict(labels)["window"] == "1d"
        and dict(labels)["sort"] == "popular"
    }
    tokens = {
        dict(labels)["app_id"]: v
        for (name, labels), v in metrics.items()
        if name == "openrouter_app_tokens"
        and dict(labels)["window"] == "1d"
        and dict(labels)["sort"] == "popular"
    }
    top_apps = sorted(apps, key=lambda a: apps[a][1])[:10]
    shown = bars(dom, "apps")
    assert [(r, tip) for r, _, _, tip in shown] == [
        (str(int(apps[a][1])), f"{int(tokens[a]):,} tokens") for a in top_apps
    ]
    # The compact figure a person reads is the same number to three significant digits.
    for (_, _, text, _), a in zip(shown, top_apps, strict=True):
        value = float(text[:-1]) * {"T": 1e12, "B": 1e9, "M": 1e6, "K": 1e3}[text[-1]]
        assert abs(value - tokens[a]) <= 0.005 * tokens[a]
    cite = dom.by_id("models").all(cls="cite")[0].text
    as_of = datetime.fromtimestamp(
        metrics[
            (
                "openrouter_data_as_of_timestamp_seconds",
                frozenset({"dataset": "rankings-daily", "view": "daily"}.items()),
            )
        ],
        UTC,
    )
    source = "Source: OpenRouter (openrouter.ai/rankings)"
    assert cite == f"{source}, as of {as_of:%Y-%m-%d %H:%M} UTC. CC BY 4.0."


def test_watchlist_shows_current_ranks_and_absence(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    daily = rig.exporter.store.snapshots()[("rankings-daily", "daily")]
    leader = max(
        (r for r in daily.rows if r.date == daily.meta.end_date and r.model != "other"),
        key=lambda r: r.total_tokens,
    ).model
    cfg = replace(
        rig.exporter.cfg,
        watch={**rig.exporter.cfg.watch, "models": (leader, "openai/not-a-ranked-model")},
    )
    rig.exporter.cfg = cfg
    table = StatusPage(rig.exporter)
    dom = parse(table())
    rows = [[td.text for td in tr.all("td")] for tr in dom.by_id("watch").all("tr")[1:]]
    assert rows[0][:2] == [leader, "#1"]  # daily rank of the day's leader
    assert rows[1][0] == "openai/not-a-ranked-model" and rows[1][1] == "—"
    absent = dom.by_id("watch").all("td", cls="muted")[0]
    assert absent.attrs["title"].startswith("not in the top ")


def test_views_are_summarised_per_dataset_not_listed_row_by_row(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    dom = rig.dom()
    groups = dom.by_id("views").all("details")
    assert [g.attrs["data-dataset"] for g in groups] == [
        "rankings-daily",
        "app-rankings",
        "session-cost",
        "task-classifications",
        "benchmarks",
    ]
    apps = groups[1]
    (summary,) = apps.all("summary")
    assert [p.text for p in summary.all(cls="pill")] == ["✓ 4 ok"]
    assert "open" not in apps.attrs  # the 4 identical rows stay folded
    assert len(apps.all("tr")) == 1 + 4
    assert "error" not in [th.text for th in apps.all("th")]  # no empty error column
    states = [td.all(cls="st")[0] for td in apps.all("td") if td.all(cls="st")]
    assert all(s.text == "✓ ok" and "good" in s.attrs["class"] for s in states)
    plan = dom.by_id("plan").all("li")
    assert [li.all("b")[0].text for li in plan] == [
        "new-day detector",
        "rankings-daily",
        "app-rankings",
        "session-cost",
        "task-classifications",
        "benchmarks",
    ]


def test_rejected_key_is_one_banner_with_the_next_try_and_one_summarised_error(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    served = rig.dom()
    rig.exporter = build(
        rig.exporter.cfg,
        "sk-or-v1-revoked-key-0000",
        transport=httpx.MockTransport(rig.sim.handle),
        clock=rig.clock.timestamp,
        state_dir=tmp_path,
    )
    rig.exporter.scheduler.detector.due = rig.clock.timestamp()  # ask now, not at the next day
    rig.page = StatusPage(rig.exporter)
    rig.run(5)
    page = rig.page()
    dom = parse(page)
    banners = [b.text for b in dom.all(cls="banner")]
    assert len(banners) == 1
    retry = rig.exporter.scheduler.hold_until
    assert "OpenRouter rejected the API key (401)" in banners[0]
    at = datetime.fromtimestamp(retry, UTC)
    assert (
        f"Next try: {at:%Y-%m-%d %H:%M} UTC ({relative(retry, rig.clock.timestamp())})."
        in banners[0]
    )
    assert 3500 < retry - rig.clock.timestamp() <= 3600
    # The last good data stays on the page, as on /metrics.
    assert bars(dom, "models") == bars(served, "models")
    for group in dom.by_id("views").all("details"):
        (summary,) = group.all("summary")
        pills = [p.text for p in summary.all(cls="pill")]
        assert len(pills) == 1 and pills[0].endswith("key rejected"), pills
        (error,) = group.all("li")
        assert error.text.startswith("✗ API key rejected (401) — ")
    assert b"revoked-key" not in page


def test_no_key_says_why_and_nothing_is_polled(tmp_path):
    rig = Rig(tmp_path, key=None)
    dom = rig.dom()
    (banner,) = dom.all(cls="banner")
    assert "Polling is off: no API key is configured." in banner.text
    assert "OPENROUTER_API_KEY" in banner.text
    states = {s.text for s in dom.by_id("views").all(cls="st")}
    assert states == {"– not polled: no API key"}
    assert "No model rankings yet." in dom.by_id("models").text
    # The banner says it once; the rows do not repeat it (one summary line per dataset).
    views = dom.by_id("views")
    assert "error" not in [th.text for th in views.all("th")]
    assert "OPENROUTER_API_KEY" not in "".join(td.text for td in views.all("td"))
    assert len(views.all("li")) == len(views.all("details"))


def test_demo_never_credits_openrouter_for_simulated_data(tmp_path):
    rig = Rig(tmp_path)
    rig.exporter.demo = True
    rig.run(600)
    page = rig.page().decode()
    dom = parse(page.encode())
    (banner,) = dom.all(cls="banner")
    assert "Demo: simulated data, not OpenRouter's." in banner.text
    cites = [c.text for c in dom.all(cls="cite")]
    # models, apps, session cost, tasks, each of the 4 benchmarks views, the watched models
    assert len(cites) == 9
    assert all(
        c.startswith("Simulated by the exporter's built-in simulator, not OpenRouter")
        for c in cites
    )
    assert "Source: OpenRouter" not in page and "© OpenRouter" not in page


def test_exhausted_budget_and_rate_limit_pause_with_their_next_try(tmp_path):
    rig = Rig(tmp_path, {**CFG, "budget": {"requests_per_day": 10, "reserve": 0}})
    rig.run(600)
    budget = rig.exporter.budget
    while budget.used()["24h"] < 10:  # a backfill beside it spends the rest
        with budget.spend("app-rankings"):
            pass
        rig.clock.advance(seconds=61)
    dom = rig.dom()
    titles = [b.all("b")[0].text for b in dom.all(cls="banner")]
    assert "Polling paused: the 24-hour request budget is used up." in titles
    oldest = min(t for t, _ in read_log(budget.path, rig.clock.timestamp()))
    nxt = datetime.fromtimestamp(oldest + 86400, UTC)
    assert f"Next try: {nxt:%Y-%m-%d %H:%M} UTC" in dom.all(cls="banner")[0].text
    meter = dom.by_id("budget").all(cls="meter")[1]
    assert "10 of 10 used (100%)" in meter.text
    sched = rig.exporter.scheduler
    sched.failures.hold_until = rig.clock.timestamp() + 600
    (banner,) = [b for b in rig.dom().all(cls="banner") if "429" in b.text]
    assert "Next try: " in banner.text and "(in 10 min)" in banner.text


def test_api_text_is_escaped_and_cannot_break_the_layout(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    store = rig.exporter.store
    snap = store.snapshots()[("app-rankings", "1d/popular/all")]
    rows = tuple(
        AppRow(900 + i, name, i + 1, 1000 - i, 10**9 - i) for i, name in enumerate(HOSTILE)
    )
    store.put(replace(snap, rows=rows))
    page = rig.page()
    dom = parse(page)
    assert not dom.all("script") and not dom.all("img")
    assert not [k for n in dom.all() for k in n.attrs if k.startswith("on")]
    names = [n for _, n, _, _ in bars(parse(page), "apps")]
    assert names[0] == "<script>window.pwned=1</script>"  # shown as text, not run
    assert names[1] == '"><img src=x onerror=alert(1)>'
    assert names[2] == "Line one Line two"  # one line, whatever the API sent
    assert len(names[5]) <= 160 and names[5].endswith("…")  # the rest is in the tooltip
    assert names[6] == "(no name)"
    assert all(b.tag == "bdi" for b in parse(page).by_id("apps").all(cls="nm"))


def test_the_page_fetches_nothing_from_anywhere(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    page = rig.page().decode()
    refs = re.findall(r'\b(?:src|href|action|srcset|poster|data)\s*=\s*"([^"]*)"', page)
    assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert re.findall(r"url\(([^)]*)\)", page) == ["#hatch"]


def test_links_follow_the_configured_telemetry_path(tmp_path):
    rig = Rig(tmp_path, {**CFG, "web": {"telemetry_path": "/custom-metrics"}})
    links = [a.attrs["href"] for a in rig.dom().all("a")]
    assert links == ["/custom-metrics", "/healthz", "/readyz"]


def test_relative_times_and_compact_numbers_read_naturally():
    now = 1_000_000.0
    assert relative(now + 42 * 60, now) == "in 42 min"
    assert relative(now + 3600 + 5 * 60, now) == "in 1 h 5 min"
    assert relative(now - 3 * 3600, now) == "3 h ago"
    assert relative(now + 5, now) == "now"
    assert relative(now + 3 * 86400, now) == "in 3 days"
    values = (999, 1234, 56_789_000, 123_400_000_000, 1.5e12, 999_999_000, 999.6)
    assert [compact(v) for v in values] == [
        "999",
        "1.23K",
        "56.8M",
        "123B",
        "1.50T",
        "1.00B",  # not "1000M"
        "1.00K",
    ]


def test_the_page_renders_at_the_maximal_config(tmp_path):
    """How fast it renders there is a figure of `make bench` (bench/inprocess.py)."""
    cfg = maximal_config()
    cfg = replace(cfg, watch={**cfg.watch, "apps": (1, 2, 3), "models": ("openai/gpt-4o",)})
    exporter = build(
        cfg,
        FAKE_KEY,
        transport=httpx.MockTransport(lambda r: httpx.Response(500)),
        state_dir=tmp_path,
    )
    exporter.store.put_many(maximal_snapshots(cfg))
    body = StatusPage(exporter)()
    assert b"Top apps by tokens" in body and len(parse(body).by_id("apps").all("li")) == 10


def test_stale_data_keeps_its_citation_date(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    snap = rig.exporter.store.snapshots()[("app-rankings", "1d/popular/all")]
    old = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    rig.exporter.store.put(replace(snap, meta=replace(snap.meta, as_of=old)))
    cite = rig.dom().by_id("apps").all(cls="cite")[0].text
    assert cite == "Source: OpenRouter (openrouter.ai/apps), as of 2026-01-02 03:04 UTC. CC BY 4.0."


@pytest.mark.parametrize("empty", [True, False])
def test_no_data_yet_says_so_instead_of_empty_charts(tmp_path, empty):
    rig = Rig(tmp_path)
    if not empty:
        snap = Snapshot(
            "app-rankings",
            "1d/popular/all",
            (),
            Meta(as_of=START, end_date=START.date() - timedelta(days=1)),
            START.timestamp(),
        )
        rig.exporter.store.put(snap)
    apps = rig.dom().by_id("apps")
    assert apps.all("li") == []
    assert ("No app rankings yet." if empty else "This ranking is empty.") in apps.text


# --- what moved: Δ, NEW and the share sparkline ---------------------------------------

LATEST = START.date() - timedelta(days=1)


def day_rows(day: date, tokens: dict[str, int], other: int = 1000) -> list[ModelDayRow]:
    """One published day as the API sends it: by tokens, ``other`` last."""
    ranked = sorted(tokens.items(), key=lambda kv: (-kv[1], kv[0]))
    return [ModelDayRow(day, m, t) for m, t in ranked] + [ModelDayRow(day, "other", other)]


def moves_of(dom: Node, section: str) -> dict[str, tuple[list[str], list[str]]]:
    """Per shown name: what each Δ cell shows, and what it says to a screen reader."""
    out = {}
    for li in dom.by_id(section).all("li"):
        cells = li.all(cls="mv")
        shown = [c.all("span")[0].text for c in cells]
        said = [c.all(cls="vh")[0].text for c in cells]
        assert [c.all("span")[0].attrs.get("aria-hidden") for c in cells] == ["true"] * len(cells)
        out[li.all(cls="nm")[0].text] = (shown, said)
    return out


def sparks_of(dom: Node) -> dict[str, Node]:
    return {
        li.all(cls="nm")[0].text: li.all("svg", cls="spark")[0]
        for li in dom.by_id("models").all("li")
    }


def held_days(rig: Rig, rows: list[ModelDayRow]) -> None:
    """The daily view's snapshot holds exactly ``rows``, as if fetched so."""
    meta = Meta(as_of=START, end_date=LATEST)
    rig.exporter.store.put(
        Snapshot("rankings-daily", "daily", tuple(rows), meta, START.timestamp())
    )


def test_rank_changes_since_the_previous_day_and_a_week_new_for_an_entrant(tmp_path):
    d = lambda n: LATEST - timedelta(days=n)  # noqa: E731
    before = {"a/one": 900, "b/two": 800, "c/three": 700, "d/four": 600, "e/five": 500}
    rows = day_rows(d(7), {**before, "e/five": 950})  # a week ago e/five led
    for n in (6, 5, 4, 2):  # d(3) was never published
        rows += day_rows(d(n), before)
    rows += day_rows(d(1), {**before, "f/six": 100})
    now = {"a/one": 900, "b/two": 800, "e/five": 750, "c/three": 700, "d/four": 600}
    rows += day_rows(d(0), {**now, "x/entrant": 650})
    rig = Rig(tmp_path, key=None)
    held_days(rig, rows)
    dom = rig.dom()
    moves = moves_of(dom, "models")
    since, week = d(1).isoformat(), d(7).isoformat()
    assert [r[:2] for r in bars(dom, "models")] == [
        ("1", "a/one"),
        ("2", "b/two"),
        ("3", "e/five"),
        ("4", "c/three"),
        ("5", "x/entrant"),
        ("6", "d/four"),
    ]
    assert {m: shown for m, (shown, _) in moves.items()} == {
        "a/one": ["=", "▲1"],  # a week ago e/five led: a/one was #2
        "b/two": ["=", "▲1"],
        "e/five": ["▲2", "▼2"],  # #5 → #3 since yesterday; #1 → #3 over the week
        "c/three": ["▼1", "="],
        "x/entrant": ["NEW", "NEW"],
        "d/four": ["▼2", "▼1"],
    }
    assert moves["e/five"][1] == [
        f"up 2 places since {since} (was #5)",
        f"down 2 places since {week} (was #1)",
    ]
    assert moves["a/one"][1][0] == f"unchanged since {since}"
    # f/six was ranked yesterday, so the day's ranking held 6 models.
    assert moves["x/entrant"][1][0] == f"new: not among the 6 ranked on {since}"
    heads = [s.text for s in dom.by_id("models").all(cls="mvh")]
    assert heads == ["Δ day", "Δ week"]
    legend = dom.by_id("models").all(cls="legend-moves")[0].text
    assert f"Δ day: rank change since {since}; Δ week: rank change since {week}." in legend


def test_share_sparkline_holds_each_days_share_with_gaps_where_not_ranked(tmp_path):
    d = lambda n: LATEST - timedelta(days=n)  # noqa: E731
    rows: list[ModelDayRow] = []
    for n in (8, 7, 6, 5, 4, 2, 1):  # d(3) was never published
        rows += day_rows(d(n), {"a/one": 600 + 10 * n, "b/two": 300}, other=100)
    rows += day_rows(d(0), {"a/one": 500, "b/two": 300, "x/entrant": 100}, other=100)
    rig = Rig(tmp_path, key=None)
    held_days(rig, rows)
    sparks = sparks_of(rig.dom())
    (title,) = sparks["a/one"].all("title")
    # tokens ÷ that day's total, other included: 660 / (660 + 300 + 100) on d(6)
    expected = [f"{d(6)} {660 / 1060:.1%}", f"{d(5)} {650 / 1050:.1%}", f"{d(4)} {640 / 1040:.1%}"]
    expected += [f"{d(3)} no ranking held", f"{d(2)} {620 / 1020:.1%}"]
    expected += [f"{d(1)} {610 / 1010:.1%}", f"{d(0)} {500 / 1000:.1%}"]
    assert title.text == "share of tokens, 7 days: " + ", ".join(expected)
    # The unpublished day splits the line in two: three days, then three days.
    assert len(sparks["a/one"].all("polyline")) == 2
    (entrant,) = sparks["x/entrant"].all("title")
    assert entrant.text.startswith(f"share of tokens, 7 days: {d(6)} not ranked, ")
    assert entrant.text.endswith(f"{d(0)} 10.0%")
    assert sparks["x/entrant"].all("polyline") == []  # one day ranked: one dot, no line
    assert len(sparks["x/entrant"].all("circle")) == 1
    for svg in sparks.values():
        assert svg.attrs["role"] == "img" and float(svg.attrs["width"]) > 0


def test_a_view_holding_no_earlier_day_says_so_instead_of_a_change(tmp_path):
    rig = Rig(tmp_path, key=None)
    held_days(rig, day_rows(LATEST, {"a/one": 900, "b/two": 800}))
    dom = rig.dom()
    for shown, said in moves_of(dom, "models").values():
        assert shown == ["—", "—"]  # never "=": nothing was compared
        assert said[0] == "Δ day: not known, no earlier day held by the view"
    legend = dom.by_id("models").all(cls="legend-moves")[0].text
    assert "Δ day: — (no earlier day held by the view)" in legend
    assert "NEW" not in legend


def test_app_ranks_have_no_previous_day_and_the_page_says_so(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    dom = rig.dom()
    moves = moves_of(dom, "apps")
    assert len(moves) == 10
    for shown, said in moves.values():
        assert shown == ["—"]
        assert said == ["Δ day: not known, " + NOT_HELD_APPS]
    assert NOT_HELD_APPS in dom.by_id("apps").all(cls="legend-moves")[0].text
    assert dom.by_id("apps").all("svg", cls="spark") == []  # no daily series is held


def test_rank_changes_are_the_simulators_own(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    daily = rig.exporter.store.snapshots()[("rankings-daily", "daily")]
    latest = daily.meta.end_date
    assert latest is not None

    def ranking(day: date) -> list[str]:
        rows = rig.sim.market.rankings_daily(day, day)
        return [r.model_permaslug for r in rows if r.model_permaslug != "other"]

    now, before = ranking(latest), ranking(latest - timedelta(days=1))
    week = ranking(latest - timedelta(days=7))

    def change(m: str, then: list[str]) -> str:
        if m not in then:
            return "NEW"
        places = then.index(m) - now.index(m)
        return f"▲{places}" if places > 0 else f"▼{-places}" if places < 0 else "="

    shown = {m: s for m, (s, _) in moves_of(rig.dom(), "models").items()}
    assert shown == {m: [change(m, before), change(m, week)] for m in now[:10]}
    assert len(set(map(tuple, shown.values()))) > 1  # the market moved: not all "="


def test_a_weekly_chart_compares_with_the_previous_complete_week(tmp_path):
    weekly = {"name": "weekly", "period": "week", "days": 63}
    rig = Rig(tmp_path, {**CFG, "models": {"views": [weekly]}})
    rig.run(600)
    dom = rig.dom()
    models = dom.by_id("models")
    assert [s.text for s in models.all(cls="mvh")] == ["Δ week"]  # no second column
    assert [s.text for s in models.all(cls="sph")] == ["7 weeks"]
    shown = models.all(cls="sub")[0].text
    week = date.fromisoformat(shown.removeprefix("week of ")[:10])
    previous = week - timedelta(days=7)

    def ranking(start: date) -> list[str]:
        end = start + timedelta(days=6)
        rows = rig.sim.market.rankings_daily(start, end, period="week")
        return [r.model_permaslug for r in rows if r.model_permaslug != "other"]

    now, then = ranking(week), ranking(previous)
    changes = {m: then.index(m) - now.index(m) if m in then else None for m in now[:10]}
    expected = {
        m: ["NEW" if c is None else f"▲{c}" if c > 0 else f"▼{-c}" if c < 0 else "="]
        for m, c in changes.items()
    }
    assert {m: s for m, (s, _) in moves_of(dom, "models").items()} == expected
    legend = models.all(cls="legend-moves")[0].text
    assert f"Δ week: rank change since {previous}." in legend
    assert "ranked that week" in legend
