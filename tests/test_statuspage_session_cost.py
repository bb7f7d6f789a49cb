"""The status page's session-cost section, as a person reads it: each harness's typical cost
of a session (the median over its models) computed from the same figures as /metrics, in
the turn range most cells hold, with every turn range under its bar; API text escaped, and
a clear line when there is nothing to show. (tests/test_statuspage_browser.py looks at it
in headless Chromium too.)"""

from __future__ import annotations

from statistics import median

from test_statuspage import CFG, HOSTILE, START, Rig, bars
from test_statuspage_tasks_benchmarks import series, stamp

from exporter.datasets.page import dollars
from exporter.datasets.session_cost import SessionCostRow
from exporter.snapshot import Meta, Snapshot

SLOT = "session-cost"
TURNS = ("1-turn", "2-9-turns", "10-49-turns", "50-plus-turns")  # the API's enum, in order


def _put(rig: Rig, rows: tuple, meta: Meta | None = None) -> None:
    meta = meta or Meta(as_of=START, end_date=START.date())
    rig.exporter.store.put(Snapshot("session-cost", "default", rows, meta, START.timestamp()))


def test_each_harness_s_typical_cost_equals_the_metrics(tmp_path):
    rig = Rig(tmp_path)
    rig.run(600)
    dom, metrics = rig.dom(), rig.metrics()
    cells = series(metrics, "openrouter_session_median_cost_dollars")
    assert len(cells) > 100
    costs: dict[tuple[str, str], list[float]] = {}
    names, models = {}, {}
    for d, v in cells:
        costs.setdefault((d["app_slug"], d["turn_range"]), []).append(v)
        names[d["app_slug"]] = d["app"]
        models.setdefault(d["app_slug"], set()).add(d["model"])
    assert {t for _, t in costs} == set(TURNS)
    held = {t: sum(len(v) for (_, t2), v in costs.items() if t2 == t) for t in TURNS}
    main = min(TURNS, key=lambda t: (-held[t], TURNS.index(t)))
    typical = {a: median(v) for (a, t), v in costs.items() if t == main}
    order = sorted(typical, key=lambda a: (-typical[a], a))
    assert len(order) == len(names) >= 2
    assert bars(dom, SLOT) == [
        (
            str(i),
            names[a],
            dollars(typical[a]),
            f"{typical[a]} USD per {main} session, median over {len(costs[(a, main)])} of "
            f"{len(models[a])} models ({a})",
        )
        for i, a in enumerate(order, 1)
    ]
    details = [li.all("small")[0].text for li in dom.by_id(SLOT).all("li")]
    assert details == [
        " · ".join(f"{t} {dollars(median(costs[(a, t)]))}" for t in TURNS if (a, t) in costs)
        for a in order
    ]
    section = dom.by_id(SLOT)
    assert section.all("h2")[0].text == "Typical cost per session by harness"
    sub = section.all(cls="sub")[0].text
    # The simulator's window ends on the Sunday before START (a Tuesday).
    assert sub == (
        f"{main} sessions, median over each harness's models · window ending 2026-05-10 · "
        f"{len(names)} harnesses"
    )
    cite = section.all(cls="cite")[0].text
    assert cite == (
        f"Source: OpenRouter (openrouter.ai/apps), as of "
        f"{stamp(metrics, 'session-cost', 'default')}. CC BY 4.0."
    )


def test_hostile_api_text_is_escaped(tmp_path):
    rig = Rig(tmp_path, key=None)
    rows = tuple(
        SessionCostRow(name, f"h{i}", "<i>m</i>", "<b>2-9-turns</b>", 10.0 - i)
        for i, name in enumerate(HOSTILE)
    )
    _put(rig, rows)
    page = rig.page()
    assert b"<script>" not in page and b"<img" not in page and b"<b>2-9" not in page
    dom = rig.dom()
    names = [n for _, n, _, _ in bars(dom, SLOT)]
    assert names[:3] == [
        "<script>window.pwned=1</script>",
        '"><img src=x onerror=alert(1)>',
        "Line one Line two",
    ]
    assert names[6] == "h6"  # a blank app name: the slug
    details = [li.all("small")[0].text for li in dom.by_id(SLOT).all("li")]
    assert details[0] == "<b>2-9-turns</b> $10.00"
    assert (
        bars(dom, SLOT)[0][3]
        == "10.0 USD per <b>2-9-turns</b> session, median over 1 of 1 model (h0)"
    )
    assert dom.by_id(SLOT).all(cls="sub")[0].text.startswith("<b>2-9-turns</b> sessions")


