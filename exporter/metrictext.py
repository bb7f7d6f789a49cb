"""Gauge families as exposition text: the one way dataset series (and the self-metrics'
gauges) are written.

Gauge sample lines are identical in the text format and OpenMetrics (same label escaping),
and HELP texts avoid the characters whose escaping differs, so one rendering serves both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.utils import floatToGoString

CACHED = "Cached: refreshed in the background from OpenRouter's Data API, not on scrape."


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def label_string(names: Sequence[str], values: Sequence[str]) -> str:
    return ",".join(f'{n}="{escape_label(v)}"' for n, v in zip(names, values, strict=True))


def sample_line(name: str, labels: str, value: float) -> str:
    return f"{name}{{{labels}}} {floatToGoString(value)}\n"


@dataclass(frozen=True)
class Family:
    name: str
    help: str
    labels: tuple[str, ...]

    def header(self) -> str:
        return f"# HELP {self.name} {self.help}\n# TYPE {self.name} gauge\n"


Fragment = dict[str, str]  # family name -> sample lines
