"""Session cost on the status page: what a session typically costs in each harness. A bar per
harness: the median, over the harness's models, of their median session cost in the turn
range that most cells hold; under it the same for every turn range. The figures are the
rows /metrics renders (``openrouter_session_median_cost_dollars``: the first row of each
harness × model × turn range cell, as the collector keeps it)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from statistics import median

from exporter.config import Config
from exporter.datasets.page import TOP_N, Bar, Chart, PageSection, dollars
from exporter.datasets.session_cost.config import session_cost_config
from exporter.datasets.session_cost.requests import ENDPOINT, VIEW
from exporter.datasets.session_cost.rows import SessionCostRow
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

SLOT = "session-cost"
TITLE = "Typical cost per session by harness"
SOURCE = "openrouter.ai/apps"

Cell = tuple[str, str, str]  # app_slug, model, turn_range


def section(cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
    if not session_cost_config(cfg).enabled:
        return None  # switched off: nothing to say, as /metrics says nothing
    snap = snaps.get((ENDPOINT, VIEW))
    if snap is None:
        return PageSection(SLOT, _empty("No session costs yet.", None))
    return PageSection(SLOT, _chart(snap))


def _empty(why: str, snap: Snapshot | None) -> Chart:
    as_of = snap.meta.as_of if snap else None
    return Chart(TITLE, "", "dollars", (), as_of, SOURCE, why, what="harness")


def cells(rows: Iterable[object]) -> dict[Cell, SessionCostRow]:
    """Each cell's first row, as /metrics renders it (a later duplicate is dropped)."""
    first: dict[Cell, SessionCostRow] = {}
    for r in rows:
        if isinstance(r, SessionCostRow):
            first.setdefault((r.app_slug, r.model, r.turn_range), r)
    return first


def turn_order(turn_range: str) -> tuple[float, str]:
    """The API's turn ranges by their first number ("2-9-turns" before "10-49-turns"); one
    without a number last."""
    m = re.match(r"\d+", turn_range)
    return (int(m.group()) if m else math.inf, turn_range)


def _most_held(costs: Mapping[tuple[str, str], list[float]], turns: list[str]) -> str:
    """The turn range most harness × model cells hold; ties: the fewer turns."""
    held = {t: sum(len(v) for (_, t2), v in costs.items() if t2 == t) for t in turns}
    return min(turns, key=lambda t: (-held[t], turn_order(t))) if turns else ""


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _chart(snap: Snapshot) -> Chart:
    held = cells(snap.rows)
    if not held:
        if snap.meta.end_date is None:
            return _empty("OpenRouter has published no session-cost window yet.", snap)
        return _empty("This window holds no session cost.", snap)
    names: dict[str, str] = {}
    models: dict[str, set[str]] = {}
    costs: dict[tuple[str, str], list[float]] = {}  # (app_slug, turn_range) -> model medians
    for (app, model, turn), r in held.items():
        names.setdefault(app, r.app_name if r.app_name.strip() else app)  # blank: the slug
        models.setdefault(app, set()).add(model)
        if math.isfinite(r.median_cost_usd):
            costs.setdefault((app, turn), []).append(r.median_cost_usd)
    turns = sorted({t for _, t in costs}, key=turn_order)
    main = _most_held(costs, turns)
    typical = {app: median(v) for (app, t), v in costs.items() if t == main}
    order = sorted(typical, key=lambda a: (-typical[a], a))  # the dearest first, ties by slug
    top = order[:TOP_N]
    first = typical[top[0]] if top else 0.0
    bars = tuple(
        Bar(
            i,
            names[app],
            typical[app],
            typical[app] / first if first > 0 else 0.0,
            0,
            detail=" · ".join(
                f"{t} {dollars(median(costs[(app, t)]))}" for t in turns if (app, t) in costs
            ),
            exact=f"{typical[app]} USD per {main} session, median over "
            f"{len(costs[(app, main)])} of {_count(len(models[app]), 'model')} ({app})",
        )
        for i, app in enumerate(top, 1)
    )
    end = snap.meta.end_date.isoformat() if snap.meta.end_date else "?"
    harnesses = _count(len(names), "harness", "harnesses")
    shown = f"{len(top)} of {harnesses}" if len(top) < len(names) else harnesses
    return Chart(
        TITLE,
        f"{main} sessions, median over each harness's models · window ending {end} · {shown}",
        "dollars",
        bars,
        snap.meta.as_of,
        SOURCE,
        "" if bars else "This window holds no session cost.",
        what="harness",
        heading="per session",
    )
