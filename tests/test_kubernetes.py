"""deploy/kubernetes/: valid objects, one replica that never overlaps another, and exactly
the rules and dashboards the repository ships.

The core objects are validated offline against Kubernetes' own OpenAPI schemas
(kubernetes-validate bundles them); the Prometheus Operator's CRDs (ServiceMonitor,
PrometheusRule) are checked for what they must hold.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from exporter.configfile import parse_config

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30"
CORE = {"Secret", "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service"}


def objects() -> list[dict[str, Any]]:
    out = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            out += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return out


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [o for o in objects() if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    return found


@pytest.mark.parametrize(
    "obj",
    [o for o in objects() if o["kind"] in CORE],
    ids=lambda o: f"{o['kind']}/{o['metadata']['name']}",
)
def test_core_objects_are_valid_kubernetes(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_validator_catches_a_broken_object() -> None:
    broken = copy.deepcopy(one("Deployment"))
    broken["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    unknown = copy.deepcopy(one("Deployment"))
    unknown["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFilesystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(unknown, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret() -> None:
    # `kubectl apply -k` must never overwrite the real key with the placeholder.
    k = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.yaml"}
    assert set(k["resources"]) == files
    assert {o["metadata"]["namespace"] for o in objects()} == {k["namespace"]}


def test_one_replica_recreated_never_two_pods_on_one_request_log() -> None:
    d = one("Deployment")
    assert d["spec"]["replicas"] == 1
    # RollingUpdate would run the new pod beside the old one: two budgets on one account.
    assert d["spec"]["strategy"] == {"type": "Recreate"}
    pvc = one("PersistentVolumeClaim")
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    volumes = {v["name"]: v for v in d["spec"]["template"]["spec"]["volumes"]}
    assert volumes["state"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]


def test_security_context_is_the_one_the_readme_describes() -> None:
    pod = one("Deployment")["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert c["securityContext"] == {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    readme = (ROOT / "README.md").read_text()
    for text in ("runAsUser: 10001", "readOnlyRootFilesystem: true", "drop: [ALL]"):
        assert text in readme, text


def test_key_comes_from_the_secret_as_a_file_and_state_from_the_volume() -> None:
    pod = one("Deployment")["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    secret = one("Secret")
    assert volumes["api-key"]["secret"]["secretName"] == secret["metadata"]["name"]
    assert "env" not in c, "the key must not be an environment variable"
    cm = one("ConfigMap", "openrouter-exporter")
    cfg_text = cm["data"]["config.yaml"]
    cfg = parse_config(yaml.safe_load(cfg_text))
    (key_name,) = secret["stringData"]
    assert cfg.openrouter.api_key_file == f"{mounts['api-key']}/{key_name}"
    assert cfg.state_dir == mounts["state"]
    assert f"--config.file={mounts['config']}/config.yaml" in c["args"]
    assert volumes["config"]["configMap"]["name"] == cm["metadata"]["name"]
    # Placeholder only: never a key-shaped value in the repository.
    assert not secret["stringData"][key_name].startswith("sk-")


def test_service_monitor_scrapes_the_service() -> None:
    svc, sm = one("Service"), one("ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    ports = {p["name"] for p in svc["spec"]["ports"]}
    assert {e["port"] for e in sm["spec"]["endpoints"]} <= ports
    deploy = one("Deployment")
    assert svc["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]


def test_prometheus_rule_holds_exactly_the_shipped_rule_groups() -> None:
    rule = one("PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    shipped = [
        g
        for path in sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
        for g in yaml.safe_load(path.read_text())["groups"]
    ]
    assert sorted(rule["spec"]["groups"], key=lambda g: g["name"]) == sorted(
        shipped, key=lambda g: g["name"]
    )


def test_one_dashboard_config_map_per_shipped_dashboard() -> None:
    maps = [
        o
        for o in objects()
        if o["kind"] == "ConfigMap" and o["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    shipped = {p.name: p.read_text() for p in (ROOT / "grafana" / "dashboards").glob("*.json")}
    got = {name: text for m in maps for name, text in m["data"].items()}
    assert len(maps) == len(shipped)
    assert got == shipped  # byte for byte
    for m in maps:
        (text,) = m["data"].values()
        assert m["metadata"]["name"].endswith(json.loads(text)["uid"])
