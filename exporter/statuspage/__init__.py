"""The status page at ``/``: what the exporter is doing and what the market looks like.

Built on request from in-memory state only (no network, nothing on the scrape path); the
market part is derived and rendered once per snapshot change.
"""

from __future__ import annotations

from exporter.statuspage.charts import render_market
from exporter.statuspage.html import render
from exporter.statuspage.market import Market
from exporter.statuspage.model import MarketCache, PageModel, page_model
from exporter.statuspage.source import PageSource

__all__ = ["PageModel", "PageSource", "StatusPage", "page_model", "render"]


class StatusPage:
    def __init__(self, source: PageSource) -> None:
        self.source = source
        self._markets = MarketCache()
        self._html: tuple[Market, str] | None = None

    def model(self) -> PageModel:
        return page_model(self.source, self._markets)

    def __call__(self) -> bytes:
        m = self.model()
        cached = self._html
        if cached is None or cached[0] is not m.market:
            cached = (m.market, render_market(m.market, m.demo))
            self._html = cached  # one reference assignment: safe across server threads
        return render(m, cached[1]).encode("utf-8")
