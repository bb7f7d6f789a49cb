"""The settings as people read them: every key of the config file, the defaults as YAML
spells them (``configfile.DEFAULTS``) and the README's configuration table, all from the
declarations ``schema`` reads the file by.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import MISSING
from typing import Any

from exporter.schema import Choice, ListOf, Section, Setting, settings_of


def leaves(cls: type, prefix: str = "") -> Iterator[tuple[str, Setting]]:
    """Every documented key as ``section.key`` (list items as ``views[].name``)."""
    for key, _name, s in settings_of(cls):
        path = f"{prefix}{key}"
        if isinstance(s.kind, Section):
            yield from leaves(s.kind.cls, f"{path}.")
            continue
        yield path, s
        if isinstance(s.kind, ListOf) and isinstance(s.kind.item, Section):
            yield from leaves(s.kind.item.cls, f"{path}[].")


def yaml_defaults(cls: type) -> dict[str, Any]:
    """The defaults as a YAML mapping would spell them (keys whose default is unset left out)."""
    out: dict[str, Any] = {}
    for key, _name, s in settings_of(cls):
        if isinstance(s.kind, Section):
            out[key] = yaml_defaults(s.kind.cls)
        elif s.default is not None and s.default is not MISSING:
            out[key] = _as_yaml(s.default)
    return out


def _as_yaml(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_as_yaml(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _as_yaml(v) for k, v in value.items()}
    return value


def shown_default(s: Setting) -> str:
    """The default as the README's table shows it."""
    if s.shown is not None:
        return s.shown
    if s.default is MISSING:
        return "required"
    if s.default is None:
        return "—"
    value = s.default
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list):
        return f"`[{', '.join(str(v) for v in value)}]`"
    return f"`{value}`"


def markdown_table(cls: type) -> str:
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, s in leaves(cls):
        choices = s.kind.options if isinstance(s.kind, Choice) else ()
        meaning = s.help + (f": `{'`, `'.join(choices)}`" if choices else "")
        rows.append(f"| `{key}` | {shown_default(s)} | {meaning} |")
    return "\n".join(rows)
