"""An alerting rule and the pieces of its text: labels, API text on one line, and figures
read from Prometheus when the alert fires."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def eq(label: str, value: str) -> str:
    return f'{label}="{value}"'


def label(name: str) -> str:
    return f"{{{{ $labels.{name} }}}}"


def clean(name: str) -> str:
    """API text in an annotation, on one line (app names can hold newlines)."""
    return f'{{{{ $labels.{name} | reReplaceAll "[[:cntrl:]]+" " " }}}}'


def alert(
    name: str,
    expr: str,
    severity: str,
    summary: str,
    description: str,
    for_: str | None = None,
    note: str | None = None,
    *,
    keep_firing_for: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"alert": name, "expr": expr}
    if for_:
        out["for"] = for_
    if keep_firing_for:
        out["keep_firing_for"] = keep_firing_for
    out["labels"] = {"severity": severity, **(labels or {})}
    out["annotations"] = {"summary": summary, "description": description, **(annotations or {})}
    return {**out, **({"note": note} if note else {})}


def fact(expr: str, labels: Sequence[str], fmt: str, missing: str = "n/a", prefix: str = "") -> str:
    """A figure read when the alert fires (Prometheus' ``query`` template function):
    ``expr`` holds one ``%q`` per label of ``labels``, filled with the alert's values;
    ``missing`` stands where the query returns nothing."""
    query = f"printf `{expr}` {' '.join(f'$labels.{n}' for n in labels)}" if labels else f"`{expr}`"
    return (
        f"{{{{ with {query} | query }}}}{prefix}{{{{ . | first | value | {fmt} }}}}"
        f"{{{{ else }}}}{missing}{{{{ end }}}}"
    )
