"""The developers' guide's size limits for exporter/: small modules, classes and functions.

No module over 400 lines, no class over 150, no function over 60. Pure data tables are
exempt, each with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "exporter"
MAX_MODULE, MAX_CLASS, MAX_FUNCTION = 400, 150, 60

# Modules that are data tables, not logic.
EXEMPT = {
    "simulator/catalog.py": "the simulated market's apps and models: a data table",
}


def modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if "__pycache__" not in p.parts and p.relative_to(PACKAGE).as_posix() not in EXEMPT
    )


def too_long(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE:
        problems.append(f"module has {lines} lines (at most {MAX_MODULE})")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            limit, kind = MAX_CLASS, "class"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            limit, kind = MAX_FUNCTION, "function"
        else:
            continue
        assert node.end_lineno is not None
        # From the first decorator: a decorator is part of what a reader has to take in.
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        size = node.end_lineno - first + 1
        if size > limit:
            problems.append(f"{kind} {node.name} (line {first}) has {size} lines (at most {limit})")
    return problems


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_class_and_function_sizes(path: Path) -> None:
    name = path.relative_to(PACKAGE).as_posix()
    problems = too_long(path)
    assert not problems, f"exporter/{name}: " + "; ".join(problems)


def test_every_exemption_is_a_module_that_exists() -> None:
    assert all((PACKAGE / name).is_file() for name in EXEMPT)


def test_the_limits_are_checked_at_all(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "big.py").write_text(f"def f():\n{body}\n")
    assert too_long(tmp_path / "big.py") == ["function f (line 1) has 62 lines (at most 60)"]
