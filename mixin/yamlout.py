"""YAML writing for generated files: stable, readable, with comments kept.

PyYAML drops comments, so a rule file is written group by group and rule by rule, each
rule's comment above it; multi-line strings (PromQL) are written as literal blocks.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    # A dict used twice (matchLabels and the pod's labels) is written twice, not as a
    # &id001 anchor and alias: manifests are read and patched by people.
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    """Block style, keys in the order given, no line folding (one line stays one line)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        width=10_000,
        allow_unicode=True,
        default_flow_style=False,
    )


def dump_all(docs: list[Any]) -> str:
    return "---\n".join(dump(d) for d in docs)


@dataclass(frozen=True)
class Group:
    """A rule group; a rule's ``note`` is written as the comment above it."""

    name: str
    rules: list[dict[str, Any]]
    interval: str | None = None  # None: Prometheus's evaluation_interval

    def as_group(self) -> dict[str, Any]:
        every = {"interval": self.interval} if self.interval else {}
        return {"name": self.name, **every, "rules": [strip_note(r) for r in self.rules]}


def strip_note(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k != "note"}


def comment(text: str, indent: str) -> str:
    return "".join(f"{indent}# {line}\n" for line in textwrap.wrap(text, 88 - len(indent)))


def dump_rule_file(header: str, groups: list[Group]) -> str:
    out = ["".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()), "groups:\n"]
    for g in groups:
        out.append(f"  - name: {g.name}\n")
        if g.interval:
            out.append(f"    interval: {g.interval}\n")
        out.append("    rules:\n")
        for i, rule in enumerate(g.rules):
            if i:
                out.append("\n")
            if rule.get("note"):
                out.append(comment(rule["note"], "      "))
            out.append(textwrap.indent(dump([strip_note(rule)]), "      "))
    return "".join(out)
