"""The status page as one self-contained HTML document: inline CSS, inline SVG bars, no
script, no external fetch. Every text that came from the API or the config is cleaned of
control characters, isolated with <bdi> (right-to-left names cannot reorder the layout)
and escaped."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from html import escape

from exporter.periods import utc_minute
from exporter.statuspage.model import (
    Banner,
    Budget,
    Meter,
    PageModel,
    PlanSummary,
    State,
    ViewGroup,
    ViewRow,
)
from exporter.statuspage.style import CSS

DASHBOARDS = "README.md#dashboards-and-alerts"
MAX_SHOWN = 160  # characters of a name shown; the full (cleaned) name is in its tooltip
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ICONS = {
    "info": '<circle cx="12" cy="12" r="10"/><path d="M12 11v6M12 7v.5"/>',
    "pause": '<circle cx="12" cy="12" r="10"/><path d="M10 8v8M14 8v8"/>',
    "warning": '<path d="M12 3 2 20h20z"/><path d="M12 10v4M12 17v.5"/>',
}
_HATCH = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect class="hatch-bg" width="8" height="8"/>'
    '<line class="hatch-line" x1="0" y1="0" x2="0" y2="8"/></pattern></defs></svg>'
)


# --- text --------------------------------------------------------------------------------


def clean(text: str, limit: int = 2000) -> str:
    """One line of printable text: newlines, tabs and other controls become spaces."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def name_html(name: str, cls: str = "nm") -> str:
    full = clean(name) or "(no name)"
    return f'<bdi class="{cls}" title="{esc(full)}">{esc(clean(full, MAX_SHOWN))}</bdi>'


def share(v: float) -> str:
    return f"{v * 100:.1f}%"


UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"), (1.0, ""))


def compact(n: float) -> str:
    """Three significant digits and a suffix: 1.23T, 456B, 12.3M, 950K, 999."""
    for i, (factor, suffix) in enumerate(UNITS):
        if abs(n) < factor and factor > 1:
            continue
        v = n / factor
        digits = 2 if abs(v) < 10 else 1 if abs(v) < 100 else 0
        text = f"{v:.{digits}f}"
        if abs(float(text)) >= 1000 and i > 0:  # 999.96M rounds up: say 1.00B
            return compact(math.copysign(UNITS[i - 1][0], n))
        return text + suffix if factor > 1 else f"{n:.0f}"
    return f"{n:.0f}"


def utc_dt(dt: datetime | None) -> str:
    return utc_minute(dt.timestamp()) if dt else "—"


def day(d: date | None) -> str:
    return d.isoformat() if d else "—"


