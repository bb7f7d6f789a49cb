"""The session-cost family: median cost per session by harness, model and turn range."""

from __future__ import annotations

from exporter.config import Config
from exporter.datasets.session_cost.config import session_cost_config
from exporter.datasets.session_cost.rows import SessionCostRow
from exporter.metrictext import CACHED, Family, Fragment, label_string, sample_line
from exporter.snapshot import Snapshot


class SessionCostCollector:
    """Median cost per session, by harness, model and turn range (weekly snapshot).

    Emits, for example::

        openrouter_session_median_cost_dollars{app_slug="claude-code",app="Claude Code",\
model="anthropic/claude-sonnet-4",turn_range="1-turn"} 0.42
    """

    LABELS = ("app_slug", "app", "model", "turn_range")
    COST = Family(
        "openrouter_session_median_cost_dollars",
        f"Median USD spent per session, by harness, model and turn range. {CACHED}",
        LABELS,
    )
    families = (COST,)
    info_families = ()

    def __init__(self, cfg: Config) -> None:
        self.enabled = session_cost_config(cfg).enabled

    def render(self, snap: Snapshot) -> Fragment:
        if not self.enabled:
            return {}
        lines = []
        seen: set[tuple[str, str, str]] = set()
        for r in snap.rows:
            if not isinstance(r, SessionCostRow):
                continue  # a damaged state file: skip the row, never fail the render
            ident = (r.app_slug, r.model, r.turn_range)
            if ident in seen:
                continue
            seen.add(ident)
            labels = label_string(self.LABELS, [r.app_slug, r.app_name, r.model, r.turn_range])
            lines.append(sample_line(self.COST.name, labels, r.median_cost_usd))
        return {self.COST.name: "".join(lines)}

    def info(self) -> Fragment:
        return {}
