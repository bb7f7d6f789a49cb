"""The project's one duration parser: ``30s``, ``5m``, ``1h``, ``1d``, ``1h30m`` → seconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from exporter.schema import ConfigError, Invalid, Kind

_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LIKE = "a duration like 30s, 5m, 1h, 1d or 1h30m"


def format_duration(seconds: float) -> str:
    """120 → ``2m``, 5400 → ``1h30m``, 0.5 → ``500ms``."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    parts = []
    for unit in ("d", "h", "m"):
        n, seconds = divmod(seconds, _UNITS[unit])
        if n:
            parts.append(f"{n:g}{unit}")
    if seconds or not parts:
        parts.append(f"{seconds:g}s")
    return "".join(parts)


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Invalid(f"expected {_LIKE}, got {value!r}")
    if not isinstance(value, str):
        return float(value)  # YAML `timeout: 30`: seconds
    text = value.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    total, pos, last = 0.0, 0, -1
    units = list(_UNITS)
    while pos < len(text):
        m = _PART.match(text, pos)
        # Largest unit first, each at most once, as Go and Prometheus write them.
        if not m or units.index(m.group(2)) <= last:
            break
        last = units.index(m.group(2))
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text or pos < len(text):
        raise Invalid(f"{value!r} is not {_LIKE}")
    return total


def seconds_between(value: Any, at_least: float | None, at_most: float | None) -> float:
    """``value`` in seconds, more than 0 and within the bounds, or ``Invalid``."""
    seconds = _seconds(value)
    low_ok = seconds > 0 and (at_least is None or seconds >= at_least)
    if low_ok and (at_most is None or seconds <= at_most):
        return seconds
    low = f"from {format_duration(at_least)}" if at_least else "more than 0"
    high = ""
    if at_most is not None:
        high = f" {'to' if at_least else 'and at most'} {format_duration(at_most)}"
    raise Invalid(f"{value!r} must be {low}{high}")


def parse_duration(
    value: Any, key: str, *, at_least: float | None = None, at_most: float | None = None
) -> float:
    """``30`` (seconds), ``30s``, ``1.5s``, ``500ms``, ``5m``, ``1h``, ``1d``, ``1w`` and
    combinations largest unit first (``1h30m``) → seconds. Always more than 0;
    ``at_least``/``at_most`` (seconds, inclusive) bound it. ``ConfigError`` names ``key``:
    ``--step: '90x' is not a duration like 30s, 5m, 1h, 1d or 1h30m``."""
    try:
        return seconds_between(value, at_least, at_most)
    except Invalid as e:
        raise ConfigError(f"{key}: {e}") from None


@dataclass(frozen=True)
class Duration(Kind):
    at_least: float | None = None
    at_most: float | None = None

    def convert(self, value: Any) -> float:
        return seconds_between(value, self.at_least, self.at_most)
