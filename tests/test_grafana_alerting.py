"""Grafana-managed alerting (grafana/provisioning/alerting/openrouter.yaml): the alerts of
prometheus/rules/ and nothing else, a valid provisioning file, and every query it runs
evaluated on a real Prometheus with our rules.

No Grafana server is installable here (reference notes), so Grafana's side is checked
against its file format and template rules; the PromQL is checked where it runs.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from conftest import Proc, free_port, require_tool, wait_for, wait_until
from promserver import PromServer, running_prometheus

from mixin.__main__ import outputs
from mixin.alerttext import fact
from mixin.config import MixinConfig
from mixin.grafana_alerting import EVALUATION_INTERVAL, UID_LENGTH, seconds
from mixin.grafana_text import UNAVAILABLE, Translator, every_entry

ROOT = Path(__file__).resolve().parent.parent
GRAFANA_FILE = ROOT / "grafana" / "provisioning" / "alerting" / "openrouter.yaml"
PROMETHEUS_FILE = ROOT / "prometheus" / "rules" / "openrouter-alerts.yml"
RULE_FILES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
OVERLAY = ROOT / "deploy" / "kubernetes-grafana-alerting"
CFG = MixinConfig()
# The compose service, by name: test_habits takes a literal list of it for a start.
PROMETHEUS = "prometheus"
# Figures over the past: no data on a Prometheus that started a minute ago.
PAST = re.compile(r"ago1d|offset")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def grafana_groups() -> list[dict[str, Any]]:
    return load(GRAFANA_FILE)["groups"]


def grafana_rules() -> list[dict[str, Any]]:
    return [r for g in grafana_groups() for r in g["rules"]]


def prometheus_queries(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for q in rule["data"] if q["datasourceUid"] == CFG.grafana_datasource_uid]


# --- the same alerts ----------------------------------------------------------------


def test_the_committed_files_are_what_the_mixin_generates() -> None:
    mine = {
        k: v
        for k, v in outputs(CFG).items()
        if k.startswith(("grafana/provisioning/alerting/", "deploy/kubernetes-grafana-alerting/"))
    }
    assert len(mine) == 3, sorted(mine)
    stale = [k for k, v in mine.items() if (ROOT / k).read_text(encoding="utf-8") != v]
    assert not stale, f"run `make generate`: {stale}"


def test_every_prometheus_alert_has_its_grafana_twin() -> None:
    """Same groups, alerts, expressions, `for` and labels, in the same order: a Prometheus
    alert without a Grafana rule (or the reverse) fails here."""
    default = load(ROOT / "prometheus" / "prometheus.yml")["global"]["evaluation_interval"]
    assert seconds(default) == seconds(EVALUATION_INTERVAL)
    prom_groups = load(PROMETHEUS_FILE)["groups"]
    assert [g["name"] for g in grafana_groups()] == [g["name"] for g in prom_groups]
    for pg, gg in zip(prom_groups, grafana_groups(), strict=True):
        assert seconds(gg["interval"]) == seconds(pg.get("interval", default)), pg["name"]
        assert [r["title"] for r in gg["rules"]] == [a["alert"] for a in pg["rules"]]
        for alert, rule in zip(pg["rules"], gg["rules"], strict=True):
            (query,) = [q for q in rule["data"] if q["refId"] == "A"]
            assert query["model"]["expr"] == alert["expr"], alert["alert"]
            assert seconds(rule["for"]) == seconds(alert.get("for", "0s")), alert["alert"]
            labels = {k: v.replace("$$", "$") for k, v in rule["labels"].items()}
            assert labels == {
                k: v.replace("$value", "$values.B.Value") for k, v in alert["labels"].items()
            }
            assert rule["annotations"].keys() == alert["annotations"].keys()


def test_texts_without_prometheus_only_parts_are_the_same() -> None:
    prometheus = {a["alert"]: a for g in load(PROMETHEUS_FILE)["groups"] for a in g["rules"]}
    same = 0
    for rule in grafana_rules():
        for key, text in prometheus[rule["title"]]["annotations"].items():
            if "$value" not in text and "query" not in text:
                assert rule["annotations"][key] == text, (rule["title"], key)
                same += 1
    assert same >= 10  # the health alerts' texts are plain label templates


# --- a valid provisioning file --------------------------------------------------------


def test_the_file_is_grafana_rule_provisioning() -> None:
    doc = load(GRAFANA_FILE)
    assert doc["apiVersion"] == 1
    uids = [r["uid"] for r in grafana_rules()]
    assert len(uids) == len(set(uids)), "uids must be unique"
    for g in doc["groups"]:
        assert g["orgId"] == 1 and g["name"] and g["folder"] == "OpenRouter"
        assert seconds(g["interval"]) % 10 == 0  # Grafana's scheduler ticks every 10s
        for rule in g["rules"]:
            check_rule(rule)


def check_rule(rule: dict[str, Any]) -> None:
    name = rule["title"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", rule["uid"]) and len(rule["uid"]) <= UID_LENGTH
    assert name and rule["noDataState"] == "OK" and rule["execErrState"] == "Error", name
    assert rule["isPaused"] is False
    seconds(rule["for"])
    refs = [q["refId"] for q in rule["data"]]
    assert len(refs) == len(set(refs)) and rule["condition"] in refs, name
    for q in rule["data"]:
        assert q["datasourceUid"] and q["model"]["refId"] == q["refId"], name
        assert q["model"]["datasource"]["uid"] == q["datasourceUid"], name
        if q["datasourceUid"] == "__expr__":
            used = re.findall(r"\$(\w+)", q["model"]["expression"]) or [q["model"]["expression"]]
            assert set(used) <= set(refs) - {q["refId"]}, (name, q["refId"])
        else:
            assert q["datasourceUid"] == CFG.grafana_datasource_uid, name
            assert q["relativeTimeRange"]["from"] > 0 and q["relativeTimeRange"]["to"] == 0
            assert q["model"]["instant"] is True and q["model"]["expr"].strip(), name


def test_the_rules_query_the_provisioned_data_source() -> None:
    sources = [
        d
        for f in sorted((ROOT / "grafana" / "provisioning" / "datasources").glob("*.yml"))
        for d in load(f)["datasources"]
        if d["type"] == "prometheus"
    ]
    assert [d["uid"] for d in sources] == [CFG.grafana_datasource_uid]


def test_templates_are_grafana_templates() -> None:
    """Grafana's `$value` is not the alert's value and its `query` returns nothing; labels
    are expanded like environment variables (`$$` for a `$`)."""
    for rule in grafana_rules():
        reduced = {q["refId"] for q in rule["data"] if q["model"].get("type") == "reduce"}
        for key, text in rule["annotations"].items():
            assert not re.search(r"\$value\b", text), (rule["title"], key)
            actions = re.findall(r"\{\{.*?\}\}", text)
            assert text.count("{{") == text.count("}}") == len(actions), (rule["title"], key)
            assert not [a for a in actions if re.search(r"\bquery\b", a)], (rule["title"], key)
            assert set(re.findall(r"\$values\.(\w+)", text)) <= reduced, (rule["title"], key)
        for key, value in rule["labels"].items():
            assert not re.search(r"(?<!\$)\$(\$\$)*(?!\$)", value), (rule["title"], key)


def test_a_figure_becomes_a_query_for_every_entry() -> None:
    """alerttext.fact's figure: one query for every entry, grouped by the labels the
    alert fills in, read back from $values; one it cannot split reads n/a."""
    rank = fact("max(x:rank{window=%q, app_id=%q})", ("window", "app_id"), 'printf "#%.0f"', "-")
    share = fact("max(a{id=%q}) / max(b{view=%q})", ("id", "view"), "humanize")
    t = Translator("Example")
    text = t.text(f"from {rank} ({{{{ $value }}}}), {share}, as of {fact('min(y)', (), 'x')}")
    (first, last) = t.figures.values()
    assert first.expr == "max by (window, app_id) (\n  max by (window, app_id) (x:rank)\n)\n" + (
        "or on () vector(NaN)"
    )
    assert last.expr.startswith("max by () (\n  min(y)\n)")
    assert text.startswith("from {{ with $values.V1 }}{{ if eq .Value .Value }}")
    assert "({{ $values.B.Value }})" in text
    assert f", {UNAVAILABLE}, as of {{{{ with $values.V2 }}" in text
    assert every_entry("rate(c{id=%q}[5m])", ("id",)) == (
        "max by (id) (\n  rate(c[5m])\n)\nor on () vector(NaN)"
    )
    assert every_entry("c{other=%q}", ("id",)) is None
    with pytest.raises(ValueError, match="Example"):
        Translator("Example").text('{{ "up" | query }}')


# --- choosing Grafana alerting: compose and Kubernetes ------------------------------------


def compose(name: str) -> dict[str, Any]:
    return load(ROOT / name)["services"]


def test_compose_alerts_with_grafana_only_when_asked() -> None:
    base, extra = compose("docker-compose.yml"), compose("docker-compose.grafana-alerting.yml")
    mounts = [v.split(":")[1] for v in base["grafana"]["volumes"]]
    assert "/etc/grafana/provisioning/alerting" not in mounts
    assert not any(m in {"/etc/grafana/provisioning", "/etc/grafana"} for m in mounts)
    assert extra["grafana"]["volumes"] == [
        "./grafana/provisioning/alerting:/etc/grafana/provisioning/alerting:ro"
    ]
    # The override replaces Prometheus's command: only the configuration differs.
    flag = re.compile(r"^--config\.file=/etc/prometheus/")
    assert [a for a in extra[PROMETHEUS]["command"] if not flag.match(a)] == [
        a for a in base[PROMETHEUS]["command"] if not flag.match(a)
    ]
    (config,) = [a for a in extra[PROMETHEUS]["command"] if flag.match(a)]
    recording_only = ROOT / "prometheus" / Path(config.split("=", 1)[1]).name
    cfg, docker = load(recording_only), load(ROOT / "prometheus" / "prometheus-docker.yml")
    assert "alerting" not in cfg, "Prometheus must not notify too"
    assert cfg["rule_files"] == ["rules/openrouter-recording.yml"]
    assert cfg["scrape_configs"] == docker["scrape_configs"] and cfg["global"] == docker["global"]
    r = subprocess.run(
        [require_tool("promtool"), "check", "config", str(recording_only)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def apply_json_patch(doc: dict[str, Any], ops: list[dict[str, Any]]) -> None:
    """The two operations the overlay uses (test, remove), on list indices."""
    for op in ops:
        *parents, last = op["path"].strip("/").split("/")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        key: Any = int(last) if isinstance(node, list) else last
        if op["op"] == "test":
            assert node[key] == op["value"], op
        else:
            del node[key]


def test_the_kubernetes_overlay_swaps_prometheus_alerts_for_grafanas() -> None:
    k = load(OVERLAY / "kustomization.yaml")
    assert k["resources"] == ["../kubernetes", "grafana-alerting.yaml"]
    (patch,) = k["patches"]
    rule = next(
        d
        for d in yaml.safe_load_all((ROOT / "deploy/kubernetes/prometheus-rule.yaml").read_text())
        if d
    )
    apply_json_patch(rule, yaml.safe_load(patch["patch"]))
    recording = load(ROOT / "prometheus" / "rules" / "openrouter-recording.yml")["groups"]
    assert rule["spec"]["groups"] == recording
    cm = load(OVERLAY / "grafana-alerting.yaml")
    kubernetes_validate.validate(cm, "1.30", strict=True)
    assert cm["metadata"]["labels"]["grafana_alert"] == "1"
    assert cm["data"] == {"openrouter.yaml": GRAFANA_FILE.read_text(encoding="utf-8")}


# --- every query on a real Prometheus ---------------------------------------------------


@pytest.fixture(scope="module")
def prometheus() -> Iterator[PromServer]:
    """One demo exporter, one Prometheus with the shipped rules, every rule evaluated."""
    tmp = Path(tempfile.mkdtemp(prefix="openrouter-grafana-alerting-"))
    env = {**os.environ, "TMPDIR": str(tmp)}
    env.pop("OPENROUTER_API_KEY", None)
    addr = f"127.0.0.1:{free_port()}"
    exporter = Proc(["demo", f"--web.listen-address={addr}"], env, tmp / "exporter.log")
    try:
        wait_for(f"http://{addr}/readyz", lambda r: r.text == "ready\n", timeout=240)
        with running_prometheus(tmp, scrape={"market-data": [addr]}, rule_files=RULE_FILES) as p:
            wait_until(lambda: p.targets_up() == 1, "the exporter scraped", 60)
            time.sleep(3)  # a few scrapes: rates and increases need two samples
            scraped = time.time()
            wait_until(
                lambda: p.rules_evaluated(since=scraped),
                "every rule group evaluated over the scraped data",
                90,
            )
            yield p
    finally:
        exporter.stop()


@pytest.mark.e2e
def test_every_query_evaluates_and_every_present_figure_has_data(prometheus: PromServer) -> None:
    errors, empty, evaluated = [], [], 0
    for rule in grafana_rules():
        for q in prometheus_queries(rule):
            try:
                result = prometheus.query(q["model"]["expr"])
            except ValueError as e:
                errors.append(f"{rule['title']} {q['refId']}: {e}")
                continue
            evaluated += 1
            figure = q["refId"] != "A"
            has_data = any(math.isfinite(float(s["value"][1])) for s in result)
            if figure and not PAST.search(q["model"]["expr"]) and not has_data:
                empty.append(f"{rule['title']} {q['refId']}: {q['model']['expr']}")
    assert not errors, "\n".join(errors)
    assert not empty, "figures without data:\n" + "\n".join(empty)
    assert evaluated > len(grafana_rules())  # the alerts and their figures
