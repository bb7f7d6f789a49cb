"""End to end: the demo exporter, a real Prometheus with the shipped rules, every dashboard query.

Starts ``openrouter-exporter demo`` and Debian's ``prometheus`` (2.42) on loopback ports,
scrapes every second, loads prometheus/rules/*.yml, then evaluates every template variable
query and every panel query of grafana/dashboards/*.json through Prometheus's HTTP API with
the variables resolved the way Grafana resolves them. Any query that errors or returns no
(finite) data fails the test with the full list. A fresh Prometheus has no history, so this
also proves the panels work on day one.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
RULE_FILES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
NEEDED = ("openrouter_app_rank", "openrouter_model_rank", "openrouter_session_median_cost_dollars")
# What Grafana puts in for its built-in interval variables (a 1h dashboard range).
BUILTINS = {
    "__range": "1h",
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range_s": "3600",
    "__interval_ms": "15000",
}

pytestmark = pytest.mark.e2e


def _exporter_binary() -> Path:
    for candidate in (
        Path(sys.executable).with_name("openrouter-exporter"),
        ROOT / ".venv" / "bin" / "openrouter-exporter",
    ):
        if candidate.exists():
            return candidate
    pytest.fail("openrouter-exporter console script not found: run `make` (pip install -e .)")


def _wait(what: str, check, timeout: float, procs: list[subprocess.Popen], interval=0.5):
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                pytest.fail(f"{what}: {p.args[0]} exited with {p.returncode}:\n{_tail(p)}")
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, ValueError, KeyError) as e:
            last_error = e
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last_error})")


def _tail(p: subprocess.Popen) -> str:
    log = getattr(p, "log_path", None)
    if log and Path(log).exists():
        return "\n".join(Path(log).read_text(errors="replace").splitlines()[-30:])
    return ""


def _start(args: list[str], log_path: Path, **kw) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    p = subprocess.Popen(
        args,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        **kw,
    )
    p.log_path = log_path  # type: ignore[attr-defined]
    p.log_file = log  # type: ignore[attr-defined]
    return p


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    p.log_file.close()  # type: ignore[attr-defined]


@dataclass
class Stack:
    exporter_url: str
    prom_url: str
    client: httpx.Client
    exporter: subprocess.Popen
    prometheus: subprocess.Popen

    def api(self, path: str, **params) -> dict:
        r = self.client.get(f"{self.prom_url}/api/v1/{path}", params=params)
        body = r.json()
        if body.get("status") != "success":
            raise QueryError(body.get("error", r.text))
        return body["data"]


class QueryError(Exception):
    pass


def _prometheus_config(exporter_addr: str) -> dict:
    """The shipped prometheus.yml, pointed at the demo and sped up to 1s."""
    cfg = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    cfg["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
    cfg["rule_files"] = [str(p) for p in RULE_FILES]
    (job,) = [j for j in cfg["scrape_configs"] if j["job_name"] == "openrouter"]
    job.update(
        {
            "scrape_interval": "1s",
            "scrape_timeout": "1s",
            "static_configs": [{"targets": [exporter_addr]}],
        }
    )
    return cfg


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    prometheus_bin = shutil.which("prometheus")
    assert prometheus_bin, "prometheus is not installed: run `make prometheus-tools`"
    tmp = Path(tempfile.mkdtemp(prefix="openrouter-e2e-"))
    exp_port, prom_port = free_port(), free_port()
    exp_addr = f"127.0.0.1:{exp_port}"
    exporter = _start(
        [str(_exporter_binary()), "demo", f"--web.listen-address={exp_addr}"],
        tmp / "exporter.log",
        cwd=tmp,
        env={**os.environ, "TMPDIR": str(tmp)},  # the demo's state dir is cleaned up with tmp
    )
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(_prometheus_config(exp_addr)))
    prometheus = _start(
        [
            prometheus_bin,
            f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
        tmp / "prometheus.log",
        cwd=tmp,
    )
    client = httpx.Client(timeout=10)
    s = Stack(f"http://{exp_addr}", f"http://127.0.0.1:{prom_port}", client, exporter, prometheus)
    procs = [exporter, prometheus]
    try:

        def exporter_has_data() -> bool:
            text = client.get(f"{s.exporter_url}/metrics").text
            return all(re.search(rf"^{name}\{{", text, re.M) for name in NEEDED)

        _wait(
            "the demo exporter's /metrics to carry app, model and session-cost data",
            exporter_has_data,
            60,
            procs,
        )
        # Every configured view has data (the demo spends ~2 minutes of budget for that).
        _wait(
            "the demo exporter's /readyz",
            lambda: client.get(f"{s.exporter_url}/readyz").status_code == 200,
            240,
            procs,
            interval=2,
        )
        ready_at = time.time()
        _wait(
            "Prometheus to be ready",
            lambda: client.get(f"{s.prom_url}/-/ready").status_code == 200,
            60,
            procs,
        )

        def scraped_after_ready() -> bool:
            targets = s.api("targets")["activeTargets"]
            return any(t["health"] == "up" and _ts(t["lastScrape"]) > ready_at + 1 for t in targets)

        _wait("a successful scrape of the ready exporter", scraped_after_ready, 60, procs)
        time.sleep(4)  # a few rule evaluations and scrapes (rate/increase need 2 samples)
        yield s
    finally:
        client.close()
        for p in procs:
            _stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


def _ts(rfc3339: str) -> float:
    from datetime import datetime

    # Prometheus: 2026-11-24T20:19:13.422305871Z; fromisoformat wants <= 6 fraction digits.
    m = re.match(r"(.*?T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-].*)$", rfc3339)
    assert m, rfc3339
    frac = (m.group(2) or ".0")[:7]
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + frac + tz).timestamp()


# ---------------------------------------------------------------------------
# Grafana emulation: variables and interpolation
# ---------------------------------------------------------------------------
LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\)\s*$")
QUERY_RESULT = re.compile(r"^query_result\((.+)\)\s*$")
VAR_REF = re.compile(r"\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]")
REGEX_SPECIALS = re.compile(r"[$^*{}\[\]'+?.()|]")


def _regular_escape(value: str) -> str:
    # Grafana's prometheusRegularEscape (single-value variables).
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def _regex_escape(value: str) -> str:
    # Grafana's prometheusSpecialRegexEscape (multi-value / include-All variables).
    value = value.replace("\\", "\\\\\\\\")
    return _regular_escape(REGEX_SPECIALS.sub(lambda m: "\\\\" + m.group(0), value))


@dataclass
class Var:
    name: str
    multi: bool
    include_all: bool
    values: list[str] = field(default_factory=list)  # option values, in Grafana's order
    selected: list[str] = field(default_factory=list)
    all_value: str | None = None
    is_all: bool = False

    def interpolate(self) -> str:
        if self.is_all and self.all_value is not None:
            return self.all_value
        chosen = self.values if self.is_all else self.selected
        if not self.multi and not self.include_all:
            return _regular_escape(chosen[0])
        escaped = [_regex_escape(v) for v in chosen]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def interpolate(
    text: str, variables: dict[str, Var], overrides: dict[str, str] | None = None
) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if overrides and name in overrides:
            return overrides[name]
        if name in variables:
            return variables[name].interpolate()
        if name in BUILTINS:
            return BUILTINS[name]
        return m.group(0)

    return VAR_REF.sub(sub, text)


def _series_text(labels: dict[str, str]) -> str:
    # Grafana's getOriginalMetricName: name{k="v",...} in the order Prometheus returns.
    name = labels.get("__name__", "")
    rest = ",".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__")
    return f"{name}{{{rest}}}"


def metric_find(stack: Stack, query: str, start: float, end: float) -> list[tuple[str, str]]:
    """Grafana's PrometheusMetricFindQuery: (text, value) options for a variable query."""
    window = {"start": f"{start:.3f}", "end": f"{end:.3f}"}
    if m := LABEL_VALUES.match(query):
        selector, label = m.group(1), m.group(2)
        params = dict(window, **({"match[]": selector} if selector else {}))
        values = stack.api(f"label/{label}/values", **params)
        return [(v, v) for v in values]
    if m := QUERY_RESULT.match(query):
        result = stack.api("query", query=m.group(1), time=f"{end:.3f}")["result"]
        return [(_series_text(r["metric"]), _series_text(r["metric"])) for r in result]
    series = stack.api("series", **{"match[]": query}, **window)
    return [(_series_text(s), _series_text(s)) for s in series]


