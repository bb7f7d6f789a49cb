"""The shipped rule files, read as Prometheus reads them: the market alerts to evaluate,
and the recording rules in the passes promtool can backfill them in.

Recording rules are evaluated over the history by a Prometheus that only has what earlier
passes recorded, so a rule that reads another rule's series must come in a later pass
than that rule: a rule goes in the pass after every recording rule it reads (the shipped
rules read none of each other today: one pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.alert_noise.stack import ROOT

RULES = ROOT / "prometheus" / "rules"
ALERTS_FILE = RULES / "openrouter-alerts.yml"
RECORDING_FILE = RULES / "openrouter-recording.yml"
MARKET_GROUP = "openrouter-market-alerts"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str


def market_alerts(path: Path = ALERTS_FILE) -> list[Alert]:
    """Every alerting rule of the market group, in file order."""
    groups = _groups(path)
    found = [g for g in groups if g.get("name") == MARKET_GROUP]
    if not found:
        raise ValueError(f"{path}: no group {MARKET_GROUP!r}")
    return [Alert(r["alert"], r["expr"]) for r in found[0]["rules"] if "alert" in r]


def recording_passes(path: Path = RECORDING_FILE) -> list[dict[str, Any]]:
    """The recording rules as rule-file documents, one per pass, each holding only the
    rules whose inputs earlier passes recorded (groups and their order kept)."""
    groups = _groups(path)
    rules = [(g["name"], r) for g in groups for r in g["rules"] if "record" in r]
    names = {r["record"] for _, r in rules}
    level: dict[str, int] = {}

    def depth(rule: dict[str, Any], seen: frozenset[str]) -> int:
        record = rule["record"]
        if record in level:
            return level[record]
        reads = [n for n in names if n != record and _reads(rule["expr"], n)]
        if seen & set(reads):
            raise ValueError(f"{path}: recording rules read each other in a cycle: {record}")
        by_name = {r["record"]: r for _, r in rules}
        level[record] = 1 + max((depth(by_name[n], seen | {record}) for n in reads), default=-1)
        return level[record]

    for _, rule in rules:
        depth(rule, frozenset())
    passes: list[dict[str, Any]] = []
    for n in range(max(level.values(), default=-1) + 1):
        kept: dict[str, list[dict[str, Any]]] = {}
        for group, rule in rules:
            if level[rule["record"]] == n:
                kept.setdefault(group, []).append(rule)
        passes.append({"groups": [{"name": g, "rules": rs} for g, rs in kept.items()]})
    return passes


def _reads(expr: str, name: str) -> bool:
    """Whether ``expr`` selects the series ``name`` (not a longer name containing it)."""
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", expr) is not None


def _groups(path: Path) -> list[dict[str, Any]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(doc.get("groups") or [])
