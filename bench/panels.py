"""What `make bench-prometheus` asks of Prometheus besides the rules: every dashboard panel's
query with the variables at their defaults (as Grafana opens the dashboard), and the
longest expression of each kind (panel, alert, recording rule).

A smaller Grafana emulation than tests/test_e2e_prometheus.py's, enough for our dashboards:
an All default becomes the variable's allValue, any other default is kept while it is still
an option (else the first option), and a repeated panel is timed once, for its first copy.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = [
    ROOT / "prometheus" / "rules" / "openrouter-recording.yml",
    ROOT / "prometheus" / "rules" / "openrouter-alerts.yml",
]
VAR_REF = re.compile(r"\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]")
LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$")
REGEX_SPECIALS = re.compile(r"[$^*{}\[\]'+?.()|]")
# What Grafana puts in for its built-in interval variables over a 1 h dashboard range.
BUILTINS = {
    "__range": "1h",
    "__range_s": "3600",
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
}
RANGE_SECONDS = 3600
RANGE_STEPS = 240


@dataclass
class Query:
    where: str  # dashboard › panel › refId
    expr: str  # variables interpolated


class QueryError(RuntimeError):
    pass


def api(client: httpx.Client, url: str, path: str, **params: Any) -> Any:
    r = client.get(f"{url}/api/v1/{path}", params=params, timeout=120)
    body = r.json()
    if body.get("status") != "success":
        raise QueryError(f"{path}: {body.get('error', r.text[:300])}")
    return body["data"]


def panels(items: list[dict]) -> Iterator[dict]:
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


def _regular_escape(value: str) -> str:
    # Grafana's prometheusRegularEscape (single-value variables).
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def _regex_escape(value: str) -> str:
    # Grafana's prometheusSpecialRegexEscape (multi-value / include-All variables).
    value = value.replace("\\", "\\\\\\\\")
    return _regular_escape(REGEX_SPECIALS.sub(lambda m: "\\\\" + m.group(0), value))


def interpolate(text: str, values: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, BUILTINS.get(name, m.group(0)))

    return VAR_REF.sub(sub, text)


def _options(client: httpx.Client, url: str, var: dict, values: dict[str, str]) -> list[str]:
    """Option values of a custom or a label_values() variable, given the ones before it."""
    if var["type"] == "custom":
        return [o.strip() for o in var["query"].split(",")]
    q = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
    m = LABEL_VALUES.match(interpolate(q, values))
    if not m:
        raise QueryError(f"variable ${var['name']}: only label_values() is handled: {q}")
    params = {"match[]": m.group(1)} if m.group(1) else {}
    return sorted(api(client, url, f"label/{m.group(2)}/values", **params))


def default_values(client: httpx.Client, url: str, dash: dict) -> tuple[dict[str, str], dict]:
    """Each variable's interpolated default, and the first option of every All variable
    (what a panel repeated over it shows first)."""
    values: dict[str, str] = {}
    first: dict[str, str] = {}
    for var in dash.get("templating", {}).get("list", []):
        if var["type"] == "datasource":
            continue
        cur = (var.get("current") or {}).get("value")
        current = cur if isinstance(cur, list) else [cur] if cur is not None else []
        if var.get("includeAll") and "$__all" in current:
            values[var["name"]] = var.get("allValue") or ".*"
            if any(p.get("repeat") == var["name"] for p in panels(dash.get("panels", []))):
                options = _options(client, url, var, values)
                first[var["name"]] = _regex_escape(options[0]) if options else ""
            continue
        options = _options(client, url, var, values)
        chosen = next((c for c in current if c in options), options[0] if options else "")
        multi = var.get("multi") or var.get("includeAll")
        values[var["name"]] = _regex_escape(chosen) if multi else _regular_escape(chosen)
    return values, first


def dashboard_queries(client: httpx.Client, url: str) -> list[Query]:
    out = []
    for path in DASHBOARDS:
        dash = json.loads(path.read_text(encoding="utf-8"))
        values, first = default_values(client, url, dash)
        for p in panels(dash.get("panels", [])):
            repeat = p.get("repeat")
            here = {**values, repeat: first[repeat]} if repeat in first else values
            suffix = f" (repeated per ${repeat}, first copy)" if repeat in first else ""
            for t in p.get("targets", []):
                if t.get("expr") and not t.get("hide"):
                    where = f"{path.stem} › {p.get('title', '?')}{suffix} › {t.get('refId')}"
                    out.append(Query(where, interpolate(t["expr"], here)))
    return out


def time_query(
    client: httpx.Client, url: str, expr: str, runs: int, end: float, *, ranged: bool
) -> float:
    """Median seconds of ``runs`` answers (client side, loopback), at ``end``: an instant
    query, or a range query over the hour before it in RANGE_STEPS steps."""
    if ranged:
        step = RANGE_SECONDS / RANGE_STEPS
        path, params = "query_range", {"start": end - RANGE_SECONDS, "end": end, "step": step}
    else:
        path, params = "query", {"time": end}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        api(client, url, path, query=expr, **params)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def longest_expressions() -> dict[str, tuple[int, str]]:
    """Per kind (panel, alert, recording rule): (characters, name) of its longest expression,
    as written in the files (panels before interpolation)."""
    found: dict[str, list[tuple[int, str]]] = {"panel": [], "alert": [], "recording rule": []}
    for path in DASHBOARDS:
        for p in panels(json.loads(path.read_text(encoding="utf-8"))["panels"]):
            for t in p.get("targets", []):
                if t.get("expr"):
                    where = f"{path.stem} › {p.get('title', '?')} › {t.get('refId')}"
                    found["panel"].append((len(t["expr"]), where))
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for r in group["rules"]:
                kind = "alert" if "alert" in r else "recording rule"
                found[kind].append((len(r["expr"]), r.get("alert") or r["record"]))
    return {kind: max(items) for kind, items in found.items()}
