"""A user's YAML file, read by one loader: the config file and ``--web.config.file``.

YAML keeps the last of two equal keys in a mapping and drops the first without a word:
a file that says ``budget:`` twice would run on half of what its author wrote, and a
second ``basic_auth_users:`` could turn authentication off. The loader here finds every
key written more than once, with the lines it is on, and goes on loading, so the reader
reports them together with every other problem in the file, in file order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from exporter.schema import Loc

_MERGE = "tag:yaml.org,2002:merge"  # `<<: *anchor`: keys given again override, by design


@dataclass(frozen=True)
class YamlFile:
    """What a file holds, and the keys it wrote twice (``(key path, problem)``)."""

    data: Any
    duplicates: tuple[tuple[Loc, str], ...] = ()


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that records, before building the data, each mapping key written
    more than once. The check runs on the node tree as written: merge keys are not yet
    expanded there, so an override of a merged key is not taken for a duplicate."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[Loc, str]] = []
        self._seen: set[int] = set()

    def construct_document(self, node: yaml.Node) -> Any:
        self._find_duplicates(node, ())
        return super().construct_document(node)

    def _find_duplicates(self, node: yaml.Node, loc: Loc) -> None:
        if id(node) in self._seen:  # an alias: its anchor's node was checked where it stood
            return
        self._seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._find_duplicates(item, (*loc, i))
        elif isinstance(node, yaml.MappingNode):
            marks: dict[Any, list[yaml.Mark]] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    self._find_duplicates(value_node, loc)
                    continue
                key = self._key(key_node)
                marks.setdefault(key, []).append(key_node.start_mark)
                self._find_duplicates(value_node, (*loc, str(key)))
            for key, at in marks.items():
                if len(at) > 1:
                    self.duplicates.append(((*loc, str(key)), _written(at)))

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value PyYAML recognises but cannot build (``2024-13-45`` read as a date, an
        integer of 5,000 digits) raises ``ValueError``: here a YAML error at its line."""
        try:
            return super().construct_object(node, deep)
        except ValueError as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {_short(node)}: {str(e).split(';')[0]}", node.start_mark
            ) from None

    def _key(self, node: yaml.Node) -> Any:
        """The key as the mapping will hold it (``1`` and ``0x1`` are one key); a key that
        is not a scalar, or does not construct, stands for itself (YAML reports it later)."""
        if isinstance(node, yaml.ScalarNode):
            try:
                key = self.construct_object(node)
                hash(key)
                return key
            except (yaml.YAMLError, ValueError, TypeError):
                return (node.tag, node.value)
        return id(node)


def _short(node: yaml.Node, limit: int = 40) -> str:
    text = repr(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _written(marks: list[yaml.Mark]) -> str:
    """``written twice, on lines 3 and 7; keep one``; with columns when lines are shared
    (``{depth: 5, depth: 6}``)."""
    times = "twice" if len(marks) == 2 else f"{len(marks)} times"
    lines = [m.line + 1 for m in marks]
    if len(set(lines)) == len(lines):
        at = [str(n) for n in lines]
        return f"written {times}, on lines {', '.join(at[:-1])} and {at[-1]}; keep one"
    at = [f"line {m.line + 1} column {m.column + 1}" for m in marks]
    return f"written {times}, at {', '.join(at[:-1])} and {at[-1]}; keep one"


def parse_yaml(text: str) -> YamlFile:
    """Text → data and its keys written twice; ``yaml.YAMLError`` when it is not YAML."""
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return YamlFile(data, tuple(loader.duplicates))


def read_yaml(
    path: str, what: str, error: type[Exception], *, echo_problem: bool = True
) -> YamlFile:
    """A YAML file's data, or ``error`` naming the file, the line and the problem.

    ``echo_problem=False`` leaves out the parser's words, which quote the offending text
    (a file of secrets must not be echoed).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (byte {e.start})") from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = f": {getattr(e, 'problem', e)}" if echo_problem else ""
        raise error(f"{path}: not valid YAML{where}{problem}") from None
