"""Grafana provisioning and docker-compose.yml: parse, and point at files that exist.

Docker cannot run here, so the stack is checked statically: every bind mount's source
exists, the containers' paths line up (provisioning → dashboards, Prometheus → config →
rules, Grafana datasource → Prometheus service), and the build has its Dockerfile.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml
from conftest import Proc, free_port, require_tool, wait_for

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


def published(svc: dict) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of every published port."""
    out = []
    for p in svc.get("ports", []):
        parts = str(p).split(":")
        out.append(("0.0.0.0", *parts) if len(parts) == 2 else tuple(parts))
    return out


def test_compose_has_the_four_services() -> None:
    c = compose()
    assert {"exporter", "prometheus", "alertmanager", "grafana"} <= set(c["services"])
    named = {
        v.split(":")[0]
        for s in c["services"].values()
        for v in s.get("volumes", [])
        if not v.startswith(".")
    }
    assert named <= set(c.get("volumes") or {}), "named volumes must be declared"


@pytest.mark.parametrize("name", ["exporter", "prometheus", "alertmanager", "grafana"])
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
    assert any(container == "10110" for _, _, container in published(svc))
    # demo and run both read the config baked into the image (and mounted over it).
    config = flag(svc, "config.file")
    dockerfile_text = (ROOT / "Dockerfile").read_text()
    assert f"COPY config.example.yaml {config}" in dockerfile_text
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


def test_grafana_is_11_or_later() -> None:
    image = service("grafana")["image"]
    m = re.search(r":(\d+)\.(\d+)", image)
    assert m and (int(m.group(1)), int(m.group(2))) >= (11, 6), image


def test_prometheus_sends_alerts_to_the_alertmanager_service() -> None:
    svc = service("prometheus")
    cfg = yaml.safe_load(host_path(svc, flag(svc, "config.file")).read_text())
    targets = [
        t
        for am in cfg["alerting"]["alertmanagers"]
        for sc in am["static_configs"]
        for t in sc["targets"]
    ]
    (am_port,) = [container for _, _, container in published(service("alertmanager"))]
    assert targets == [f"alertmanager:{am_port}"]
    am = service("alertmanager")
    am_config = host_path(am, flag(am, "config.file"))
    assert am_config and am_config.exists()
    routes = yaml.safe_load(am_config.read_text())
    assert routes["route"]["receiver"] in {r["name"] for r in routes["receivers"]}


def test_no_port_is_published_on_every_interface() -> None:
    # Prometheus's lifecycle API (POST /-/quit) and Alertmanager's silences must not be
    # reachable from other hosts.
    for name, svc in compose()["services"].items():
        for host, _, _ in published(svc):
            assert host == "127.0.0.1", (name, host)


def test_compose_states_its_minimum_version() -> None:
    text = COMPOSE.read_text()
    if re.search(r"^name:", text, re.M):
        assert "Docker Compose v2" in text


def test_dashboard_provider_points_at_the_mounted_dashboards() -> None:
    svc = service("grafana")
    for kind in ("datasources", "dashboards"):
        local = host_path(svc, f"/etc/grafana/provisioning/{kind}")
        assert local == (PROVISIONING / kind).resolve(), local
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
    prom_port = next(container for _, _, container in published(service("prometheus")))
    sources = [d for f in files for d in yaml.safe_load(f.read_text())["datasources"]]
    prom = [d for d in sources if d["type"] == "prometheus"]
    assert len(prom) == 1
    assert prom[0]["url"] == f"http://prometheus:{prom_port}"


def test_alertmanager_config_passes_amtool() -> None:
    amtool = require_tool("amtool")
    am = service("alertmanager")
    config = host_path(am, flag(am, "config.file"))
    r = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_compose_exporter_command_fills_every_view_quickly(tmp_path) -> None:
    """The compose service's own command (demo with the image's config): every view has
    data within a minute, because the demo's budget is its own whatever the config."""
    args = [a for a in service("exporter")["command"] if not a.startswith("--web.")]
    args = [a.replace("${OPENROUTER_EXPORTER_MODE:-demo}", "demo") for a in args]
    args = [
        a.replace("/etc/openrouter-exporter/config.yaml", str(ROOT / "config.example.yaml"))
        for a in args
    ]
    addr = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if k != "OPENROUTER_API_KEY"}
    env["TMPDIR"] = str(tmp_path)
    proc = Proc([*args, f"--web.listen-address={addr}"], env, tmp_path / "demo.log")
    try:
        wait_for(f"http://{addr}/readyz", lambda r: r.text == "ready\n", timeout=60)
    finally:
        assert proc.stop() == 0, proc.output()
