"""The config file as a whole: the sections every exporter has (``exporter.config``) and
the section of each registered dataset (declared in its package, ``Dataset.config_section``,
with its ``watch:`` entry), assembled into one schema and read into a ``Config``.

It lives here, above ``exporter.datasets``, because it is the one module that needs both:
``exporter.config`` is the lowest layer and may not import a dataset, and a dataset may
not know the others. It names no dataset: it iterates the registry (in ``CONFIG_ORDER``,
the order the README's table, ``config.example.yaml`` and ``DEFAULTS`` show). Named
``configfile`` for what it reads — the file — beside ``config``, the type every layer
receives. The commands, the backfill, bench, soak and the tests load config from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, replace
from types import MappingProxyType
from typing import Any

from exporter.config import LITERAL_KEY, Config
from exporter.datasets import Dataset, configured
from exporter.schema import (
    ConfigError,
    Loc,
    Problems,
    Section,
    Setting,
    assemble,
    declare,
    settings_of,
)
from exporter.schemadocs import yaml_defaults
from exporter.yamlfile import read_yaml

__all__ = [
    "DEFAULTS",
    "ConfigError",
    "ConfigFile",
    "default_config",
    "load_config",
    "parse_config",
]

_DATASETS = configured()


def _watch(datasets: list[Dataset]) -> type:
    """``watch:``: each dataset's list under its own key."""
    return assemble(
        "WatchConfig", [(d.config_key, d.watch_setting) for d in datasets if d.watch_setting]
    )


WatchConfig = _watch(_DATASETS)


def _parts(datasets: list[Dataset]) -> Iterator[tuple[str, Setting]]:
    """The file's settings in file order: ``Config``'s own, with the datasets' sections and
    ``watch:`` where its ``sections`` and ``watch`` fields are."""
    core = {name: s for _key, name, s in settings_of(Config)}
    for f in fields(Config):
        if f.name == "sections":
            yield from ((d.config_key, declare({}, d.config_section)) for d in datasets)
        elif f.name == "watch":
            yield "watch", declare({}, Section(WatchConfig))
        elif f.name in core:
            yield f.name, core[f.name]


def _file(datasets: list[Dataset]) -> type:
    parts = list(_parts(datasets))
    keys = [s.key or name for name, s in parts]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    # A dataset's key that is also another section's would hide one of them.
    assert not twice, f"config keys declared twice: {twice}"
    return assemble("ConfigFile", parts)


ConfigFile = _file(_DATASETS)  # the whole file's schema: leaves, tables, defaults read it
_SCHEMA = Section(ConfigFile, refused={"api_key": LITERAL_KEY})
DEFAULTS: dict[str, Any] = yaml_defaults(ConfigFile)  # the defaults as YAML spells them


def _config(read: Any) -> Config:
    """A read ``ConfigFile`` → ``Config``: the core as fields, each dataset's section and
    watch list by its key."""
    core = {name: getattr(read, name) for _key, name, _s in settings_of(Config)}
    sections = {d.config_key: getattr(read, d.config_key) for d in _DATASETS}
    watch = {name: getattr(read.watch, name) for _key, name, _s in settings_of(WatchConfig)}
    return Config(**core, sections=MappingProxyType(sections), watch=MappingProxyType(watch))


def default_config() -> Config:
    """Every setting at its declared default (what an empty file reads as)."""
    return _config(ConfigFile())


def parse_config(data: Any, found: Iterable[tuple[Loc, str]] = ()) -> Config:
    """A YAML document's data → ``Config``; ``ConfigError`` lists every problem in it,
    with those ``found`` while loading it (keys written twice) in their place."""
    problems = Problems("config")
    problems.errors.extend(found)
    read = _SCHEMA.read(data, (), problems)
    problems.raise_errors(data, ConfigError)
    return replace(_config(read), warnings=problems.lines(problems.warnings, data))


def load_config(path: str | None) -> Config:
    """Read and validate; no file means every default."""
    if path is None:
        return parse_config({})
    loaded = read_yaml(path, "config file", ConfigError)
    cfg = parse_config(loaded.data, loaded.duplicates)
    if not loaded.data:  # the file parsed, so only comments (or `{}`) are in it
        empty = f"{path}: nothing configured (the file is empty or only comments); using defaults"
        cfg = replace(cfg, warnings=(empty, *cfg.warnings))
    return cfg
