"""The Data API's ranking semantics over the market's series: app rankings (popular and
trending, by category), and daily model rankings (exact views by day, week or month, and
the sampled estimate views by category or language type)."""

from __future__ import annotations

from datetime import date, timedelta

from exporter.simulator.catalog import CATEGORY_GROUPS, OTHER_SLUG, TOP_MODELS_PER_BUCKET
from exporter.simulator.entities import App, AppRanking, DailyRow, Model
from exporter.simulator.series import History, day_index, index_day, unit_hash, window

# These functions take the market's parts (its history, apps, shares), not the Market: the
# Market calls them, so naming it here would make the two modules import each other.


def app_rankings(
    history: History,
    apps: list[App],
    start: date,
    end: date,
    sort: str,
    category: str | None,
    subcategory: str | None,
) -> list[AppRanking]:
    history.ensure(day_index(end) + 1)
    if subcategory is not None:
        allowed: set[str] | None = {subcategory}
    elif category is not None:
        allowed = set(CATEGORY_GROUPS[category])
    else:
        allowed = None
    a, b = day_index(start), day_index(end)
    length = b - a + 1
    scored: list[tuple[int, int, App, int, int, int]] = []
    for app in apps:
        if allowed is not None and app.subcategory not in allowed:
            continue
        s = history.apps[app.id]
        tokens = window(s.prefix, a, b)
        prior = window(s.prefix, a - 3 * length, a - 1)
        if sort == "trending":
            score = 3 * tokens - prior  # 3 x excess growth, exact in integers
            if score <= 0:
                continue
        else:
            if tokens <= 0:
                continue
            score = tokens
        requests = window(s.request_prefix, a, b)
        scored.append((-score, app.id, app, tokens, requests, prior))
    scored.sort(key=lambda r: (r[0], r[1]))
    return [
        AppRanking(app, rank, tokens, requests, prior)
        for rank, (_, _, app, tokens, requests, prior) in enumerate(scored, 1)
    ]


def exact_rows(
    history: History,
    context_ppm: dict[str, dict[str, int]],
    start: date,
    end: date,
    period: str,
    context_bucket: str | None,
    models: list[Model],
) -> list[DailyRow]:
    """Buckets dated by their first calendar day, holding only days inside the window."""
    history.ensure(day_index(end) + 1)
    rows: list[DailyRow] = []
    for bucket_date, a, b in bucket_ranges(start, end, period):
        totals: list[tuple[int, str]] = []
        for m in models:
            tokens = window(history.models[m.permaslug].prefix, a, b)
            if tokens and context_bucket is not None:
                share = context_ppm[m.permaslug].get(context_bucket, 0)
                tokens = tokens * share // 10**6
            if tokens > 0:
                totals.append((tokens, m.permaslug))
        rows.extend(rank_bucket(bucket_date, totals))
    return rows


def estimate_rows(
    history: History,
    category_ppm: dict[str, dict[str, int]],
    seed: int,
    start: date,
    end: date,
    period: str,
    key: str,
    through: date,
    models: list[Model],
) -> list[DailyRow]:
    """Whole ISO weeks overlapping the window, counted up to ``through``; months sum the
    weeks whose Monday falls in them."""
    history.ensure(day_index(through) + 1)
    last = day_index(through)
    buckets: dict[date, dict[str, int]] = {}
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        bucket = monday if period == "week" else monday.replace(day=1)
        slot = buckets.setdefault(bucket, {})
        a, b = day_index(monday), min(day_index(monday) + 6, last)
        for m in models:
            tokens = window(history.models[m.permaslug].prefix, a, b)
            if tokens:
                share = category_ppm[m.permaslug][key]
                estimate = _estimate(seed, share, m.permaslug, monday, tokens, key)
                if estimate:
                    slot[m.permaslug] = slot.get(m.permaslug, 0) + estimate
        monday += timedelta(days=7)
    rows: list[DailyRow] = []
    for bucket, slot in buckets.items():
        rows.extend(rank_bucket(bucket, [(t, slug) for slug, t in slot.items()]))
    return rows


def _estimate(seed: int, share: int, slug: str, week: date, tokens: int, key: str) -> int:
    # Sampled-then-upsampled views: a noisy share, rounded to the upsampling factor.
    jitter = 0.95 + 0.1 * unit_hash(seed, slug, key, week)
    return int(tokens * share / 10**6 * jitter) // 1000 * 1000


def rank_bucket(bucket_date: date, totals: list[tuple[int, str]], other: int = 0) -> list[DailyRow]:
    """Top 50 by tokens (ties by permaslug) plus `other` when the tail is not empty: the
    models below the top 50 and ``other``, tokens of models already outside any ranking."""
    totals.sort(key=lambda t: (-t[0], t[1]))
    rows = [DailyRow(bucket_date, slug, t) for t, slug in totals[:TOP_MODELS_PER_BUCKET]]
    tail = other + sum(t for t, _ in totals[TOP_MODELS_PER_BUCKET:])
    if tail > 0:
        rows.append(DailyRow(bucket_date, OTHER_SLUG, tail))
    return rows


def bucket_ranges(start: date, end: date, period: str) -> list[tuple[date, int, int]]:
    """(bucket date, first day index, last day index) covering [start, end]."""
    a, b = day_index(start), day_index(end)
    if period == "day":
        return [(index_day(d), d, d) for d in range(a, b + 1)]
    out: list[tuple[date, int, int]] = []
    cursor = start
    while cursor <= end:
        if period == "week":
            bucket = cursor - timedelta(days=cursor.weekday())
            nxt = bucket + timedelta(days=7)
        else:
            bucket = cursor.replace(day=1)
            nxt = (bucket + timedelta(days=32)).replace(day=1)
        last = min(nxt - timedelta(days=1), end)
        out.append((bucket, day_index(cursor), day_index(last)))
        cursor = nxt
    return out
