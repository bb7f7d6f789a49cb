"""Settings declared once, on the dataclass field that holds them.

``timeout: float = setting("30s", Duration(at_most=600), "per request")`` is a field whose
default is the parsed ``"30s"``; the same declaration tells the reader how to validate the
YAML value, and the docs and tests what the default is spelled like and what it means.

The reader collects every problem in a file instead of stopping at the first, each with
its key path (``apps.windows[2]: '45x' is not a window like 7d``), and reports them in the
order the file has them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import MISSING, dataclass, fields, make_dataclass
from dataclasses import field as dataclass_field
from typing import Any

Loc = tuple[str | int, ...]  # a key path: ("apps", "windows", 2)
_META = "setting"
# An OpenRouter key wherever a user pasted it (a key name, a list item): never echoed.
_KEY_LIKE = re.compile(r"(?<![\w-])sk-[\w-]{12,}")


class ConfigError(ValueError):
    """Config problems, one ``key.path: problem`` per line, in file order."""


class Invalid(ValueError):
    """What is wrong with one value; the reader puts its key path in front."""


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()  # a value that failed; its problem is already recorded


def where(loc: Loc, root: str = "config") -> str:
    """``("apps", "windows", 2)`` → ``apps.windows[2]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or root


def type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "empty",
    }.get(type(value), "?")


