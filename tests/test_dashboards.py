"""Grafana dashboards: generated JSON is current and follows the rules Grafana needs.

What needs data (every query returning something) is proven in test_e2e_prometheus.py
against a real Prometheus; this file checks structure without any server.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

# pytest puts tests/ on sys.path (rootdir-relative "prepend" import mode, no __init__.py).
from test_rules import CONTRACT_METRICS, metric_names, records, selectors

ROOT = Path(__file__).resolve().parent.parent
DASH_DIR = ROOT / "grafana" / "dashboards"
EXPECTED = {
    "openrouter-models.json": "openrouter-models",
    "openrouter-apps.json": "openrouter-apps",
    "openrouter-session-cost.json": "openrouter-session-cost",
    "openrouter-exporter-health.json": "openrouter-exporter-health",
}
DS_REF = {"type": "prometheus", "uid": "${datasource}"}
GRAFANA_BUILTINS = {
    "__range",
    "__rate_interval",
    "__interval",
    "__range_s",
    "__interval_ms",
    "__all",
}
CITATION = re.compile(r"^Source: OpenRouter \(\{\{source\}\}\), as of$")


def load(name: str) -> dict:
    return json.loads((DASH_DIR / name).read_text(encoding="utf-8"))


def panels(d: dict) -> list[dict]:
    out, stack = [], list(d["panels"])
    while stack:
        p = stack.pop(0)
        out.append(p)
        stack.extend(p.get("panels", []))
    return out


def exprs(d: dict) -> list[str]:
    return [t["expr"] for p in panels(d) for t in p.get("targets", [])]


def expanded_exprs(d: dict) -> list[str]:
    """Panel queries with every value of the custom variables (e.g. change$change)."""
    custom = {
        v["name"]: [o.strip() for o in v["query"].split(",")]
        for v in variables(d)
        if v["type"] == "custom"
    }
    out = []
    for e in exprs(d):
        used = [n for n in custom if re.search(rf"\${n}\b|\$\{{{n}\}}", e)]
        for values in itertools.product(*(custom[n] for n in used)):
            x = e
            for n, val in zip(used, values, strict=True):
                x = re.sub(rf"\${n}\b|\$\{{{n}\}}", val, x)
            out.append(x)
    return out


def variables(d: dict) -> list[dict]:
    return d["templating"]["list"]


@pytest.fixture(params=sorted(EXPECTED), ids=lambda n: n.removesuffix(".json"))
def dash(request) -> dict:
    return load(request.param)


def test_committed_files_are_what_the_mixin_generates() -> None:
    # Dashboards, rule files and Kubernetes manifests: one generator, one config.
    r = subprocess.run(
        [sys.executable, "-m", "mixin", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr or r.stdout


def test_a_stale_committed_file_fails_the_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    gen = [sys.executable, "-m", "mixin", "--output", str(out)]
    assert subprocess.run(gen, cwd=ROOT, timeout=120).returncode == 0
    target = out / "grafana" / "dashboards" / "openrouter-apps.json"
    target.write_text(target.read_text().replace("Leaderboard", "Leader board"))
    r = subprocess.run([*gen, "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "openrouter-apps.json" in r.stderr


def test_the_four_dashboards_with_stable_uids() -> None:
    assert sorted(p.name for p in DASH_DIR.glob("*.json")) == sorted(EXPECTED)
    for name, uid in EXPECTED.items():
        assert load(name)["uid"] == uid


def test_loads_in_grafana_11(dash: dict) -> None:
    assert dash["schemaVersion"] >= 41  # grafana-foundation-sdk 11.6 writes 41
    assert "__inputs" not in dash and "__requires" not in dash
    assert "${DS_" not in json.dumps(dash), "import-only datasource placeholders"
    assert dash.get("id") is None, "a fixed numeric id breaks provisioning"
    assert dash["title"].startswith("OpenRouter / ") and "openrouter" in dash["tags"]
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids))


def test_datasource_variable_used_by_every_panel_target_and_variable(dash: dict) -> None:
    ds = [v for v in variables(dash) if v["type"] == "datasource"]
    assert [(v["name"], v["query"]) for v in ds] == [("datasource", "prometheus")]
    assert variables(dash)[0]["name"] == "datasource", "must resolve before the others"
    for p in panels(dash):
        if p["type"] == "row":
            continue
        assert p.get("datasource") == DS_REF, p["title"]
        assert p.get("targets"), f"{p['title']}: no queries"
        for t in p["targets"]:
            assert t.get("datasource") == DS_REF, p["title"]
            assert t.get("expr", "").strip(), p["title"]
    for v in variables(dash):
        if v["type"] == "query":
            assert v.get("datasource") == DS_REF, v["name"]


def test_citation_line_with_as_of(dash: dict) -> None:
    cites = [
        p
        for p in panels(dash)
        if any(CITATION.match(t.get("legendFormat", "")) for t in p.get("targets", []))
    ]
    assert len(cites) == 1, "exactly one citation panel"
    p = cites[0]
    (t,) = p["targets"]
    assert p["gridPos"]["y"] == 0 and p["gridPos"]["w"] == 24, "citation on top, full width"
    assert "openrouter_data_as_of_timestamp_seconds" in t["expr"]
    assert "openrouter_dataset_info" in t["expr"]
    assert p["fieldConfig"]["defaults"]["unit"] == "dateTimeAsIso"
    assert p["options"]["textMode"] == "value_and_name"
    assert dash["timezone"] == "utc"


COVERAGE = {"openrouter:data_as_of:latest", "openrouter:app_view:newest"}


def test_queries_use_contract_metrics_and_the_recorded_market_with_a_raw_fallback(
    dash: dict,
) -> None:
    """Market panels read the recording rules' newest market; where the rules have not run
    (backfilled history, a Prometheus without our rules) each falls back to the raw series
    it stands for. Only rank changes need the rules (docs/dashboards.md: without our rules)."""
    known = CONTRACT_METRICS | records()
    for e in expanded_exprs(dash):
        used = metric_names(e)
        assert not used - known, (used - known, e)
        recorded = used & records()
        # A rank change, recorded (models) or computed from the recorded ranks a day or a
        # week back (apps): only the rules hold two moments of the market.
        past = re.search(r"openrouter:app_rank:latest(\{[^}]*\})?\[\w+\] offset", e)
        if past or any(re.search(r":change(1d|7d)$", n) for n in recorded):
            continue
        for name in recorded - COVERAGE:  # COVERAGE: "the rules ran for this view"
            assert name.endswith(":latest"), (name, e)
            family = name.split(":")[1]
            assert f"openrouter_{family}" in used, f"{name} without its raw fallback:\n{e}"


def test_job_and_instance_variables_are_multi_value_and_default_to_all(dash: dict) -> None:
    by_name = {v["name"]: v for v in variables(dash)}
    for name in ("job", "instance"):
        v = by_name[name]
        assert v["type"] == "query" and v["multi"] and v["includeAll"], name
        assert v["current"]["value"] == ["$__all"], name
        # All must also match series without the label (a backfill without --label).
        assert v["allValue"] == ".*", name
    assert 'job=~"$job"' in by_name["instance"]["query"], "instances of the chosen jobs"


# A pick of the newest data from the raw series (mixin.promql.Q.newest, for families the
# rules do not record) stands for a recorded series: restricted to the exporters the rules
# chose per view, it is the market whichever exporter served it, so the job and instance
# variables do not narrow it, as they do not narrow openrouter:<family>:latest.
NEWEST_PICK = re.compile(
    r"last_over_time\(openrouter_\w+(\{[^}]*\})?\[\w+\]\)\s*"
    r"and on \(job, instance, [\w, ]+\) openrouter:app_view:newest"
)


def test_every_selector_honours_the_job_and_instance_variables(dash: dict) -> None:
    texts = [NEWEST_PICK.sub("", e) for e in exprs(dash)] + [
        v["query"]
        for v in variables(dash)
        if v["type"] == "query" and v["name"] not in ("job", "instance")
    ]
    missing = [
        (metric, text[:120])
        for text in texts
        for metric, matchers in selectors(text)
        if not ('job=~"$job"' in matchers and 'instance=~"$instance"' in matchers)
    ]
    assert not missing, missing


def test_every_variable_reference_is_defined(dash: dict) -> None:
    defined = {v["name"] for v in variables(dash)} | GRAFANA_BUILTINS
    texts = exprs(dash) + [
        v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        for v in variables(dash)
        if v["type"] == "query"
    ]
    texts += [p["title"] for p in panels(dash)]
    refs = {m.group(1) or m.group(2) for s in texts for m in re.finditer(r"\$(\w+)|\$\{(\w+)", s)}
    assert refs <= defined, refs - defined
    # A variable may only use variables defined before it (Grafana resolves in order).
    seen: set[str] = set(GRAFANA_BUILTINS)
    for v in variables(dash):
        q = v.get("definition", "") if v["type"] == "query" else ""
        used = {m.group(1) for m in re.finditer(r"\$(\w+)", q)}
        assert used <= seen, f"${v['name']} uses {used - seen} before it is defined"
        seen.add(v["name"])


def test_panels_fit_the_grid_without_overlap(dash: dict) -> None:
    cells: dict[tuple[int, int], str] = {}
    for p in panels(dash):
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = p["title"]


def test_app_names_never_reach_a_promql_string() -> None:
    # App names are untrusted (quotes, newlines); the app variable carries app_id values.
    d = load("openrouter-apps.json")
    (app,) = [v for v in variables(d) if v["name"] == "app"]
    assert "(?<value>[0-9]+)" in app["regex"] and "app_id" in app["regex"]
    for e in exprs(d):
        assert not re.search(r'\bapp=~?"\$', e), e


def _titles(name: str) -> str:
    return "\n".join(p["title"] for p in panels(load(name))).lower()


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        (
            "openrouter-models.json",
            [
                "market share by author",
                "top models",
                "tokens per model",
                "top 50 vs other",
                "total tokens",
            ],
        ),
        (
            "openrouter-apps.json",
            ["leaderboard", "rank over time", "climbers", "fallers", "tokens by category"],
        ),
        ("openrouter-session-cost.json", ["harness", "median cost per session"]),
        (
            "openrouter-exporter-health.json",
            ["budget", "status code", "data age", "next refresh", "view up"],
        ),
    ],
)
def test_dashboards_have_the_promised_panels(name: str, needles: list[str]) -> None:
    titles = _titles(name)
    missing = [n for n in needles if n not in titles]
    assert not missing, missing


def test_models_table_has_rank_change_columns() -> None:
    d = load("openrouter-models.json")
    (top,) = [p for p in panels(d) if p["title"].startswith("Top models")]
    joined = " ".join(t["expr"] for t in top["targets"])
    for m in ("openrouter_model_rank", "openrouter_model_tokens", "openrouter_model_share"):
        assert m in joined
    rename = next(t for t in top["transformations"] if t["id"] == "organize")["options"]
    assert {"Δ rank 1d", "Δ rank 7d"} <= set(rename["renameByName"].values())
    for offset in ("1d", "7d"):
        # The recorded change compares data labels only (a restarted pod keeps its history,
        # prometheus/tests/recording-rules.test.yml); an entry without history shows 0.
        (change,) = [t["expr"] for t in top["targets"] if f"change{offset}" in t["expr"]]
        assert change == (
            f'(model:openrouter_model_rank:change{offset}{{view="$view"}}\n'
            'or openrouter:model_rank:latest{view="$view"} * 0)'
        )


def test_health_panels_show_the_worst_instance() -> None:
    d = load("openrouter-exporter-health.json")
    for p in panels(d):
        for t in p.get("targets", []):
            e = t["expr"]
            if "openrouter_exporter_view_up" in e:
                assert "max by" not in e and "min by (dataset, view)" in e, (p["title"], e)
            if 'ALERTS{alertname=~"OpenRouter.*"' in e:  # the firing-alerts count
                assert 'severity=~"warning|critical"' in e, (p["title"], e)


def test_apps_leaderboard_uses_all_four_view_variables() -> None:
    d = load("openrouter-apps.json")
    (board,) = [p for p in panels(d) if p["title"].startswith("Leaderboard")]
    for t in board["targets"]:
        for var in ("$window", "$sort", "$category", "$subcategory"):
            assert var in t["expr"], (var, t["expr"])


def test_a_mixin_config_file_changes_selector_and_thresholds_everywhere(tmp_path: Path) -> None:
    cfg = tmp_path / "my.yaml"
    cfg.write_text("selector: 'job=\"openrouter-prod\"'\nthresholds: {app_top_n: 25}\n")
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, "-m", "mixin", "--config", str(cfg), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    alerts = (out / "prometheus/rules/openrouter-alerts.yml").read_text()
    assert "<= 25" in alerts and "<= 10\n" not in alerts.split("OpenRouterModelRankChanged")[0]
    models = json.loads((out / "grafana/dashboards/openrouter-models.json").read_text())
    for e in exprs(models):
        for metric, matchers in selectors(e):
            assert 'job="openrouter-prod"' in matchers, (metric, e)
    rule = (out / "deploy/kubernetes/prometheus-rule.yaml").read_text()
    assert 'job="openrouter-prod"' in rule
    bad = tmp_path / "bad.yaml"
    bad.write_text("thresholds: {app_topn: 25}\n")
    r = subprocess.run(
        [sys.executable, "-m", "mixin", "--config", str(bad), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode != 0 and "app_topn" in r.stderr


def test_the_budget_stat_turns_red_at_the_alerts_threshold() -> None:
    """One threshold, written once: the panel's red step is the alert's ratio."""
    from dataclasses import replace

    from mixin.config import MixinConfig, Thresholds
    from mixin.dashboards import dashboard_files

    cfg = replace(MixinConfig(), thresholds=Thresholds(budget_used_ratio=0.7004))
    health = json.loads(dashboard_files(cfg)["openrouter-exporter-health.json"])
    stat = next(p for p in panels(health) if p["title"] == "Daily budget used (highest)")
    steps = stat["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert {"color": "red", "value": 0.7004} in steps
