"""Grafana provisioning and docker-compose.yml: parse, and point at files that exist.

Docker cannot run here, so the stack is checked statically: every bind mount's source
exists, the containers' paths line up (provisioning → dashboards, Prometheus → config →
rules, Grafana datasource → Prometheus service), and the build has its Dockerfile.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
PROVISIONING = ROOT / "grafana" / "provisioning"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def service(name: str) -> dict:
    return compose()["services"][name]


def bind_mounts(svc: dict) -> dict[str, Path]:
    """container path → host path for ./relative bind mounts."""
    out = {}
    for v in svc.get("volumes", []):
        source, target = v.split(":")[:2]
        if source.startswith("."):
            out[target] = (ROOT / source).resolve()
    return out


def host_path(svc: dict, container_path: str) -> Path | None:
    """Where a container path comes from on the host, through the bind mounts."""
    p = PurePosixPath(container_path)
    for target, source in bind_mounts(svc).items():
        t = PurePosixPath(target)
        if p == t or t in p.parents:
            return source.joinpath(*p.relative_to(t).parts)
    return None


def flag(svc: dict, name: str) -> str:
    (value,) = [a.split("=", 1)[1] for a in svc["command"] if a.startswith(f"--{name}=")]
    return value


def test_compose_has_the_three_services() -> None:
    c = compose()
    assert {"exporter", "prometheus", "grafana"} <= set(c["services"])
    named = {
        v.split(":")[0]
        for s in c["services"].values()
        for v in s.get("volumes", [])
        if not v.startswith(".")
    }
    assert named <= set(c.get("volumes") or {}), "named volumes must be declared"


@pytest.mark.parametrize("name", ["exporter", "prometheus", "grafana"])
def test_every_bind_mount_source_exists(name: str) -> None:
    for target, source in bind_mounts(service(name)).items():
        assert source.exists(), f"{name}: {source} (mounted at {target}) does not exist"
        assert ROOT in source.parents or source == ROOT, f"{source} is outside the repo"


def test_exporter_is_built_from_the_repo_dockerfile() -> None:
    svc = service("exporter")
    build = svc["build"]
    context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = context / (
        build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
    )
    assert dockerfile.exists(), f"{dockerfile} does not exist"
    listen = flag(svc, "web.listen-address")
    assert listen.endswith(":10110")
    assert any(str(p).startswith("10110:") for p in svc.get("ports", []))
    # The budget's request log must survive a container restart.
    assert any(v.split(":")[1] == svc["working_dir"] for v in svc["volumes"]), (
        "the state directory (working_dir) is not on a volume"
    )


def test_prometheus_loads_the_shipped_config_and_scrapes_the_exporter() -> None:
    svc = service("prometheus")
    config = host_path(svc, flag(svc, "config.file"))
    assert config and config.exists(), config
    cfg = yaml.safe_load(config.read_text())
    for rule_file in cfg["rule_files"]:
        container = PurePosixPath(flag(svc, "config.file")).parent / rule_file
        local = host_path(svc, str(container))
        assert local and local.exists(), f"rule file {rule_file} is not mounted"
    (job,) = cfg["scrape_configs"]
    assert job["job_name"] == "openrouter"
    targets = [t for sc in job["static_configs"] for t in sc["targets"]]
    assert targets == ["exporter:10110"], targets


def test_grafana_is_10_4_or_later() -> None:
    image = service("grafana")["image"]
    m = re.search(r":(\d+)\.(\d+)", image)
    assert m and (int(m.group(1)), int(m.group(2))) >= (10, 4), image


def test_dashboard_provider_points_at_the_mounted_dashboards() -> None:
    svc = service("grafana")
    assert host_path(svc, "/etc/grafana/provisioning") == PROVISIONING.resolve()
    files = sorted((PROVISIONING / "dashboards").glob("*.yml"))
    assert files, "no dashboard provider"
    for f in files:
        doc = yaml.safe_load(f.read_text())
        assert doc["apiVersion"] == 1
        for provider in doc["providers"]:
            assert provider["type"] == "file"
            local = host_path(svc, provider["options"]["path"])
            assert local == (ROOT / "grafana" / "dashboards").resolve(), local
            assert sorted(local.glob("*.json")), "provider directory has no dashboards"


def test_home_dashboard_exists() -> None:
    svc = service("grafana")
    home = svc["environment"].get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    assert home and host_path(svc, home).exists()


def test_datasource_provisioning_targets_the_prometheus_service() -> None:
    files = sorted((PROVISIONING / "datasources").glob("*.yml"))
    assert files, "no datasource provisioning"
    prom_port = next(p.split(":")[1] for p in service("prometheus")["ports"])
    sources = [d for f in files for d in yaml.safe_load(f.read_text())["datasources"]]
    prom = [d for d in sources if d["type"] == "prometheus"]
    assert len(prom) == 1
    assert prom[0]["url"] == f"http://prometheus:{prom_port}"
