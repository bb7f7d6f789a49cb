"""The benchmarks requests: one GET of /benchmarks per view, always with ``source`` (so
the response carries its citation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from exporter.client import Client, MalformedResponse
from exporter.datasets.benchmarks.rows import (
    AA,
    ARENA,
    OPENROUTER,
    SOURCE,
    BenchmarkRow,
    citation_site,
    citation_text,
    parse_items,
)
from exporter.responses import field
from exporter.snapshot import Meta

ENDPOINT = "benchmarks"
MAX_RESULTS = 1000  # the API's largest page: every item of a view in one request


@dataclass(frozen=True)
class BenchmarkView:
    source: str
    params: tuple[tuple[str, str], ...] = ()
    search: bool = False


# The views (the `benchmarks.views` setting), each one request.
VIEWS = {
    "artificial-analysis": BenchmarkView(AA),
    "openrouter": BenchmarkView(OPENROUTER),
    "openrouter-search": BenchmarkView(OPENROUTER, (("task_type", "search"),), search=True),
    "design-arena": BenchmarkView(ARENA),
    "design-arena-builders": BenchmarkView(ARENA, (("arena", "builders"),)),
    "design-arena-agents": BenchmarkView(ARENA, (("arena", "agents"),)),
}


def _as_of(body: object) -> Meta:
    """meta.as_of, the data's last update. The scores cover no window, so the end date is
    that update's UTC day: the dashboards' "newest data wins" rules then pick the newest
    answer by it, as for every other view."""
    meta = field(body, "meta", "response")
    value = meta.get("as_of") if isinstance(meta, dict) else None
    if not isinstance(value, str):
        return Meta()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(f"meta.as_of: {value[:40]!r} is not a timestamp") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return Meta(as_of=parsed, end_date=parsed.astimezone(UTC).date())


def benchmarks(client: Client, view: str) -> tuple[list[BenchmarkRow], Meta]:
    spec = VIEWS[view]
    params = {"source": spec.source, **dict(spec.params), "max_results": MAX_RESULTS}
    body = client.get(ENDPOINT, params, path=ENDPOINT)
    try:
        rows = parse_items(body, spec.source, spec.search)
        meta = _as_of(body)
    except MalformedResponse as e:
        e.endpoint = ENDPOINT
        raise
    site = citation_site(body)
    if site:
        rows.append(BenchmarkRow(SOURCE, "", category=site, citation=citation_text(body)))
    return rows, meta
