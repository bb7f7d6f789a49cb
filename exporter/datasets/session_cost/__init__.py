"""session-cost: median cost per session by harness, model and turn range, checked about
daily on its own cadence. ``dataset`` (plan and timing), ``requests`` (and paging),
``rows`` (row type and parser), ``metrics`` (families), ``page`` (its status-page section)."""

from exporter.datasets.session_cost.config import SessionCostConfig, session_cost_config
from exporter.datasets.session_cost.dataset import PAGES, SessionCost
from exporter.datasets.session_cost.metrics import SessionCostCollector
from exporter.datasets.session_cost.requests import session_cost
from exporter.datasets.session_cost.rows import SessionCostRow, parse_rows

__all__ = [
    "PAGES",
    "SessionCost",
    "SessionCostCollector",
    "SessionCostConfig",
    "SessionCostRow",
    "parse_rows",
    "session_cost",
    "session_cost_config",
]
