"""What /metrics serves for each view, read from the exposition text itself (metric names
and labels are the exporter's public contract, so this reads what a user would)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from exporter.configfile import parse_config
from exporter.datasets import REGISTRY
from exporter.metrictext import escape_label
from exporter.viewstatus import Key

_LABEL = rb'"((?:[^"\\]|\\.)*)"'
_META_LINE = re.compile(rb"\{dataset=" + _LABEL + rb",view=" + _LABEL + rb"\} (\S+)")
_APP_VIEW = re.compile(
    rb"openrouter_app_view_info\{view="
    + _LABEL
    + rb",(window=.*?,sort=.*?,category=.*?,subcategory="
    + _LABEL
    + rb")\}"
)
AS_OF = b"openrouter_data_as_of_timestamp_seconds"
END_DATE = b"openrouter_data_end_date_timestamp_seconds"


@dataclass(frozen=True)
class ServedView:
    as_of: float | None
    end_date: float | None  # 00:00 UTC of the last day covered


def _unescape(raw: bytes) -> str:
    text = raw.decode()
    if "\\" not in text:
        return text
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _section(text: bytes, family: bytes) -> bytes:
    """The family's TYPE line and samples, each sample line starting with a newline."""
    start = text.find(b"# TYPE " + family + b" ")
    if start < 0:
        return b""
    end = text.find(b"\n# HELP ", start)
    return text[start : end if end >= 0 else len(text)]


def views(text: bytes) -> dict[Key, ServedView]:
    """Every view that has data on /metrics, with the as_of and end date it shows."""
    as_of = {(m[0], m[1]): float(m[2]) for m in _META_LINE.findall(_section(text, AS_OF))}
    ends = {(m[0], m[1]): float(m[2]) for m in _META_LINE.findall(_section(text, END_DATE))}
    return {
        (_unescape(raw[0]), _unescape(raw[1])): ServedView(as_of.get(raw), ends.get(raw))
        for raw in as_of.keys() | ends.keys()
    }


class RowCounter:
    """Rows a view shows: app views are found by their labels (openrouter_app_view_info
    maps view names to them), model views by ``view``, other datasets by their families."""

    def __init__(self, text: bytes) -> None:
        info = _section(text, b"openrouter_app_view_info")
        self._app_labels = {_unescape(m.group(1)): m.group(2) for m in _APP_VIEW.finditer(info)}

    def rows(self, text: bytes, key: Key) -> int:
        dataset, view = key
        if dataset == "app-rankings":
            labels = self._app_labels.get(view)
            family = b"openrouter_app_rank"
            needle = b"\n" + family + b"{" + (labels or b"?") + b",app_id="
        elif dataset == "rankings-daily":
            family = b"openrouter_model_tokens"
            needle = b"\n" + family + b'{view="' + escape_label(view).encode() + b'",'
        else:
            # A dataset on a fixed cadence: the samples of its own families. Its views are
            # not told apart (views that differ by source, not by a label): a view
            # that shows nothing while another of its dataset does is not caught here.
            return sum(_section(text, f).count(b"\n" + f + b"{") for f in _families(dataset))
        return _section(text, family).count(needle)


@cache
def _families(dataset: str) -> tuple[bytes, ...]:
    collector = REGISTRY[dataset].collector(parse_config({}))
    return tuple(f.name.encode() for f in collector.families)
