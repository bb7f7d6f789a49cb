"""A dataset lives in its package: no module of exporter/ outside ``exporter/datasets/<name>/``
names the dataset (its endpoint name, e.g. ``"app-rankings"``), its ``Dataset`` class, its
row type, the classes of its config section (``AppsConfig``, ``AppView``…), or imports its
package. Config loading, the planner, scheduler, store, exposition, self-metrics, the status
page and check-config iterate ``exporter.datasets.REGISTRY``.

Docstrings and comments may mention a dataset (they explain, they do not decide)."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

from exporter.datasets import REGISTRY, Dataset
from exporter.schema import ListOf, Section, settings_of

PACKAGE = Path(__file__).resolve().parent.parent / "exporter"

# Where naming a dataset is the point.
HOMES = {
    "datasets/__init__.py": "the registry: one line per dataset",
    "simulator/": "the other side of the wire: it serves the API's endpoints by name",
}
# Text for people that names a dataset to explain something outside it.
TEXTS = {
    "cli.py": ("serve this recorded rankings-daily history",),  # --replay: the simulator's
}
# Not moved into the dataset packages yet (issue 19): each entry is work left, not a licence.
NOT_YET: dict[str, str] = {}


def section_classes(cls: type) -> set[str]:
    """A section's class and those of the sections inside it (``models.views[]``)."""
    names = {cls.__name__}
    for _key, _name, s in settings_of(cls):
        kind = s.kind.item if isinstance(s.kind, ListOf) else s.kind
        if isinstance(kind, Section):
            names |= section_classes(kind.cls)
    return names


def config_classes(d: Dataset) -> set[str]:
    """The classes of the dataset's config section, and every class its module defines (what
    the section expands to: ``AppView``)."""
    module = sys.modules[d.config_section.cls.__module__]
    defined = {
        name
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and obj.__module__ == module.__name__
    }
    return section_classes(d.config_section.cls) | defined


def dataset_names() -> dict[str, tuple[str, set[str]]]:
    """package folder -> (endpoint name, identifiers that name the dataset)."""
    out = {}
    for d in REGISTRY.values():
        package = type(d).__module__.split(".")[2]
        out[package] = (d.name, {type(d).__name__, d.row_type.__name__, *config_classes(d)})
    return out


def docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def namings(
    tree: ast.Module, name: str, idents: set[str], package: str, texts: tuple[str, ...] = ()
) -> list[str]:
    skip = docstrings(tree)
    found = []
    module = f"exporter.datasets.{package}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if name in node.value and not node.value.startswith(texts):
                found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.Name) and node.id in idents:
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in idents:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == module or node.module.startswith(module + "."):
                found.append(f"line {node.lineno}: from {node.module} import")
            elif node.module == "exporter.datasets" and any(a.name == package for a in node.names):
                found.append(f"line {node.lineno}: from exporter.datasets import {package}")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {a.name}" for a in node.names if a.name == module
            ]
    return found


def exempt(rel: str, table: dict[str, str]) -> bool:
    return any(rel == k or (k.endswith("/") and rel.startswith(k)) for k in table)


def offenders() -> dict[str, list[str]]:
    names = dataset_names()
    out: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if exempt(rel, HOMES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for package, (name, idents) in names.items():
            if rel.startswith(f"datasets/{package}/"):
                continue
            hits = namings(tree, name, idents, package, TEXTS.get(rel, ()))
            if hits:
                out.setdefault(rel, []).extend(f"{package}: {h}" for h in hits)
    return out


def test_the_check_sees_a_dataset_named_outside_its_package():
    tree = ast.parse(
        'from exporter.datasets.apps import AppRow\nx = "app-rankings"\ny = m.ModelDayRow\n'
    )
    assert namings(tree, "app-rankings", {"AppRow"}, "apps") == [
        "line 1: from exporter.datasets.apps import",
        "line 2: 'app-rankings'",
    ]
    assert namings(tree, "rankings-daily", {"ModelDayRow"}, "models") == ["line 3: .ModelDayRow"]


def test_no_module_outside_a_dataset_package_names_the_dataset():
    found = {rel: hits for rel, hits in offenders().items() if not exempt(rel, NOT_YET)}
    assert not found, "\n".join(f"{rel}: {', '.join(hits)}" for rel, hits in found.items())


def test_the_list_of_modules_not_moved_yet_only_shrinks():
    """An entry whose module no longer names a dataset is removed from NOT_YET."""
    found = offenders()
    stale = [k for k in NOT_YET if not any(exempt(rel, {k: ""}) for rel in found)]
    assert not stale, f"NOT_YET entries that name no dataset any more: {stale}"


def test_a_dataset_s_config_classes_are_among_the_names_checked():
    names = dataset_names()
    assert {"AppsConfig", "AppView"} <= names["apps"][1]
    assert {"ModelsConfig", "ModelView"} <= names["models"][1]
    for package, (_name, idents) in names.items():
        d = next(d for d in REGISTRY.values() if type(d).__module__.split(".")[2] == package)
        assert d.config_section.cls.__module__ == f"exporter.datasets.{package}.config"
        assert d.config_section.cls.__name__ in idents
