"""End to end: demo exporters, real Prometheus servers with the shipped rules, every dashboard
query.

Three exporters and two Prometheus servers, all on loopback, scraping every second:

- ``one``: a Prometheus scraping ONE demo exporter (A) under a job that is not
  ``openrouter``;
- ``many``: a Prometheus scraping A, a second identical demo exporter (B, the same
  simulated market) and an exporter whose API is unreachable (C, every view failing),
  under two more job names.

Every template variable query and every panel query of grafana/dashboards/*.json is
evaluated through Prometheus's HTTP API with the variables resolved the way Grafana
resolves them; any query that errors or returns no (finite) data fails with the full list.
The market dashboards must show exactly the same series and values with one exporter as
with several, and the health dashboard must show the failing exporter, not hide it behind
the healthy ones. A fresh Prometheus has no history, so this also proves the panels work
on day one.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import FAKE_KEY, Proc, free_port, wait_for, wait_until
from promserver import PromServer, QueryError, running_prometheus

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
MARKET_DASHBOARDS = [p for p in DASHBOARDS if "exporter-health" not in p.name]
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

# Recorded series that compare with the past.
PAST = re.compile(r":(ago1d|change1d|change7d|best_recent)$")

pytestmark = pytest.mark.e2e


@dataclass
class Stack:
    one: PromServer  # scrapes exporter A only
    many: PromServer  # scrapes A, B (identical) and C (failing)
    exporters: dict[str, str]  # name -> base URL


def _exporter(tmp: Path, name: str, args: list[str], env: dict[str, str]) -> tuple[Proc, str]:
    addr = f"127.0.0.1:{free_port()}"
    proc = Proc([*args, f"--web.listen-address={addr}"], env, tmp / f"exporter-{name}.log")
    return proc, f"http://{addr}"


def _ready(url: str, proc: Proc) -> None:
    def has_data(r: httpx.Response) -> bool:
        assert proc.p.poll() is None, proc.output()
        return all(re.search(rf"^{n}\{{", r.text, re.M) for n in NEEDED)

    wait_for(f"{url}/metrics", has_data, timeout=120)
    wait_for(f"{url}/readyz", lambda r: r.text == "ready\n", timeout=240)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    tmp = Path(tempfile.mkdtemp(prefix="openrouter-e2e-"))
    # The demo keeps its throwaway state in TMPDIR, cleaned up with tmp.
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("OPENROUTER_API_KEY", None)
    procs: list[Proc] = []
    try:
        a, url_a = _exporter(tmp, "a", ["demo"], env)
        procs.append(a)
        _ready(url_a, a)
        # B starts once A has fetched everything: the same market, every as_of later
        # than A's (as_of is the time of the request), so with both the citation names
        # B's fetch, the newest answer: the one value two identical exporters may change.
        b, url_b = _exporter(tmp, "b", ["demo"], env)
        procs.append(b)
        _ready(url_b, b)
        broken = tmp / "broken.yaml"
        broken.write_text(
            yaml.safe_dump(
                {
                    "openrouter": {"base_url": "http://127.0.0.1:9/api/v1", "timeout": "2s"},
                    "state_dir": str(tmp / "broken-state"),
                }
            )
        )
        c, url_c = _exporter(
            tmp, "c", ["run", f"--config.file={broken}"], {**env, "OPENROUTER_API_KEY": FAKE_KEY}
        )
        procs.append(c)
        wait_for(f"{url_c}/metrics", lambda r: "openrouter_exporter_view_up{" in r.text, 60)
        host = {n: u.removeprefix("http://") for n, u in (("a", url_a), ("b", url_b), ("c", url_c))}
        with (
            running_prometheus(
                tmp, scrape={"market-data": [host["a"]]}, rule_files=RULE_FILES, name="one"
            ) as one,
            running_prometheus(
                tmp,
                scrape={"market-data": [host["a"], host["b"]], "broken-exporter": [host["c"]]},
                rule_files=RULE_FILES,
                name="many",
            ) as many,
        ):
            wait_until(
                lambda: one.targets_up() == 1 and many.targets_up() == 3, "every target scraped", 60
            )
            time.sleep(4)  # a few rule evaluations and scrapes (rate/increase need 2 samples)
            # The market rules run once a minute (their group's interval), at an offset of
            # Prometheus's choosing: wait for an evaluation over the scraped data on both.
            scraped = time.time()
            for prom in (one, many):
                wait_until(
                    lambda p=prom: p.rules_evaluated(since=scraped),
                    "every rule group evaluated over the scraped data",
                    90,
                )
            # The test reads at an instant 2 s in the past: after those evaluations, whose
            # samples carry the time they started, not the time the wait saw them.
            evaluated = time.time()
            wait_until(lambda: time.time() - 2 > evaluated, "2 s past those evaluations", 5)
            yield Stack(one, many, {"a": url_a, "b": url_b, "c": url_c})
    finally:
        for p in procs:
            p.stop()


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


def metric_find(stack: PromServer, query: str, start: float, end: float) -> list[tuple[str, str]]:
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
    stack: PromServer, dash: dict, v: dict, variables: dict[str, Var], failures: list[str]
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


def variable_sets(stack: PromServer, dash: dict, failures: list[str]) -> list[dict[str, Var]]:
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


def check_dashboard(stack: PromServer, dash: dict) -> tuple[list[str], int]:
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
        f, n = check_dashboard(stack.many, json.loads(path.read_text()))
        failures += f
        checked += n
    assert checked >= 40, f"only {checked} panel queries found: is the walker broken?"
    assert not failures, (
        f"{len(failures)} of {checked} dashboard queries failed against the "
        "demo:\n" + "\n".join(failures)
    )


def default_queries(prom: PromServer, dash: dict) -> list[tuple[str, str]]:
    """(where, query) of every panel query, variables at their defaults."""
    failures: list[str] = []
    (variables, *_) = variable_sets(prom, dash, failures)
    assert not failures, failures
    out = []
    for p in _panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            copies: list[dict[str, str]] = [{}]
            if (repeat := p.get("repeat")) in variables:
                rv = variables[repeat]
                chosen = rv.values if rv.is_all else rv.selected
                copies = [{repeat: _regex_escape(x)} for x in chosen]
            for overrides in copies:
                where = f"{dash['title']} › {p.get('title')} › {t.get('refId')}"
                out.append((where, interpolate(t["expr"], variables, overrides)))
    return out


def _answer(prom: PromServer, expr: str, t: float) -> dict[str, float]:
    result = prom.api("query", query=expr, time=f"{t:.3f}")
    if result["resultType"] == "scalar":
        return {"": float(result["result"][1])}
    return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in result["result"]}


def test_a_second_identical_exporter_changes_no_market_panel(stack: Stack) -> None:
    """One Prometheus scrapes one demo exporter, the other two identical ones (and a failing
    third): every market panel query, variables at their defaults, returns the same series
    and the same values in both."""
    t = time.time() - 2
    compared, different = 0, []
    for path in MARKET_DASHBOARDS:
        dash = json.loads(path.read_text())
        for where, expr in default_queries(stack.one, dash):
            one, many = _answer(stack.one, expr, t), _answer(stack.many, expr, t)
            compared += 1
            assert one, f"{where}: no data with one exporter\n    {expr}"
            same = one.keys() == many.keys()
            # A citation's as_of is when an exporter asked: with B it is B's later fetch
            # of the same data, never an older one.
            later_fetch = same and "citation" in where and all(many[k] >= one[k] for k in one)
            if not same or (
                not later_fetch
                and any(not math.isclose(one[k], many[k], rel_tol=1e-9) for k in one)
            ):
                extra = sorted(set(many) - set(one))[:3]
                different.append(f"{where}: one {len(one)} series, many {len(many)} {extra}")
    assert compared >= 30, compared
    assert not different, "\n".join(different)


def test_health_panels_show_the_failing_exporter(stack: Stack) -> None:
    """C cannot reach the API: with the healthy A and B beside it, the health dashboard must
    still show the failure (the worst instance), where a `max` would have hidden it."""
    dash = json.loads((ROOT / "grafana/dashboards/openrouter-exporter-health.json").read_text())
    queries = dict(default_queries(stack.many, dash))
    t = time.time() - 2

    def value(title: str, ref: str = "A") -> dict[str, float]:
        (expr,) = [e for w, e in queries.items() if f"› {title} › {ref}" in w]
        return {"many": _answer(stack.many, expr, t), "one": _answer(stack.one, expr, t)}

    failing = value("Views failing")
    assert list(failing["one"].values()) == [0.0]
    assert next(iter(failing["many"].values())) >= 1
    states = value("Views: state, freshness and next refresh (worst exporter)")
    down = {k: v for k, v in states["many"].items() if v == 0}
    assert down, "the failing view of exporter C is shown as up"
    assert all(v == 1 for v in states["one"].values())
    # Scrape up: C answers scrapes, so everyone is up.
    assert list(value("Scrape up (worst)")["many"].values()) == [1.0]


def test_shipped_rules_load_and_evaluate_cleanly(stack: Stack) -> None:
    groups = stack.many.api("rules")["groups"]
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
    # A fresh Prometheus has no past to compare with: the rank a day ago and the changes
    # are empty on day one (test_history_dashboards has them over a backfill).
    for prom in (stack.one, stack.many):
        empty = [r for r in records if not PAST.search(r) and not prom.query(r, time.time())]
        assert not empty, "recording rules without output on the demo: " + ", ".join(empty)
    # Market series are de-duplicated: the same count whatever the number of exporters.
    # Per-exporter ones (budget, requests, which exporter's answer counts) carry instance.
    compared = 0
    for r in records:
        one, many = stack.one.query(r), stack.many.query(r)
        if any("instance" in s["metric"] for s in one + many):
            assert not r.endswith(":latest"), f"{r} is the market: it must not carry instance"
            continue
        compared += 1
        assert len(one) == len(many), (r, len(one), len(many))
    assert compared >= 10, compared


def test_no_operational_alert_fires_on_a_healthy_demo(stack: Stack) -> None:
    alerts = stack.one.api("alerts")["alerts"]
    noisy = [
        f"{a['labels']['alertname']} ({a['state']}) {a['labels']}"
        for a in alerts
        if a["labels"].get("severity") in ("critical", "warning")
    ]
    assert not noisy, "alerts fire on healthy demo data:\n" + "\n".join(noisy)
