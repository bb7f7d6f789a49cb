"""Every line of /metrics is written here: gauge families (the datasets' series and the
self-metrics' gauges), and client_python's metrics (counters, histograms, ``process_*``).

Gauge sample lines are identical in the text format and OpenMetrics (same label escaping),
and HELP texts avoid the characters whose escaping differs, so one rendering serves both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


# --- client_python's metrics (counters, histograms, process_*) in the same text ----------
# The self-metrics keep client_python's data model (Counter, Histogram, ProcessCollector)
# and are written here, like every other line of /metrics, in either format: the lines are
# those client_python's own exposition writes (tests/test_selfmetrics.py checks it).

_OM_ONLY = ("_created", "_gsum", "_gcount")  # the text format gathers them at a family's end


def escape_help(text: str, openmetrics: bool) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if openmetrics else text


def _sample(name: str, labels: dict[str, str], value: float) -> str:
    if not labels:
        return f"{name} {floatToGoString(value)}\n"
    pairs = ",".join(f'{k}="{escape_label(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{pairs}}} {floatToGoString(value)}\n"


def metric_text(metric: Any, openmetrics: bool, created: bool = False) -> str:
    """One client_python ``Metric`` (no exemplars, timestamps or native histograms) in the
    text format or OpenMetrics (without ``# EOF``); ``created``: keep ``_created`` samples."""
    samples = [s for s in metric.samples if created or s.name != metric.name + "_created"]
    name, kind = metric.name, metric.type
    if openmetrics:
        out = [f"# HELP {name} {escape_help(metric.documentation, True)}\n"]
        out.append(f"# TYPE {name} {kind}\n")
        if metric.unit:
            out.append(f"# UNIT {name} {metric.unit}\n")
        out += [_sample(s.name, s.labels, s.value) for s in samples]
        return "".join(out)
    text_name, text_kind = name, kind
    if kind == "counter":
        text_name = name + "_total"
    elif kind == "info":
        text_name, text_kind = name + "_info", "gauge"
    elif kind == "stateset":
        text_kind = "gauge"
    elif kind == "gaugehistogram":
        text_kind = "histogram"
    elif kind == "unknown":
        text_kind = "untyped"
    help_text = escape_help(metric.documentation, False)
    out = [f"# HELP {text_name} {help_text}\n# TYPE {text_name} {text_kind}\n"]
    later: dict[str, list[str]] = {}
    for s in samples:
        suffix = next((x for x in _OM_ONLY if s.name == name + x), None)
        line = _sample(s.name, s.labels, s.value)
        if suffix:
            later.setdefault(suffix, []).append(line)
        else:
            out.append(line)
    for suffix, lines in sorted(later.items()):
        out.append(f"# HELP {name}{suffix} {help_text}\n# TYPE {name}{suffix} gauge\n")
        out += lines
    return "".join(out)
