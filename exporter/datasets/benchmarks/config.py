"""The ``benchmarks`` section, read into the ``Config`` by ``exporter.configfile`` (the
dataset declares it: ``Benchmarks.config_section``) and back with ``benchmarks_config``."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.config import Config
from exporter.datasets.benchmarks.requests import VIEWS
from exporter.schema import Bool, Choice, ListOf, Section, setting

KEY = "benchmarks"
# Each one request a day: a source's scores, OpenRouter's search benchmarks, and Design
# Arena's arenas (``requests.VIEWS`` maps each to its query).
VIEW_NAMES = tuple(VIEWS)


@dataclass(frozen=True)
class BenchmarksConfig:
    enabled: bool = setting(True, Bool(), "benchmark scores by model (~1 request/day per view)")
    views: tuple[str, ...] = setting(
        list(VIEW_NAMES[:4]),
        ListOf(Choice(VIEW_NAMES), single=True),
        "`artificial-analysis`, `openrouter`, `openrouter-search`, `design-arena`, "
        "`design-arena-builders`, `design-arena-agents`",
    )


SECTION = Section(BenchmarksConfig)


def benchmarks_config(cfg: Config) -> BenchmarksConfig:
    return cfg.section(KEY, BenchmarksConfig)