def relative(ts: float, now: float) -> str:
    """``in 42 min`` / ``3 h 5 min ago``: a newcomer should not have to subtract."""
    delta = ts - now
    s = abs(delta)
    if s < 60:
        return "now" if delta >= 0 else "just now"
    if s < 3600:
        text = f"{s // 60:.0f} min"
    elif s < 48 * 3600:
        h, m = divmod(int(s // 60), 60)
        text = f"{h} h {m} min" if m else f"{h} h"
    else:
        text = f"{s / 86400:.0f} days"
    return f"in {text}" if delta >= 0 else f"{text} ago"


def when(ts: float | None, now: float) -> str:
    if ts is None:
        return "—"
    return f'<span title="{utc_minute(ts)}">{relative(ts, now)}</span>'


def citation(source: str, as_of: datetime | None, demo: bool) -> str:
    stamp = f"as of {utc_dt(as_of)}" if as_of else "no data yet"
    if demo:
        return f"Simulated by the exporter's built-in simulator, not OpenRouter data; {stamp}."
    return f"Source: OpenRouter ({source}), {stamp}. CC BY 4.0."


# --- parts -------------------------------------------------------------------------------


def prose(text: str) -> str:
    """Our own sentences, with `code` spans; escaped like everything else."""
    parts = text.split("`")
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


def banner_html(b: Banner, now: float) -> str:
    nxt = ""
    if b.next_try is not None:
        nxt = f" <b>Next try: {utc_minute(b.next_try)} ({relative(b.next_try, now)}).</b>"
    return (
        f'<div class="banner {b.tone}" role="status">{icon(b.icon)}'
        f"<div><b>{esc(b.title)}</b><p>{prose(b.text)}{nxt}</p></div></div>"
    )


def icon(name: str) -> str:
    return (
        '<svg class="ic" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">'
        f"{_ICONS[name]}</svg>"
    )


def meter_html(m: Meter) -> str:
    scale = max(m.limit, m.allowed, m.used, 1)
    x = lambda n: f"{1000 * min(n, scale) / scale:.1f}"  # noqa: E731
    plan = ""
    if m.planned is not None:
        plan = f'<line class="plan" x1="{x(m.planned)}" x2="{x(m.planned)}" y1="0" y2="18"/>'
    reserved = m.limit - m.allowed
    label = f"{m.used} of {m.allowed} requests used in the {m.label.lower()}"
    pct = f" ({100 * m.used / m.allowed:.0f}%)" if m.allowed else ""
    return (
        f'<div class="meter"><div class="mh"><b>{m.label}</b><span><b>{m.used}</b> of '
        f"{m.allowed} used{pct}</span></div>"
        f'<svg class="mbar" viewBox="0 0 1000 18" preserveAspectRatio="none" role="img" '
        f'aria-label="{esc(label)}"><rect class="tr" width="1000" height="18"/>'
        f'<rect class="res" x="{x(m.allowed)}" width="{1000 - float(x(m.allowed)):.1f}" '
        f'height="18"/><rect class="used" width="{x(m.used)}" height="18"/>{plan}</svg>'
        f'<div class="legend"><span><i class="key used"></i>used {m.used}</span>'
        f'<span><i class="key free"></i>still free {max(0, m.allowed - m.used)}</span>'
        + (f'<span><i class="key res"></i>reserve {reserved}</span>' if reserved else "")
        + (
            f'<span><i class="key plan"></i>the plan: at most {m.planned} a day</span>'
            if m.planned is not None
            else ""
        )
        + "</div></div>"
    )


def limits_text(b: Budget, demo: bool) -> str:
    mine = f"{b.minute.limit} requests a minute per key and {b.day.limit} a day per account"
    if demo:
        return f"The simulator allows {mine}."
    if (b.minute.limit, b.day.limit) == (30, 500):
        return f"OpenRouter allows {mine}, shared by every tool using the account."
    return f"Configured limits: {mine} (OpenRouter documents 30 and 500)."


def budget_html(b: Budget, demo: bool) -> str:
    reserve = (
        f"This exporter keeps {b.reserve:.0%} in reserve for other tools on the same "
        f"account, so it allows itself {b.minute.allowed} a minute and {b.day.allowed} a day."
        if b.reserve
        else "No reserve is kept for other tools (<code>budget.reserve: 0</code>)."
    )
    return (
        '<section class="card" id="budget"><h2>Request budget</h2>'
        f"<p>{esc(limits_text(b, demo))} {reserve}</p>"
        f"{meter_html(b.minute)}{meter_html(b.day)}"
        '<p class="sub">The bars count the requests sent in the last 60 seconds and the '
        "last 24 hours (sliding windows, from the request log on disk, so restarts and a "
        "backfill count too). The dashed line is the most the configured views need in a "
        "day.</p></section>"
    )


def state_html(s: State) -> str:
    return f'<span class="st {s.tone}"><span aria-hidden="true">{s.icon}</span> {s.words}</span>'


def next_refresh_html(r: ViewRow, now: float) -> str:
    if r.next_refresh is not None and math.isinf(r.next_refresh):
        return '<span class="muted">not until the key or config changes</span>'
    if r.next_refresh is not None:
        return when(r.next_refresh, now)
    if r.state is State.OK:
        return '<span class="muted">with the next published day</span>'
    return "—"


def news(r: ViewRow) -> str | None:
    """The error, unless the state already says all of it: a missing or rejected key is
    the banner's, and summarised once per dataset, not repeated in every row."""
    return None if r.state in (State.UNAUTHORIZED, State.NO_KEY) else r.error


def view_row_html(r: ViewRow, now: float, with_errors: bool) -> str:
    error = f'<td class="name">{esc(clean(news(r) or ""))}</td>' if with_errors else ""
    return (
        f'<tr><td class="name"><bdi>{esc(clean(r.view))}</bdi></td><td>{state_html(r.state)}</td>'
        f'<td class="num">{day(r.end_date)}</td><td class="num">{utc_dt(r.as_of)}</td>'
        f'<td class="num">{when(r.last_success, now)}</td>'
        f'<td class="num">{next_refresh_html(r, now)}</td>{error}</tr>'
    )


def group_html(g: ViewGroup, now: float) -> str:
    n = len(g.rows)
    pills = "".join(
        f'<span class="pill {s.tone}"><span aria-hidden="true">{s.icon}</span> {c} {s.words}</span>'
        for s, c in g.counts
    )
    errors = "".join(
        f"<li>✗ {esc(clean(e))} — {c} view{'s' if c > 1 else ''}</li>" for e, c in g.errors
    )
    with_errors = any(news(r) for r in g.rows)
    head = "<th>view</th><th>state</th><th>data to</th><th>as of</th><th>last success</th>"
    head += "<th>next refresh</th>" + ("<th>error</th>" if with_errors else "")
    rows = "".join(view_row_html(r, now, with_errors) for r in g.rows)
    return (
        f'<details class="group" data-dataset="{esc(g.dataset)}"><summary><h3>'
        f'{esc(g.dataset)}</h3><span class="muted">{n} view{"s" if n > 1 else ""} · '
        f"{esc(g.source)}</span><br>{pills}</summary>"
        + (f'<ul class="errs">{errors}</ul>' if errors else "")
        + f'<div class="tablewrap"><table><tr>{head}</tr>{rows}</table></div></details>'
    )


def views_html(groups: tuple[ViewGroup, ...], now: float) -> str:
    body = "".join(group_html(g, now) for g in groups) or '<p class="muted">No views.</p>'
    return (
        '<section class="card" id="views"><h2>Views</h2><p class="sub">Each view is one '
        "ranking the exporter keeps up to date. Open a dataset for every view's state, the "
        "last day its data covers, OpenRouter's <code>as_of</code>, and when it was and will "
        f"be refreshed.</p>{body}</section>"
    )


def plan_html(p: PlanSummary) -> str:
    items = "".join(f"<li><b>{esc(ln.label)}</b>: {esc(ln.text)}</li>" for ln in p.lines)
    share = 100 * p.per_day / max(1, p.allowed_per_day)
    pct = f" — {share:.0f}% of the {p.allowed_per_day} it allows itself"
    warnings = "".join(
        f'<div class="note warn">{icon("warning")}<div>{esc(w[:1].upper() + w[1:])}</div></div>'
        for w in p.warnings
    )
    return (
        '<section class="card" id="plan"><h2>Plan</h2><p class="sub">OpenRouter publishes '
        "each UTC day a few hours after it closes; the exporter spends requests only when "
        f'there is something new.</p><ul class="plan">{items}</ul>'
        f"<p>At most <b>{p.per_day}</b> requests a day{pct}."
        f" <code>openrouter-exporter check-config</code> prints the plan per view.</p>"
        f"{warnings}</section>"
    )


def header_html(m: PageModel) -> str:
    where = "the built-in simulator" if m.demo else f"<bdi>{esc(clean(m.upstream))}</bdi>"
    return (
        '<header><div class="wrap"><h1>OpenRouter exporter</h1>'
        f'<span class="muted">version {esc(m.version)} · data API: {where}</span><nav>'
        f'<a href="{esc(m.telemetry_path)}">Metrics</a><a href="/healthz">Health</a>'
        '<a href="/readyz">Readiness</a></nav></div></header>'
    )


def footer_html(m: PageModel) -> str:
    data = (
        "Demo: every figure on this page is simulated."
        if m.demo
        else "Rankings data © OpenRouter, CC BY 4.0: cite it as shown under each chart; "
        "benchmark scores belong to the sources credited with them."
    )
    return (
        f'<footer><div class="wrap">Grafana dashboards, alerts and the compose stack: '
        f"<code>{DASHBOARDS}</code>. {data} Page generated {utc_minute(m.now)}; reload for fresh "
        "figures.</div></footer>"
    )


def render(m: PageModel, market: str) -> str:
    """The page around its market part (``charts.render_market``, cached by the caller)."""
    banners = "".join(banner_html(b, m.now) for b in m.banners)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="color-scheme" content="light dark"><title>OpenRouter exporter</title>'
        f"<style>{CSS}</style></head><body>{_HATCH}{header_html(m)}"
        f'<main class="wrap">{banners}{market}<div class="grid">'
        f"{budget_html(m.budget, m.demo)}{plan_html(m.plan)}</div>"
        f"{views_html(m.groups, m.now)}</main>{footer_html(m)}</body></html>\n"
    )
