"""A recorded rankings-daily history, served instead of the synthetic market's model rows.

The file holds the API's own row fields, ``date,model_permaslug,total_tokens``: per day the
top models and one ``other`` row (the tokens of every model outside them). Its days are the
published days: the first is the oldest the replay serves, the last the newest. Rows are
ranked as the API ranks them (tokens descending, ties by permaslug, ``other`` last), and
week and month buckets are the file's days summed. A model outside a day's top 50 stays in
that day's ``other``: the file cannot know it, so a week's ``other`` is its days' ``other``
plus the summed models below the week's top 50.

    replay = Replay.load("rankings-daily.csv")     # ReplayError: file, line and problem
    Simulator(replay=replay)                       # the other datasets stay synthetic
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from exporter.simulator.catalog import DATASET_FLOOR, OTHER_SLUG
from exporter.simulator.entities import DailyRow
from exporter.simulator.rankings import bucket_ranges, rank_bucket
from exporter.simulator.series import index_day

COLUMNS = ("date", "model_permaslug", "total_tokens")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOKENS_RE = re.compile(r"\d+")


class ReplayError(ValueError):
    """A file that cannot be replayed; the message names the file, the line and why."""


@dataclass(frozen=True, slots=True)
class ReplayDay:
    models: dict[str, int]
    """Tokens of each model the file lists that day (``other`` excluded)."""
    other: int
    """The day's ``other`` row (0 when the file has none)."""


@dataclass(frozen=True)
class Replay:
    """A parsed history: its days, from ``first`` to ``last`` (days the file skips have no
    rows, as a day missing from the live history)."""

    source: str
    days: dict[date, ReplayDay]

    @property
    def first(self) -> date:
        return min(self.days)

    @property
    def last(self) -> date:
        """The newest published day of the replay."""
        return max(self.days)

    @classmethod
    def load(cls, path: str | Path) -> Replay:
        try:
            with open(path, encoding="utf-8-sig", newline="") as f:
                return cls.parse(f, str(path))
        except OSError as e:
            raise ReplayError(f"{path}: cannot read: {e.strerror or e}") from None
        except UnicodeDecodeError as e:
            raise ReplayError(f"{path}: not UTF-8 text ({e.reason})") from None

    @classmethod
    def parse(cls, lines: Iterable[str], source: str = "<replay>") -> Replay:
        """Rows → Replay; the first problem found raises ReplayError."""
        reader = csv.reader(lines, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise ReplayError(f"{source}: empty file: expected a header {','.join(COLUMNS)}")
            index = _columns(header, source)
            models: dict[date, dict[str, int]] = {}
            others: dict[date, int] = {}
            seen: dict[tuple[date, str], int] = {}
            for fields in reader:
                line = reader.line_num
                if not fields:
                    continue
                where = f"{source}:{line}"
                if len(fields) != len(header):
                    raise ReplayError(
                        f"{where}: {len(fields)} fields, the header has {len(header)}"
                    )
                day, slug, tokens = (fields[index[c]] for c in COLUMNS)
                row = (_day(day, where), _slug(slug, where), _tokens(tokens, where))
                if (first := seen.setdefault(row[:2], line)) != line:
                    raise ReplayError(
                        f"{where}: {row[1]} on {row[0]} again (first on line {first})"
                    )
                if row[1] == OTHER_SLUG:
                    others[row[0]] = row[2]
                else:
                    models.setdefault(row[0], {})[row[1]] = row[2]
        except csv.Error as e:
            raise ReplayError(f"{source}:{reader.line_num}: not CSV: {e}") from None
        if not seen:
            raise ReplayError(f"{source}: no rows after the header")
        days = {
            d: ReplayDay(models.get(d, {}), others.get(d, 0)) for d in sorted({*models, *others})
        }
        return cls(source, days)

    def rows(self, start: date, end: date, period: str = "day") -> list[DailyRow]:
        """The API's rows for [start, end] by ``period`` (day, week or month): buckets dated
        by their first calendar day and holding only the days inside the window."""
        out: list[DailyRow] = []
        for bucket, a, b in bucket_ranges(start, end, period):
            days = [self.days[d] for d in _days(a, b) if d in self.days]
            if not days:
                continue
            totals: dict[str, int] = {}
            for day in days:
                for slug, tokens in day.models.items():
                    totals[slug] = totals.get(slug, 0) + tokens
            ranked = [(t, slug) for slug, t in totals.items() if t > 0]
            out.extend(rank_bucket(bucket, ranked, sum(d.other for d in days)))
        return out


def _columns(header: list[str], source: str) -> dict[str, int]:
    names = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise ReplayError(
            f"{source}:1: missing column{'s' * (len(missing) > 1)} {', '.join(missing)} "
            f"(the header must be {','.join(COLUMNS)})"
        )
    extra = [n for n in names if n not in COLUMNS]
    if extra or len(names) != len(COLUMNS):
        unexpected = extra[0] if extra else "a repeated one"
        raise ReplayError(
            f"{source}:1: unexpected column {unexpected!r} (the header must be {','.join(COLUMNS)})"
        )
    return {c: names.index(c) for c in COLUMNS}


def _day(raw: str, where: str) -> date:
    if not _DATE_RE.fullmatch(raw):
        raise ReplayError(f"{where}: bad date {raw!r}: expected YYYY-MM-DD")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ReplayError(f"{where}: bad date {raw!r}: not a calendar date") from None
    if day < DATASET_FLOOR:
        raise ReplayError(f"{where}: {raw} is before the dataset's first day, {DATASET_FLOOR}")
    return day


def _slug(raw: str, where: str) -> str:
    if not raw or raw != raw.strip():
        raise ReplayError(f"{where}: bad model_permaslug {raw!r}: empty or padded with spaces")
    return raw


def _tokens(raw: str, where: str) -> int:
    if not _TOKENS_RE.fullmatch(raw):
        raise ReplayError(f"{where}: bad total_tokens {raw!r}: expected a whole number >= 0")
    return int(raw)


def _days(a: int, b: int) -> Iterator[date]:
    return (index_day(i) for i in range(a, b + 1))