def did_you_mean(word: object, choices: Any) -> str:
    """``; did you mean 'windows'?`` when ``word`` looks like a typo of one choice."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


class Problems:
    """Errors and warnings found in one file, each at a key path."""

    def __init__(self, root: str = "config") -> None:
        self.root = root
        self.errors: list[tuple[Loc, str]] = []
        self.warnings: list[tuple[Loc, str]] = []

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append((loc, message))

    def warn(self, loc: Loc, message: str) -> None:
        self.warnings.append((loc, message))

    def lines(self, found: list[tuple[Loc, str]], data: Any) -> tuple[str, ...]:
        """``key.path: problem`` lines in file order (sorted is stable: ties keep theirs)."""
        ordered = sorted(found, key=lambda item: _position(data, item[0]))
        text = (f"{where(loc, self.root)}: {message}" for loc, message in ordered)
        return tuple(_KEY_LIKE.sub("[REDACTED]", line) for line in text)

    def raise_errors(self, data: Any, error: type[Exception]) -> None:
        if self.errors:
            raise error("\n".join(self.lines(self.errors, data)))


def _position(data: Any, loc: Loc) -> tuple[int, ...]:
    """Where ``loc`` is in the file: the index of each key along its path (a YAML mapping
    keeps the file's order). A key the file lacks sorts after its section's keys."""
    out: list[int] = []
    node = data
    for part in loc:
        if isinstance(node, Mapping):
            keys = [str(k) for k in node]
            if str(part) not in keys:
                out.append(len(keys))
                break
            i = keys.index(str(part))
            out.append(i)
            node = list(node.values())[i]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        else:
            break
    return tuple(out)


class Kind:
    """How one YAML value becomes a config value: ``convert`` or ``Invalid``."""

    def convert(self, value: Any) -> Any:
        raise NotImplementedError

    def read(self, value: Any, loc: Loc, problems: Problems) -> Any:
        try:
            return self.convert(value)
        except Invalid as e:
            problems.error(loc, str(e))
            return INVALID

    def parse(self, value: Any) -> Any:
        """A declared default → its value; a default that does not validate is a bug."""
        problems = Problems()
        out = self.read(value, (), problems)
        if problems.errors:
            raise AssertionError(f"bad default {value!r}: {problems.errors}")
        return out


@dataclass(frozen=True)
class Text(Kind):
    """A non-empty string, then ``check`` (which may normalise it)."""

    check: Callable[[str], str] | None = None
    blank_is_unset: bool = False  # exporter-toolkit files: "" means not set

    def convert(self, value: Any) -> Any:
        if value == "" and self.blank_is_unset:
            return None
        if not isinstance(value, str) or not value:
            raise Invalid(f"expected a non-empty string, got {type_name(value)}")
        return self.check(value) if self.check else value


@dataclass(frozen=True)
class Int(Kind):
    lo: int
    hi: int

    def convert(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"expected a whole number, got {value!r}")
        if not self.lo <= value <= self.hi:
            raise Invalid(f"{value} is out of range {self.lo}–{self.hi}")
        return value


@dataclass(frozen=True)
class Bool(Kind):
    def convert(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid(f"expected true or false, got {value!r}")
        return value


@dataclass(frozen=True)
class Choice(Kind):
    options: tuple[str, ...]
    blank_is_unset: bool = False
    suggest: bool = True  # not for codes like TLS12, where the nearest is a guess

    def convert(self, value: Any) -> Any:
        if value == "" and self.blank_is_unset:
            return None
        if not isinstance(value, str) or value not in self.options:
            hint = did_you_mean(value, self.options) if self.suggest else ""
            raise Invalid(f"{value!r} is not one of {', '.join(self.options)}{hint}")
        return value


@dataclass(frozen=True)
class Custom(Kind):
    """A value checked (and perhaps converted) by one function that raises ``Invalid``."""

    check: Callable[[Any], Any]

    def convert(self, value: Any) -> Any:
        return self.check(value)


@dataclass(frozen=True)
class ListOf(Kind):
    """A list (or, with ``single``, one bare item) → a tuple; every bad item is named."""

    item: Kind
    single: bool = False
    null_is_default: bool = False  # `key:` with no value keeps the default

    def read(self, value: Any, loc: Loc, problems: Problems) -> Any:
        if value is None and self.null_is_default:
            return None
        if self.single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            problems.error(loc, f"expected a list, got {type_name(value)}")
            return INVALID
        out = tuple(self.item.read(v, (*loc, i), problems) for i, v in enumerate(value))
        return INVALID if any(v is INVALID for v in out) else out


@dataclass(frozen=True)
class Setting:
    kind: Kind
    help: str
    default: Any  # as spelled in YAML; MISSING when the key is required
    key: str | None  # the YAML key, when it is not the field's name
    shown: str | None  # the default as the docs show it, when its YAML spelling is long


def setting(
    default: Any, kind: Kind, help: str = "", *, key: str | None = None, shown: str | None = None
) -> Any:
    """A dataclass field declared by its YAML default, kind and help."""
    return field_of(declare(default, kind, help, key=key, shown=shown))


def declare(
    default: Any, kind: Kind, help: str = "", *, key: str | None = None, shown: str | None = None
) -> Setting:
    """A setting declared where it belongs but held by a section assembled elsewhere
    (``assemble``): a dataset's entry under ``watch:``."""
    return Setting(kind, help, default, key, shown)


def field_of(s: Setting) -> Any:
    """The dataclass field that holds ``s``; its default is the parsed YAML default."""
    meta = {_META: s}
    if s.default is MISSING:
        return dataclass_field(metadata=meta)
    kind, default = s.kind, s.default
    value = None if default is None else kind.parse(default)
    try:
        hash(value)
    except TypeError:  # a mapping: each instance gets its own
        return dataclass_field(default_factory=lambda: kind.parse(default), metadata=meta)
    return dataclass_field(default=value, metadata=meta)


def assemble(name: str, parts: Iterable[tuple[str, Setting]]) -> type:
    """A frozen section class whose fields hold ``parts`` (field name, setting) in order:
    a section whose settings are declared in modules that do not know each other."""
    made = [(f, Any, field_of(s)) for f, s in parts]
    return make_dataclass(name, made, frozen=True)


def required(kind: Kind, help: str = "") -> Any:
    return setting(MISSING, kind, help)


def settings_of(cls: type) -> Iterator[tuple[str, str, Setting]]:
    """(YAML key, field name, setting) for each field of ``cls`` read from the file."""
    for f in fields(cls):
        s = f.metadata.get(_META)
        if s is not None:
            yield s.key or f.name, f.name, s


@dataclass
class Report:
    """What a section's cross-key check reports, at paths below the section."""

    problems: Problems
    loc: Loc

    def error(self, message: str, *path: str | int) -> None:
        self.problems.error((*self.loc, *path), message)

    def warn(self, message: str, *path: str | int) -> None:
        self.problems.warn((*self.loc, *path), message)


# A section's check sees every value (defaults filled in), which keys the file gave, and
# reports problems that involve more than one key; it may fill in derived defaults.
Check = Callable[[dict[str, Any], set[str], Report], None]


@dataclass(frozen=True)
class Section(Kind):
    """A mapping read into the dataclass ``cls``, whose fields are declared settings."""

    cls: type
    check: Check | None = None
    refused: Mapping[str, str] = dataclass_field(default_factory=dict)  # key → why
    unsupported: tuple[str, ...] = ()  # known to the format, not to this exporter

    def read(self, value: Any, loc: Loc, problems: Problems) -> Any:
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            problems.error(loc, f"expected a mapping, got {type_name(value)}")
            return INVALID
        declared = {key: (name, s) for key, name, s in settings_of(self.cls)}
        values = {name: _default(self.cls, name) for _key, name, _s in settings_of(self.cls)}
        given: set[str] = set()
        for key, raw in value.items():
            here = (*loc, str(key))
            if key in self.refused:  # its value is never read, so never echoed
                problems.error(here, self.refused[key])
            elif key in self.unsupported:
                problems.error(here, "not supported by this exporter")
            elif key not in declared:
                problems.error(here, "unknown key" + did_you_mean(key, declared))
            else:
                name, s = declared[key]
                given.add(name)
                if raw is None and s.default is None:
                    continue  # `key:` with no value: not set
                parsed = s.kind.read(raw, here, problems)
                if parsed is not None:
                    values[name] = parsed
        for key, (name, s) in declared.items():
            if s.default is MISSING and name not in given:
                problems.error((*loc, key), "required")
                values[name] = INVALID
        if any(v is INVALID for v in values.values()):
            return INVALID  # a cross-key check on half-read values would only mislead
        if self.check is not None:
            before = len(problems.errors)
            self.check(values, given, Report(problems, loc))
            if len(problems.errors) > before:
                return INVALID
        return self.cls(**values)


def section(cls: type, help: str = "", *, key: str | None = None, **options: Any) -> Any:
    """A field holding a whole section (``options`` as for ``Section``); every key missing
    from the file is its default."""
    return setting({}, Section(cls, **options), help, key=key)


def _default(cls: type, name: str) -> Any:
    f = next(f for f in fields(cls) if f.name == name)
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return INVALID  # required: reported unless the file gives it
