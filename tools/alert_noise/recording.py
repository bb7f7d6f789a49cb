"""The recording rules over a whole history, as Prometheus would have recorded them.

Each rule's expression is evaluated by the real Prometheus as a range query on the
backfill's grid (every step from the first sample: a range query evaluates the expression
at each step exactly as a rule evaluation at that instant does), and the result is written
as OpenMetrics under the rule's name and labels, for `promtool tsdb create-blocks-from
openmetrics`. Not `promtool tsdb create-blocks-from rules`: 2.42 runs one range query and
writes one block per rule and 2 hours (63 days of the shipped rules: 4,500 blocks in
393 s), and its samples were off the grid (at hh:52:22.477 for a 00:00 start), so an
alert evaluated at a grid instant saw none of them within the 5-minute lookback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.alert_noise.stack import Prometheus

MAX_POINTS = 10_000  # Prometheus refuses range queries of more than 11,000 steps


def windows(start: int, end: int, step: int) -> Iterator[tuple[int, int]]:
    """[start, end] on the step's grid, in range queries of at most MAX_POINTS steps."""
    cursor = start
    while cursor <= end:
        last = min(end, cursor + (MAX_POINTS - 1) * step)
        yield cursor, last
        cursor = last + step


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def record(
    prom: Prometheus, rules: dict[str, Any], start: int, end: int, step: int, out: Path
) -> int:
    """Every recording rule of ``rules`` (a rule-file document) over [start, end] into the
    OpenMetrics file ``out``; the number of samples written."""
    families: dict[str, dict[tuple[tuple[str, str], ...], dict[int, str]]] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            series = families.setdefault(rule["record"], {})
            extra = {k: str(v) for k, v in (rule.get("labels") or {}).items()}
            for a, b in windows(start, end, step):
                for r in prom.query_range(rule["expr"], a, b, step):
                    labels = {k: v for k, v in r["metric"].items() if k != "__name__"} | extra
                    points = series.setdefault(tuple(sorted(labels.items())), {})
                    points.update((int(float(t)), v) for t, v in r["values"])
    samples = 0
    with out.open("w", encoding="utf-8") as f:
        for name, series in families.items():
            f.write(f"# TYPE {name} gauge\n")
            for labels, points in series.items():
                text = ",".join(f'{k}="{escape(v)}"' for k, v in labels)
                f.writelines(f"{name}{{{text}}} {points[t]} {t}\n" for t in sorted(points))
                samples += len(points)
        f.write("# EOF\n")
    return samples
