"""A Prometheus alert's texts, as a Grafana-managed rule's.

Grafana expands labels and annotations with Prometheus's template functions (humanize,
reReplaceAll, printf…), with two differences that matter here:

- ``$value`` is a string listing every expression's value; the alert's own value (what
  Prometheus calls ``$value``) is the reduced alert query, ``$values.B.Value``.
- ``query`` exists but returns nothing: a template cannot query. Every figure a Prometheus
  annotation reads with ``query`` (``alerttext.fact``) becomes an extra query of the rule,
  the figure for every entry at once grouped by the labels the template filled in; Grafana
  hands each alert the reduced value whose labels are a subset of its own, as
  ``$values.V<n>``. A figure that cannot be written that way (an aggregation inside the
  expression would mix entries once the alert's matchers are gone) reads ``n/a``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VALUE_REF = "B"  # the reduced alert query: Prometheus's $value
UNAVAILABLE = "n/a"

_VALUE = re.compile(r"\$value\b")  # never $values
# What alerttext.fact writes: {{ with printf `EXPR` $labels.a … | query }}PREFIX
# {{ . | first | value | FORMAT }}{{ else }}MISSING{{ end }} (printf only with labels).
_FIGURE = re.compile(
    r"\{\{ with (?:printf `(?P<expr>[^`]*)`(?P<args>(?: \$labels\.\w+)+)|`(?P<bare>[^`]*)`)"
    r" \| query \}\}(?P<prefix>(?:(?!\{\{).)*)"
    r"\{\{ \. \| first \| value \| (?P<format>(?:(?!\}\}).)+?) \}\}"
    r"\{\{ else \}\}(?P<missing>(?:(?!\{\{).)*)\{\{ end \}\}"
)
_ACTION = re.compile(r"\{\{.*?\}\}")
_ALERT_MATCHER = re.compile(r"^\s*(\w+)=%q\s*$")
_SELECTOR = re.compile(r"\{([^{}]*)\}")
# An aggregation without by/without: over every entry once the alert's matchers are gone.
_BARE_AGGREGATION = re.compile(r"\b(sum|min|max|avg|count|group|stddev|stdvar)\s*\(")


@dataclass(frozen=True)
class Figure:
    """An extra query of a rule: ``query`` runs ``expr``, ``value`` reduces it."""

    query: str
    value: str
    expr: str


def _without_alert_matchers(m: re.Match[str]) -> str:
    kept = [p.strip() for p in m[1].split(",") if p.strip() and not _ALERT_MATCHER.match(p)]
    return "{" + ", ".join(kept) + "}" if kept else ""


def _closing(text: str, opening: int) -> int:
    depth = 0
    for i in range(opening, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return -1


def every_entry(expr: str, labels: tuple[str, ...]) -> str | None:
    """``expr`` — one entry's figure, a ``%q`` for each of ``labels`` (in order, each as
    ``label=%q``) — as one query for every entry, one series per label set; None when
    dropping the matchers would change what the figure means."""
    if re.findall(r"(\w+)=%q", expr) != list(labels) or expr.count("%q") != len(labels):
        return None
    body = _SELECTOR.sub(_without_alert_matchers, expr)
    keys = ", ".join(dict.fromkeys(labels))
    if labels:
        bare = list(_BARE_AGGREGATION.finditer(body))
        # Only an aggregation of the whole expression can be grouped by the labels as is.
        if len(bare) > 1 or (
            bare and (bare[0].start(), _closing(body, bare[0].end() - 1)) != (0, len(body) - 1)
        ):
            return None
        if bare:
            body = f"{bare[0][1]} by ({keys}) {body[bare[0].end() - 1 :]}"
    # `or on () vector(NaN)`: a query without data makes Grafana treat the whole rule as
    # "no data" (OK here), so a figure nobody has yet (no history) must not silence it.
    return f"max by ({keys}) (\n  {body}\n)\nor on () vector(NaN)"


class Translator:
    """Translates one rule's templates; the figures they read are its extra queries."""

    def __init__(self, alert: str) -> None:
        self.alert = alert
        self.figures: dict[tuple[str, tuple[str, ...]], Figure] = {}

    def text(self, template: str) -> str:
        out = _FIGURE.sub(self._figure, template)
        left = [a for a in _ACTION.findall(out) if re.search(r"\bquery\b", a)]
        if left:
            raise ValueError(
                f"{self.alert}: a template uses `query` in a form mixin/grafana_text.py "
                f"does not know (not alerttext.fact's): {left[0]}"
            )
        return _VALUE.sub(f"$values.{VALUE_REF}.Value", out)

    def _figure(self, m: re.Match[str]) -> str:
        expr = m["expr"] if m["expr"] is not None else m["bare"]
        labels = tuple(re.findall(r"\$labels\.(\w+)", m["args"] or ""))
        promql = every_entry(expr, labels)
        if promql is None:
            return UNAVAILABLE
        n = len(self.figures) + 1
        fig = self.figures.setdefault((expr, labels), Figure(f"Q{n}", f"V{n}", promql))
        missing = m["missing"]
        # NaN: the `vector(NaN)` above, no entry has the figure.
        found = f"{{{{ if eq .Value .Value }}}}{m['prefix']}{{{{ .Value | {m['format']} }}}}"
        return (
            f"{{{{ with $values.{fig.value} }}}}{found}{{{{ else }}}}{missing}{{{{ end }}}}"
            f"{{{{ else }}}}{missing}{{{{ end }}}}"
        )


def label_value(text: str) -> str:
    """A label value in a provisioning file: Grafana expands environment variables in
    labels (not in annotations), so a template's ``$`` is written ``$$``."""
    return text.replace("$", "$$")
