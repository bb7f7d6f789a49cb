"""Prometheus rules: promtool lint and unit tests, plus the conventions promtool cannot see.

promtool comes from Debian's prometheus package (`make prometheus-tools`). When it is
missing these tests fail: they never skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROM = ROOT / "prometheus"
RULE_FILES = sorted((PROM / "rules").glob("*.yml"))
ALERTS_FILE = PROM / "rules" / "openrouter-alerts.yml"
RECORDING_FILE = PROM / "rules" / "openrouter-recording.yml"
UNIT_TESTS = sorted((PROM / "tests").glob("*.test.yml"))

REQUIRED_ALERTS = {
    "OpenRouterExporterDown",
    "OpenRouterExporterAbsent",
    "OpenRouterDataStale",
    "OpenRouterApiKeyInvalid",
    "OpenRouterBudgetNearlyExhausted",
    "OpenRouterRateLimited",
    "OpenRouterAppRankDropped",
    "OpenRouterAppEnteredTopN",
    "OpenRouterAppLeftTopN",
    "OpenRouterModelRankChanged",
    "OpenRouterNewTopModel",
    "OpenRouterWatchedAppRankChanged",
    "OpenRouterWatchedModelRankChanged",
    "OpenRouterWatchedEntryLeftRanking",
}
# The exporter's metric contract (DESIGN.md): rules and dashboards may use nothing else.
CONTRACT_METRICS = {
    "openrouter_app_rank",
    "openrouter_app_tokens",
    "openrouter_app_view_tokens",
    "openrouter_app_requests",
    "openrouter_model_rank",
    "openrouter_model_tokens",
    "openrouter_model_share",
    "openrouter_session_median_cost_dollars",
    "openrouter_task_usage_share",
    "openrouter_task_token_share",
    "openrouter_task_macro_usage_share",
    "openrouter_task_macro_token_share",
    "openrouter_task_model_usage_share",
    "openrouter_task_model_token_share",
    "openrouter_benchmark_index",
    "openrouter_benchmark_score_ratio",
    "openrouter_benchmark_score_stddev_ratio",
    "openrouter_benchmark_cost_per_task_dollars",
    "openrouter_benchmark_latency_per_task_seconds",
    "openrouter_benchmark_tasks",
    "openrouter_benchmark_last_run_timestamp_seconds",
    "openrouter_benchmark_search_lane_info",
    "openrouter_benchmark_elo",
    "openrouter_benchmark_win_ratio",
    "openrouter_benchmark_generation_seconds",
    "openrouter_benchmark_tournaments",
    "openrouter_benchmark_tournament_placements",
    "openrouter_benchmark_source_info",
    "openrouter_data_as_of_timestamp_seconds",
    "openrouter_data_end_date_timestamp_seconds",
    "openrouter_dataset_info",
    "openrouter_watched_app_info",
    "openrouter_watched_model_info",
    "openrouter_watched_ranked",
    "openrouter_app_view_info",
    "openrouter_exporter_build_info",
    "openrouter_exporter_api_requests_total",
    "openrouter_exporter_api_request_duration_seconds_bucket",
    "openrouter_exporter_api_request_duration_seconds_sum",
    "openrouter_exporter_api_request_duration_seconds_count",
    "openrouter_exporter_budget_limit_requests",
    "openrouter_exporter_budget_used_requests",
    "openrouter_exporter_view_up",
    "openrouter_exporter_view_last_success_timestamp_seconds",
    "openrouter_exporter_view_next_refresh_timestamp_seconds",
}
# Series a rule or panel may select besides the contract: Prometheus's own.
PROMETHEUS_SERIES = {"up", "ALERTS"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed: run `make prometheus-tools` (Debian's prometheus)"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=300, cwd=ROOT)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules(path: Path) -> list[tuple[str, dict]]:
    return [(g["name"], r) for g in load(path)["groups"] for r in g["rules"]]


def alerts() -> dict[str, dict]:
    return {r["alert"]: r for _, r in rules(ALERTS_FILE) if "alert" in r}


def records() -> set[str]:
    return {r["record"] for p in RULE_FILES for _, r in rules(p) if "record" in r}


def selectors(expr: str) -> list[tuple[str, str]]:
    """(metric, matchers) of every vector selector of a raw series in a PromQL expression."""
    names = CONTRACT_METRICS | PROMETHEUS_SERIES
    out = []
    for m in re.finditer(r"(?<![\w:$])([a-zA-Z_][a-zA-Z0-9_]*)(\{[^}]*\})?(?!\s*\()", expr):
        if m.group(1) in names:
            out.append((m.group(1), m.group(2) or ""))
    return out


def metric_names(expr: str) -> set[str]:
    """Identifiers in a PromQL expression that name openrouter series (strings removed)."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    return {t for t in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", code) if "openrouter" in t}


# --- promtool -----------------------------------------------------------------
def test_rule_files_exist() -> None:
    assert {p.name for p in RULE_FILES} == {"openrouter-alerts.yml", "openrouter-recording.yml"}
    assert UNIT_TESTS, "no promtool unit tests in prometheus/tests/"