def test_no_data_yet_nothing_published_and_switched_off(tmp_path):
    rig = Rig(tmp_path, key=None)  # no key: nothing is fetched
    section = rig.dom().by_id(SLOT)
    assert "No session costs yet." in section.text and not section.all(cls="cite")
    # Published nothing: the API's null window_end_date, no rows.
    _put(rig, (), Meta(as_of=START, end_date=None))
    assert "OpenRouter has published no session-cost window yet." in rig.dom().by_id(SLOT).text
    _put(rig, ())
    assert "This window holds no session cost." in rig.dom().by_id(SLOT).text
    off = Rig(tmp_path / "off", {**CFG, "session_cost": {"enabled": False}}, key=None)
    assert f'id="{SLOT}"'.encode() not in off.page()


def test_duplicates_as_on_metrics_the_main_turn_range_and_the_top_ten(tmp_path):
    rig = Rig(tmp_path, key=None)
    rows = [
        SessionCostRow("First", "first", "a/m", "1-turn", 0.5),
        SessionCostRow("First", "first", "a/m", "1-turn", 99.0),  # a duplicate: dropped
        SessionCostRow("First", "first", "b/m", "1-turn", 0.25),
        SessionCostRow("First", "first", "a/m", "10-49-turns", 3.0),
    ]
    # Twelve more harnesses, one model each, in both turn ranges: 1-turn and 10-49-turns
    # hold 14 cells each, a tie the fewer turns win.
    for i in range(12):
        rows.append(SessionCostRow(f"H{i:02}", f"h{i:02}", "c/m", "1-turn", 0.01 * (i + 1)))
        rows.append(SessionCostRow(f"H{i:02}", f"h{i:02}", "c/m", "10-49-turns", 1.0))
    rows.append(SessionCostRow("First", "first", "b/m", "10-49-turns", 2.0))
    _put(rig, tuple(rows))
    dom = rig.dom()
    shown = bars(dom, SLOT)
    assert len(shown) == 10
    assert shown[0] == (
        "1",
        "First",
        "$0.38",
        "0.375 USD per 1-turn session, median over 2 of 2 models (first)",
    )
    assert [n for _, n, _, _ in shown[1:]] == [f"H{i:02}" for i in range(11, 2, -1)]
    assert shown[1][2] == "$0.12"
    details = [li.all("small")[0].text for li in dom.by_id(SLOT).all("li")]
    assert details[0] == "1-turn $0.38 · 10-49-turns $2.50"
    sub = dom.by_id(SLOT).all(cls="sub")[0].text
    assert sub.startswith("1-turn sessions") and sub.endswith(" · 10 of 13 harnesses")
    text = rig.exporter.cache.current.text.decode()
    cell = 'app_slug="first",app="First",model="a/m",turn_range="1-turn"}'
    assert [ln.split("} ")[1] for ln in text.splitlines() if cell in ln] == ["0.5"]  # as /metrics


def test_dollars_read_as_a_person_reads_them():
    assert [dollars(v) for v in (0.0, 0.42, 0.0042, 0.012345, 0.375, 12.3, 1234.5)] == [
        "$0.00",
        "$0.42",
        "$0.0042",
        "$0.012",
        "$0.38",
        "$12.30",
        "$1,234.50",
    ]
    assert "e" not in dollars(1e-9) and "e" not in dollars(123456789.0)  # never an exponent