def _js_regex(regex: str) -> re.Pattern:
    m = re.match(r"^/(.*)/([gimsuy]*)$", regex, re.S)
    body, flags = (m.group(1), m.group(2)) if m else (regex, "")
    return re.compile(
        body.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"),
        re.I if "i" in flags else 0,
    )


def _apply_regex(options: list[tuple[str, str]], regex: str) -> list[tuple[str, str]]:
    if not regex:
        return options
    pattern, out = _js_regex(regex), []
    for text, _ in options:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        if groups:
            value = groups.get("value") or groups.get("text")
            out.append((groups.get("text") or value, value))
        else:
            v = m.group(1) if m.groups() else m.group(0)
            out.append((v, v))
    return out


def _sorted(options: list[tuple[str, str]], sort: int) -> list[tuple[str, str]]:
    if sort in (1, 2):
        options = sorted(options, key=lambda o: o[0], reverse=sort == 2)
    elif sort in (3, 4):

        def num(o):
            m = re.search(r"-?\d+(\.\d+)?", o[0])
            return float(m.group(0)) if m else math.inf

        options = sorted(options, key=num, reverse=sort == 4)
    elif sort in (5, 6):
        options = sorted(options, key=lambda o: o[0].lower(), reverse=sort == 6)
    seen, out = set(), []
    for o in options:
        if o[1] not in seen:
            seen.add(o[1])
            out.append(o)
    return out


