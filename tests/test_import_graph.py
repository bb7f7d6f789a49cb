"""exporter/'s import graph has no cycle, imports under ``TYPE_CHECKING`` and inside
functions included: a cycle hidden that way is still two modules that cannot be understood,
tested or replaced one without the other. (The layers themselves are import-linter
contracts in pyproject.toml, checked by ``make lint``.)"""

from __future__ import annotations

import grimp

# Cycles other branches remove (issue 19): the HTTP server rewrite drops landing.py, and the
# simulator becomes independent of the rest of exporter. Delete an entry once it is merged.
KNOWN: set[frozenset[str]] = set()  # none left: keep it so


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def import_edges() -> dict[str, set[str]]:
    graph = grimp.build_graph("exporter", include_external_packages=False)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_longer_chain():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(edges) == [{"a", "b", "c"}]


def test_no_import_cycles_in_exporter():
    found = [c for c in cycles(import_edges()) if frozenset(c) not in KNOWN]
    assert not found, "import cycles: " + "; ".join(" ↔ ".join(sorted(c)) for c in found)
