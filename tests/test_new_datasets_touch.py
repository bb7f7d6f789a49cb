"""What adding a dataset touched (issue 19): its package, one registry line, its simulator
endpoint and its panels in the mixin, and nothing else of the code.

A CI clone has no branch to diff against, so this is checked structurally: every file of
the code (``exporter/``, ``mixin/``, ``soak/``, ``bench/``, ``testsupport/``, ``tools/``, the
build files) that names a dataset added as a package — its endpoint name, its package name, its
``Dataset`` class or its row type — is in the dataset's homes or in the short list below,
each with the reason it cannot be elsewhere. Tests, docs and generated output
(``grafana/``, ``prometheus/``, ``deploy/``: written by the mixin) are not code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.datasets import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CODE = ("exporter", "mixin", "soak", "bench", "testsupport", "tools")
BUILD_FILES = ("pyproject.toml", "Makefile", "Dockerfile")

# The datasets added as one package each, and the places outside the package that name them.
ADDED = ("task_classifications", "benchmarks")
OUTSIDE = {
    "exporter/datasets/__init__.py": "the registry line (and its import), and its section's "
    "place in the config file (CONFIG_ORDER)",
    "pyproject.toml": "the import contract that keeps each dataset package independent",
}


def homes(package: str) -> tuple[str, ...]:
    return (f"exporter/datasets/{package}/", "exporter/simulator/", "mixin/")


def names(package: str) -> set[str]:
    d = next(d for d in REGISTRY.values() if type(d).__module__.split(".")[2] == package)
    return {d.name, package, type(d).__name__, d.row_type.__name__}


def code_files() -> list[Path]:
    files = [p for top in CODE for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts]
    return files + [ROOT / f for f in BUILD_FILES if (ROOT / f).exists()]


def touched(package: str) -> dict[str, list[str]]:
    """Files of the code that name the dataset, with the names found."""
    wanted = names(package)
    out = {}
    for path in code_files():
        text = path.read_text(encoding="utf-8")
        found = sorted(n for n in wanted if n in text)
        if found:
            out[path.relative_to(ROOT).as_posix()] = found
    return out


@pytest.mark.parametrize("package", ADDED)
def test_an_added_dataset_touched_its_package_registry_simulator_and_mixin(package: str) -> None:
    files = touched(package)
    outside = sorted(f for f in files if not f.startswith(homes(package)))
    assert outside == sorted(OUTSIDE), outside
    # Each home was touched: the package, its endpoint in the simulator, its panels.
    for home in homes(package):
        assert any(f.startswith(home) for f in files), f"{package}: nothing in {home}"


@pytest.mark.parametrize("package", ADDED)
def test_the_registry_names_it_on_one_line(package: str) -> None:
    text = (ROOT / "exporter/datasets/__init__.py").read_text(encoding="utf-8")
    cls = type(next(d for d in REGISTRY.values() if type(d).__module__.split(".")[2] == package))
    lines = [line.strip() for line in text.splitlines() if cls.__name__ in line]
    name = cls.__name__
    assert lines == [f"from exporter.datasets.{package} import {name}", f"{name}(),"]
