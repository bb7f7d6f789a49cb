"""The market part of the page: top models and apps as bars with what moved (a rank
change against each earlier ranking held, NEW for an entrant, a share sparkline), and
the watchlist. Inline SVG only, no script; every API text goes through ``name_html``.

A change is never told by colour alone: ▲3 / ▼2 / = / NEW are text, and each carries
visually hidden words ("up 3 places since 2026-05-10") for a screen reader.
"""

from __future__ import annotations

from datetime import date

from exporter.datasets.page import Bar, Board, Chart, Compare, Move, Point, WatchTable, dollars
from exporter.statuspage.html import citation, clean, compact, esc, name_html, share, utc_dt
from exporter.statuspage.market import Market

SPARK_W, SPARK_H, SPARK_PAD = 60, 18, 2.5


def _places(n: int) -> str:
    return f"{n} place{'' if n == 1 else 's'}"


def move_words(m: Move | None, c: Compare) -> tuple[str, str, str]:
    """(css class, what is shown, what is said) for one rank against one comparison."""
    if m is None or c.since is None:
        return "na", "—", f"{c.label}: not known, {c.missing}"
    since = c.since.isoformat()
    if m.before is None:
        return "new", "NEW", f"new: not among the {c.depth} ranked on {since}"
    if m.places > 0:
        return "up", f"▲{m.places}", f"up {_places(m.places)} since {since} (was #{m.before})"
    if m.places < 0:
        return "down", f"▼{-m.places}", f"down {_places(-m.places)} since {since} (was #{m.before})"
    return "same", "=", f"unchanged since {since}"


def move_html(m: Move | None, c: Compare) -> str:
    cls, shown, said = move_words(m, c)
    return (
        f'<span class="mv {cls}" title="{esc(said)}"><span aria-hidden="true">{shown}</span>'
        f'<span class="vh">{esc(said)}</span></span>'
    )


def _point_text(p: Point) -> str:
    if p.share is not None:
        return f"{p.day.isoformat()} {share(p.share)}"
    return f"{p.day.isoformat()} {'not ranked' if p.held else 'no ranking held'}"


def _xy(points: tuple[Point, ...]) -> list[tuple[float, float] | None]:
    """Each point's position; the scale is the row's own range, at least a tenth of its
    top, so a flat line looks flat and a small model's moves still show."""
    values = [p.share for p in points if p.share is not None]
    hi, lo = max(values), min(values)
    span = max(hi - lo, hi * 0.1) or 1.0
    mid = (hi + lo) / 2
    n = len(points)
    step = (SPARK_W - 2 * SPARK_PAD) / (n - 1) if n > 1 else 0.0
    out: list[tuple[float, float] | None] = []
    for i, p in enumerate(points):
        if p.share is None:
            out.append(None)
            continue
        x = SPARK_PAD + i * step if n > 1 else SPARK_W / 2
        y = SPARK_H / 2 - (p.share - mid) / span * (SPARK_H - 2 * SPARK_PAD)
        out.append((x, y))
    return out


def spark_svg(points: tuple[Point, ...], label: str) -> str:
    """A share sparkline: lines between ranked neighbours, a gap where not ranked, a dot
    for a lone point and for the latest one. Its <title> holds every value."""
    if not any(p.share is not None for p in points):
        return '<span class="spark" aria-hidden="true"></span>'
    xy = _xy(points)
    runs: list[list[tuple[float, float]]] = [[]]
    for q in xy:
        if q is None:
            runs.append([])
        else:
            runs[-1].append(q)
    shapes = []
    for run in runs:
        if len(run) > 1:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            shapes.append(f'<polyline points="{pts}"/>')
        elif run and run[0] != xy[-1]:  # the latest is drawn below, once
            shapes.append(f'<circle cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="1.5"/>')
    last = xy[-1]
    if last is not None:
        shapes.append(f'<circle class="now" cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2"/>')
    title = f"share of tokens, {label}: " + ", ".join(_point_text(p) for p in points)
    return (
        f'<svg class="spark" viewBox="0 0 {SPARK_W} {SPARK_H}" width="{SPARK_W}" '
        f'height="{SPARK_H}" role="img"><title>{esc(title)}</title>{"".join(shapes)}</svg>'
    )


def bar_html(b: Bar, c: Chart) -> str:
    if c.unit == "share":
        value, detail = share(b.value), f"{compact(b.tokens)} tokens"
    elif c.unit == "tokens":
        value, detail = compact(b.value), f"{b.requests or 0:,} requests"
    elif c.unit == "dollars":
        value, detail = dollars(b.value), ""
    else:
        value, detail = f"{b.value:,.1f}", ""
    detail = b.detail or detail
    exact = b.exact or f"{b.tokens:,} tokens"
    width = max(0.0, min(1.0, b.fraction)) * 100
    moves = "".join(move_html(m, cmp) for m, cmp in zip(b.moves, c.compares, strict=True))
    spark = spark_svg(b.trend, c.trend_label) if c.trend_label else ""
    small = f"<small>{esc(clean(detail))}</small>" if detail else ""
    return (
        f'<li><span class="rk">{b.rank}</span>{name_html(b.name)}{moves}{spark}'
        f'<span class="val" title="{esc(clean(exact))}">{value}</span>'
        f'<svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">'
        f'<rect class="tr" width="100" height="8"/><rect width="{width:.2f}" height="8"/></svg>'
        f"{small}</li>"
    )


def _since(d: date | None) -> str:
    return d.isoformat() if d else "—"