MAX_COMBINATIONS = 100


def _options(
    stack: Stack, dash: dict, v: dict, variables: dict[str, Var], failures: list[str]
) -> list[str]:
    """Option values of one variable given the variables before it (Grafana's order)."""
    if v["type"] == "custom":
        return [o.strip() for o in v["query"].split(",")]
    if v["type"] != "query":
        failures.append(f"{dash['title']} › variable ${v['name']}: unsupported type {v['type']}")
        return []
    end = time.time()
    q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
    q = interpolate(q, variables)
    where = f"{dash['title']} › variable ${v['name']}: {q}"
    try:
        options = metric_find(stack, q, end - 30 * 86400, end)
    except QueryError as e:
        failures.append(f"{where} → error: {e}")
        return []
    options = _sorted(_apply_regex(options, v.get("regex", "")), v.get("sort", 0))
    if not options:
        failures.append(f"{where} → no values")
    return [value for _, value in options]


def variable_sets(stack: Stack, dash: dict, failures: list[str]) -> list[dict[str, Var]]:
    """Every combination of the single-value query variables, defaults first.

    Query variables are chained (window → sort → category → …), so only combinations
    that exist in the data are produced. Multi-value variables keep their default (All);
    custom variables (Top N, 1d/7d) take their default first, then rotate through their
    other values across combinations.
    """
    defs = [v for v in dash.get("templating", {}).get("list", []) if v["type"] != "datasource"]
    combos: list[dict[str, Var]] = []

    def default_of(v: dict) -> list[str]:
        cur = (v.get("current") or {}).get("value")
        return cur if isinstance(cur, list) else [cur] if cur is not None else []

    def walk(i: int, variables: dict[str, Var]) -> None:
        if len(combos) >= MAX_COMBINATIONS:
            return
        if i == len(defs):
            combos.append(dict(variables))
            return
        v = defs[i]
        values = _options(stack, dash, v, variables, failures) or ["__no_value__"]
        var = Var(
            v["name"],
            bool(v.get("multi")),
            bool(v.get("includeAll")),
            values,
            all_value=v.get("allValue") or None,
        )
        current = default_of(v)
        if var.include_all and "$__all" in current:
            var.is_all = True
            branches = [values]
        elif var.multi:
            branches = [[c for c in current if c in values] or values[:1]]
        else:
            # Grafana keeps the saved value if it is an option, else takes the first.
            first = next((c for c in current if c in values), values[0])
            ordered = [first] + [x for x in values if x != first]
            if v["type"] == "custom":
                ordered = [ordered[len(combos) % len(ordered)]]
            branches = [[x] for x in ordered]
        for chosen in branches:
            variables[v["name"]] = Var(
                var.name, var.multi, var.include_all, values, chosen, var.all_value, var.is_all
            )
            walk(i + 1, variables)
        variables.pop(v["name"], None)

    walk(0, {})
    return combos


