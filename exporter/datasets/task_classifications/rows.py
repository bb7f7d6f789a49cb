"""A task-classifications row, and the parser from a body to rows and meta.

The body has no ``meta``: ``data`` is one object (tags, macro-categories, each tag's top
models). One row type holds the three kinds (the store keeps one row type per dataset);
``kind`` says which fields mean something. Only the fields exported are read: the rest
(``category_*_share``, ``window_days``) may change shape without failing a refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exporter.responses import MalformedResponse, day, field, number, string
from exporter.snapshot import Meta

TASK, MACRO, MODEL = "task", "macro", "model"


@dataclass(frozen=True, slots=True)
class TaskShareRow:
    kind: str  # TASK, MACRO or MODEL
    task: str  # the tag (TASK, MODEL); the macro-category's key (MACRO)
    name: str  # display_name (TASK), label (MACRO); "" for MODEL
    macro_category: str  # the tag's group (TASK); "" otherwise
    model: str  # permaslug (MODEL); "" otherwise
    usage_share: float  # usage_share, or tag_usage_share (MODEL)
    token_share: float  # token_share, or tag_token_share (MODEL)


def _list(obj: Any, name: str, where: str) -> list[Any]:
    value = field(obj, name, where)
    if not isinstance(value, list):
        raise MalformedResponse(f"{where}.{name}: expected a list")
    return value


def _task(c: Any, w: str) -> list[TaskShareRow]:
    tag = string(field(c, "tag", w), f"{w}.tag")
    rows = [
        TaskShareRow(
            TASK,
            tag,
            string(field(c, "display_name", w), f"{w}.display_name"),
            string(field(c, "macro_category", w), f"{w}.macro_category"),
            "",
            number(field(c, "usage_share", w), f"{w}.usage_share"),
            number(field(c, "token_share", w), f"{w}.token_share"),
        )
    ]
    for j, m in enumerate(_list(c, "models", w)):
        mw = f"{w}.models[{j}]"
        rows.append(
            TaskShareRow(
                MODEL,
                tag,
                "",
                "",
                string(field(m, "id", mw), f"{mw}.id"),
                number(field(m, "tag_usage_share", mw), f"{mw}.tag_usage_share"),
                number(field(m, "tag_token_share", mw), f"{mw}.tag_token_share"),
            )
        )
    return rows


def parse_body(body: Any) -> tuple[list[TaskShareRow], Meta]:
    data = field(body, "data", "response")
    rows: list[TaskShareRow] = []
    for i, c in enumerate(_list(data, "classifications", "data")):
        rows += _task(c, f"data.classifications[{i}]")
    for i, m in enumerate(_list(data, "macro_categories", "data")):
        w = f"data.macro_categories[{i}]"
        rows.append(
            TaskShareRow(
                MACRO,
                string(field(m, "key", w), f"{w}.key"),
                string(field(m, "label", w), f"{w}.label"),
                "",
                "",
                number(field(m, "usage_share", w), f"{w}.usage_share"),
                number(field(m, "token_share", w), f"{w}.token_share"),
            )
        )
    # A date, not a timestamp: the window's last day. It is both the data's end and, at
    # 00:00 UTC, its as_of (the citation uses it; the response has no request time).
    end = day(field(data, "as_of", "data"), "data.as_of")
    as_of = datetime(end.year, end.month, end.day, tzinfo=UTC)
    return rows, Meta(as_of=as_of, end_date=end)