def legend_html(c: Chart) -> str:
    """What the columns mean, with the days compared: a newcomer should not guess."""
    parts = []
    for cmp in c.compares:
        if cmp.since is None:
            parts.append(f"{cmp.label}: — ({cmp.missing})")
        else:
            parts.append(f"{cmp.label}: rank change since {_since(cmp.since)}")
    text = "; ".join(parts) + "."
    if any(cmp.since for cmp in c.compares):
        depth = max(cmp.depth for cmp in c.compares)
        text += f" ▲ up, ▼ down, = unchanged, NEW: not among the {depth} ranked that {c.period}."
    if c.trend_label:
        text += f" The line: share of tokens over {c.trend_label} (a gap: not ranked then)."
    return f'<p class="legend-moves">{esc(text)}</p>'


def head_html(c: Chart) -> str:
    """Column headings over the bars, in the bars' own grid (the rows say it in words)."""
    cells = "".join(f'<span class="mvh">{esc(cmp.label)}</span>' for cmp in c.compares)
    spark = f'<span class="sph">{esc(c.trend_label)}</span>' if c.trend_label else ""
    what = c.what or ("model" if c.unit == "share" else "app")
    return (
        f'<div class="bh" aria-hidden="true"><span></span><span>{esc(what)}</span>{cells}{spark}'
        f'<span class="vlh">{esc(c.heading or c.unit)}</span></div>'
    )


def credit_text(c: Chart, demo: bool) -> str:
    """The citation under a chart: OpenRouter's, or the source's own words with the time
    (a third party's scores are credited to it); simulated data is never credited."""
    if c.credit and not demo:
        return f"{clean(c.credit)} As of {utc_dt(c.as_of)}." if c.as_of else clean(c.credit)
    return citation(c.source, c.as_of, demo)


def _chart_body(c: Chart, demo: bool) -> str:
    if c.bars:
        grid = f"d{len(c.compares)}" + (" sp" if c.trend_label else "")
        items = "".join(bar_html(b, c) for b in c.bars)
        body = f'<div class="barlist {grid}">{head_html(c)}<ol class="bars">{items}</ol></div>'
        body += legend_html(c) if c.compares else ""
    else:
        body = f'<p class="muted">{esc(c.empty)}</p>'
    sub = f'<p class="sub">{esc(clean(c.subtitle))}</p>' if c.subtitle else ""
    cite = f'<p class="cite">{esc(credit_text(c, demo))}</p>' if c.bars else ""
    return f"{sub}{body}{cite}"


def chart_html(c: Chart | Board, section: str, demo: bool) -> str:
    if isinstance(c, Board):
        return board_html(c, section, demo)
    return (
        f'<section class="card" id="{section}"><h2>{esc(c.title)}</h2>'
        f"{_chart_body(c, demo)}</section>"
    )


def board_html(b: Board, section: str, demo: bool) -> str:
    """One card, a short chart per part under its own heading. Several parts take the
    whole row and sit side by side where the screen is wide: stacked in one column they
    made a card as tall as the rest of the page beside an empty one."""
    parts = "".join(
        f'<div class="part" id="{esc(slot)}"><h3>{esc(clean(c.title))}</h3>'
        f"{_chart_body(c, demo)}</div>"
        for slot, c in b.charts
    )
    if not parts:
        body, cls = f'<p class="muted">{esc(b.empty)}</p>', "card"
    elif len(b.charts) == 1:
        body, cls = parts, "card"
    else:
        body, cls = f'<div class="parts">{parts}</div>', "card board"
    return f'<section class="{cls}" id="{section}"><h2>{esc(b.title)}</h2>{body}</section>'


def watch_table_html(t: WatchTable, demo: bool) -> str:
    head = "".join(f"<th>{esc(clean(c))}</th>" for c in t.columns)
    rows = []
    for r in t.rows:
        cells = []
        for rank, depth in zip(r.ranks, t.depths, strict=True):
            if rank is None:
                cells.append(f'<td class="num muted" title="not in the top {depth}">—</td>')
            else:
                cells.append(f'<td class="num">#{rank}</td>')
        ident = f" <small>{esc(clean(r.ident))}</small>" if r.ident != r.name else ""
        rows.append(
            f'<tr><td class="name">{name_html(r.name, "")}{ident}</td>{"".join(cells)}</tr>'
        )
    if not t.columns:
        rows.append('<tr><td colspan="1" class="muted">no ranking held yet</td></tr>')
    return (
        f'<h3>{esc(t.title)}</h3><div class="tablewrap"><table><tr><th>name</th>{head}</tr>'
        f'{"".join(rows)}</table></div><p class="cite">{esc(citation(t.source, t.as_of, demo))}</p>'
    )


def watch_html(m: Market, demo: bool) -> str:
    if m.watch:
        body = "".join(watch_table_html(t, demo) for t in m.watch)
    else:
        body = (
            '<p class="muted">Nothing is watched. List app ids and model permaslugs under '
            "<code>watch:</code> in the config (<code>watch: {apps: [12345], models: "
            '["openai/gpt-4o"]}</code>) to follow them here and in the alerts.</p>'
        )
    return f'<section class="card" id="watch"><h2>Watchlist</h2>{body}</section>'


def render_market(market: Market, demo: bool) -> str:
    return (
        f'<div class="grid">{"".join(chart_html(c, slot, demo) for slot, c in market.charts)}'
        "</div>"
        f'<div class="grid">{watch_html(market, demo)}</div>'
    )