def _panels(panels: list[dict]) -> Iterator[dict]:
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))


def _finite(result: dict) -> bool:
    kind, res = result["resultType"], result["result"]
    if kind == "scalar":
        return math.isfinite(float(res[1]))
    if kind == "vector":
        return any(math.isfinite(float(r["value"][1])) for r in res)
    if kind == "matrix":
        return any(math.isfinite(float(v[1])) for r in res for v in r["values"])
    return bool(res)


def check_dashboard(stack: Stack, dash: dict) -> tuple[list[str], int]:
    failures: list[str] = []
    checked: set[str] = set()
    for variables in variable_sets(stack, dash, failures):
        for p in _panels(dash.get("panels", [])):
            repeat = p.get("repeat")
            copies: list[dict[str, str]] = [{}]
            if repeat in variables:
                rv = variables[repeat]
                copies = [
                    {repeat: _regex_escape(x)} for x in (rv.values if rv.is_all else rv.selected)
                ]
            for t in p.get("targets", []):
                if t.get("hide"):
                    continue
                for overrides in copies:
                    expr = interpolate(t["expr"], variables, overrides)
                    if expr in checked:
                        continue
                    checked.add(expr)
                    where = f"{dash['title']} › {p.get('title', '?')} › {t.get('refId')}"
                    if "$" in expr:
                        failures.append(f"{where}: unresolved variable in {expr!r}")
                        continue
                    try:
                        result = stack.api("query", query=expr, time=f"{time.time():.3f}")
                    except QueryError as e:
                        failures.append(f"{where} → error: {e}\n    {expr}")
                        continue
                    if not _finite(result):
                        failures.append(f"{where} → no data\n    {expr}")
    return sorted(set(failures)), len(checked)


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------
def test_every_dashboard_query_returns_data(stack: Stack) -> None:
    assert DASHBOARDS, "no dashboards in grafana/dashboards"
    failures, checked = [], 0
    for path in DASHBOARDS:
        f, n = check_dashboard(stack, json.loads(path.read_text()))
        failures += f
        checked += n
    assert checked >= 40, f"only {checked} panel queries found: is the walker broken?"
    assert not failures, (
        f"{len(failures)} of {checked} dashboard queries failed against the "
        "demo:\n" + "\n".join(failures)
    )


def test_shipped_rules_load_and_evaluate_cleanly(stack: Stack) -> None:
    groups = stack.api("rules")["groups"]
    files = {Path(g["file"]).name for g in groups}
    assert files == {p.name for p in RULE_FILES}, files
    bad = [
        f"{g['name']}/{r['name']}: {r['health']} {r.get('lastError', '')}"
        for g in groups
        for r in g["rules"]
        if r["health"] != "ok"
    ]
    assert not bad, "rules failing in Prometheus:\n" + "\n".join(bad)
    expected = sum(
        len(g["rules"]) for p in RULE_FILES for g in yaml.safe_load(p.read_text())["groups"]
    )
    assert sum(len(g["rules"]) for g in groups) == expected


def test_every_recording_rule_produces_series_from_the_demo(stack: Stack) -> None:
    records = sorted(
        {
            r["record"]
            for p in RULE_FILES
            for g in yaml.safe_load(p.read_text())["groups"]
            for r in g["rules"]
            if "record" in r
        }
    )
    empty = [
        r for r in records if not stack.api("query", query=r, time=f"{time.time():.3f}")["result"]
    ]
    assert not empty, "recording rules without output on the demo: " + ", ".join(empty)


def test_no_operational_alert_fires_on_a_healthy_demo(stack: Stack) -> None:
    alerts = stack.api("alerts")["alerts"]
    noisy = [
        f"{a['labels']['alertname']} ({a['state']}) {a['labels']}"
        for a in alerts
        if a["labels"].get("severity") in ("critical", "warning")
    ]
    assert not noisy, "alerts fire on healthy demo data:\n" + "\n".join(noisy)
