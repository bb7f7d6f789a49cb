"""The ``session_cost`` section, read into the ``Config`` by ``exporter.configfile`` (the
dataset declares it: ``SessionCost.config_section``) and back with ``session_cost_config``."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.config import Config
from exporter.schema import Bool, Section, setting

KEY = "session_cost"


@dataclass(frozen=True)
class SessionCostConfig:
    enabled: bool = setting(True, Bool(), "median cost per session (~2 requests/day)")


SECTION = Section(SessionCostConfig)


def session_cost_config(cfg: Config) -> SessionCostConfig:
    return cfg.section(KEY, SessionCostConfig)