def test_promtool_check_rules_with_lint() -> None:
    r = promtool("check", "rules", "--lint=all", "--lint-fatal", *map(str, RULE_FILES))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-docker.yml"])
def test_promtool_check_config(config: str) -> None:
    r = promtool("check", "config", str(PROM / config))
    assert r.returncode == 0, r.stdout + r.stderr
    cfg = load(PROM / config)
    assert [j["job_name"] for j in cfg["scrape_configs"]] == ["openrouter"]
    assert sorted(Path(f).name for f in cfg["rule_files"]) == sorted(p.name for p in RULE_FILES)


@pytest.mark.parametrize("test_file", UNIT_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests(test_file: Path) -> None:
    r = promtool("test", "rules", str(test_file))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout, r.stdout


def test_unit_tests_set_interval_explicitly() -> None:
    # Before Prometheus 2.49 a missing `interval:` is not evaluation_interval (notes).
    for path in UNIT_TESTS:
        for t in load(path)["tests"]:
            assert "interval" in t, f"{path.name}: test {t.get('name')!r} has no interval"


# --- alert conventions ----------------------------------------------------------
def test_required_alerts_exist() -> None:
    missing = REQUIRED_ALERTS - alerts().keys()
    assert not missing, f"missing alerts: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(REQUIRED_ALERTS))
def test_alert_has_severity_summary_description(name: str) -> None:
    rule = alerts()[name]
    assert rule.get("labels", {}).get("severity") in {"critical", "warning", "info"}, rule
    ann = rule.get("annotations", {})
    assert ann.get("summary", "").strip() and ann.get("description", "").strip(), ann


def test_no_topk_or_bottomk_in_alerts() -> None:
    offenders = [
        n
        for n, r in alerts().items()
        if re.search(r"\b(topk|bottomk|sort|sort_desc)\s*\(", r["expr"])
    ]
    assert not offenders, f"set-selecting functions flap in alerts: {offenders}"


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing, quiet = set(), set()
    for path in UNIT_TESTS:
        for t in load(path)["tests"]:
            for case in t.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    names = set(alerts())
    assert not names - firing, f"alerts without a firing case: {sorted(names - firing)}"
    assert not names - quiet, f"alerts without a not-firing case: {sorted(names - quiet)}"


def _quiet_cases(alertname: str) -> list[dict]:
    out = []
    for path in UNIT_TESTS:
        for t in load(path)["tests"]:
            if any(
                c["alertname"] == alertname and not c.get("exp_alerts")
                for c in t.get("alert_rule_test", [])
            ):
                out.append(t)
    return out


def _has_zero(t: dict, series_prefix: str) -> bool:
    return any(
        s["series"].startswith(series_prefix) and re.search(r"(^|\s)0(x\d+)?(\s|$)", s["values"])
        for s in t["input_series"]
    )


def test_left_top_n_has_outage_guard_cases() -> None:
    quiet = _quiet_cases("OpenRouterAppLeftTopN")
    assert any(_has_zero(t, "up{") for t in quiet), "no quiet case with the exporter down"
    assert any(_has_zero(t, "openrouter_exporter_view_up{") for t in quiet), (
        "no quiet case with view_up 0"
    )


def test_no_rule_selects_a_job_by_name() -> None:
    offenders = {
        r.get("alert") or r.get("record"): r["expr"]
        for p in RULE_FILES
        for _, r in rules(p)
        if re.search(r"\bjob\s*=~?\s*\"", r["expr"])
    }
    assert not offenders, offenders


def test_every_threshold_is_written_once_in_the_mixin_config() -> None:
    """Alerts built from a config with a unique sentinel per threshold: every sentinel
    reaches an alert, and no comparison uses a number the config did not give (0 and 1
    are booleans and counts)."""
    from dataclasses import replace

    from mixin.config import MixinConfig, Thresholds
    from mixin.rules import groups

    sentinels = Thresholds(
        data_max_age_seconds={"app-rankings": 7001, "rankings-daily": 7002, "session-cost": 7003},
        budget_used_ratio=0.7004,
        app_top_n=7005,
        app_rank_drop_positions=7006,
        model_top_n=7007,
        model_rank_change_positions=7008,
        watched_rank_change_positions=7009,
    )
    cfg = replace(MixinConfig(), thresholds=sentinels)
    exprs = [r["expr"] for g in groups(cfg) for r in g["rules"] if "alert" in r]
    text = "\n".join(exprs)
    wanted = {"7001", "7002", "7003", "0.7004", "7005", "7006", "7007", "7008", "7009"}
    assert {w for w in wanted if re.search(rf"(?<![\d.]){re.escape(w)}(?![\d.])", text)} == wanted
    used = set()
    for e in exprs:
        code = re.sub(r"\[[^\]]*\]|offset\s+\w+", "", e)
        used |= set(re.findall(r"(?:==|!=|>=|<=|>|<)\s*-?\s*(\d+(?:\.\d+)?)", code))
    assert used - {"0", "1"} <= wanted, used - wanted


def test_the_mixin_selector_reaches_every_raw_selector_of_every_rule() -> None:
    from dataclasses import replace

    from mixin.config import MixinConfig
    from mixin.rules import groups

    cfg = replace(MixinConfig(), selector='job="market-data"')
    missing = [
        (r.get("alert") or r.get("record"), metric)
        for g in groups(cfg)
        for r in g["rules"]
        for metric, matchers in selectors(r["expr"])
        if metric != "ALERTS" and 'job="market-data"' not in matchers
    ]
    assert not missing, missing


# --- recording rule conventions -------------------------------------------------
def test_recording_rules_use_level_metric_operations_naming() -> None:
    bad = [r for r in records() if not re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", r)]
    assert not bad, bad


def test_recording_file_has_the_promised_rules() -> None:
    names = {r["record"] for _, r in rules(RECORDING_FILE) if "record" in r}
    for needed in (
        "view_author:openrouter_model_share:sum",
        "model:openrouter_model_rank:change1d",
        "openrouter:app_rank:alerted",
    ):
        assert needed in names


def test_what_panels_compute_instead_of_a_recorded_app_series_is_what_promtool_tests() -> None:
    """The Apps panels compute Δ rank for the view they show, and pick app tokens from the
    newest answers (neither is recorded per app): those expressions must stay the ones
    recording-rules.test.yml checks (Δ matched on app_id with today's name, a second
    exporter without history hiding no move, 0 without history; the newest day wins)."""
    from mixin.config import MixinConfig
    from mixin.promql import APP_TOKENS, Q

    q = Q(MixinConfig(), variables=False)
    tested = (PROM / "tests" / "recording-rules.test.yml").read_text()
    for expr in (q.app_rank_change("1d"), q.app_rank_change("7d"), q.newest(APP_TOKENS)):
        assert textwrap.indent(expr, " " * 10) in tested, expr


def test_rules_use_only_contract_metrics_and_recorded_series() -> None:
    known = CONTRACT_METRICS | records()
    unknown = {}
    for path in RULE_FILES:
        for _, r in rules(path):
            extra = metric_names(r["expr"]) - known
            if extra:
                unknown[r.get("alert") or r.get("record")] = sorted(extra)
    assert not unknown, unknown


# --- readable by a person --------------------------------------------------------------
# What a user reads when they click Edit on a panel, or open an alert in Alertmanager: the
# heavy part lives once in the recording rules (issue 18's targets).
LONGEST = {"panel": 600, "alert": 600, "recording rule": 1000}


def test_every_expression_is_short_enough_to_read() -> None:
    import json

    exprs: dict[str, list[tuple[str, str]]] = {k: [] for k in LONGEST}
    for path in sorted((ROOT / "grafana" / "dashboards").glob("*.json")):
        stack = list(json.loads(path.read_text(encoding="utf-8"))["panels"])
        while stack:
            p = stack.pop()
            stack.extend(p.get("panels", []))
            for t in p.get("targets", []):
                exprs["panel"].append((f"{path.stem} › {p['title']} › {t['refId']}", t["expr"]))
    for path in RULE_FILES:
        for _, r in rules(path):
            kind = "alert" if "alert" in r else "recording rule"
            exprs[kind].append((r.get("alert") or r["record"], r["expr"]))
    too_long = [
        f"{kind} {where}: {len(e)} characters (at most {LONGEST[kind]})"
        for kind, found in exprs.items()
        for where, e in found
        if len(e) > LONGEST[kind]
    ]
    assert all(exprs.values()) and not too_long, "\n".join(too_long)


def test_every_notification_links_to_a_panel_that_shows_the_move() -> None:
    """The dashboard link of a market alert opens one existing panel (viewPanel) of an
    existing dashboard, with variables the dashboard has, set from the alert's labels."""
    import json
    from urllib.parse import parse_qsl, urlsplit

    boards = {}
    for path in (ROOT / "grafana" / "dashboards").glob("*.json"):
        d = json.loads(path.read_text())
        boards[d["uid"]] = d
    linked = 0
    for group in yaml.safe_load(ALERTS_FILE.read_text())["groups"]:
        for rule in group["rules"]:
            url = rule.get("annotations", {}).get("dashboard")
            if not url:
                continue
            linked += 1
            parts = urlsplit(url)
            board = boards[parts.path.removeprefix("/d/")]
            params = dict(parse_qsl(parts.query))
            panels = {p["id"]: p["title"] for p in board["panels"]}
            assert int(params.pop("viewPanel")) in panels, (rule["alert"], url)
            names = {v["name"] for v in board["templating"]["list"]}
            assert {k.removeprefix("var-") for k in params} <= names, (rule["alert"], url)
            assert all("$labels." in v or v.isdigit() for v in params.values()), url
    assert linked >= 7, linked
