"""exporter/ reaches into no private attribute of the standard library (or any other
library): the next Python release could change one silently. A private name (``_x``, not
``__x__``) may only be read where exporter/ itself defines it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "exporter"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_names(trees: list[ast.Module]) -> set[str]:
    """Private names our own code defines: ``x._a = ...`` (plain or annotated assignment,
    not ``+=``, which changes what is already there), and class attributes and methods."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Attribute) and _private(sub.attr):
                            names.add(sub.attr)
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        names.add(item.name)
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        names.add(item.target.id)
                    elif isinstance(item, ast.Assign):
                        names.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return {n for n in names if _private(n)}


def foreign_private_uses(trees: dict[str, ast.Module]) -> list[str]:
    ours = defined_names(list(trees.values()))
    found = []
    for path, tree in trees.items():
        modules = {  # names bound to imported modules in this file
            (alias.asname or alias.name).split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("exporter"):
                found += [
                    f"{path}:{node.lineno}: from {node.module} import {a.name}"
                    for a in node.names
                    if _private(a.name)
                ]
            if not isinstance(node, ast.Attribute) or not _private(node.attr):
                continue
            on_module = isinstance(node.value, ast.Name) and node.value.id in modules
            if on_module or node.attr not in ours:
                found.append(f"{path}:{node.lineno}: .{node.attr}")
    return found


def test_exporter_uses_no_foreign_private_attribute():
    trees = {
        str(p.relative_to(PACKAGE.parent)): ast.parse(p.read_text(encoding="utf-8"))
        for p in sorted(PACKAGE.rglob("*.py"))
    }
    assert foreign_private_uses(trees) == []


def test_the_check_finds_what_the_old_server_did():
    """The HTTP layer before issue 12 did all of these; each must be caught."""
    old = ast.parse(
        "import socket\n"
        "from http.server import _quote_html\n"
        "class _DeadlineIO(socket.SocketIO):\n"
        "    def readinto(self, b):\n"
        "        self._sock.settimeout(1)\n"
        "class Handler:\n"
        "    def setup(self):\n"
        "        self._io = _DeadlineIO(self.connection, 'rb')\n"
        "        self.connection._io_refs += 1\n"
        "        return self._io, socket._GLOBAL_DEFAULT_TIMEOUT\n"
    )
    found = foreign_private_uses({"old.py": old})
    assert sorted(f.split(": ", 1)[1] for f in found) == [
        "._GLOBAL_DEFAULT_TIMEOUT",
        "._io_refs",
        "._sock",
        "from http.server import _quote_html",
    ]
