"""The OpenMetrics file: timestamped samples, one contiguous block per family, ``# EOF``.

Families must not be interleaved, so each family is spooled to its own temporary file while
the views are processed one at a time, and the spools are joined at the end: memory stays at
one view's history however long the file grows. Sample lines are the live collectors' own
lines (same names, labels, escaping, value formatting) with the ``--label`` target labels
and a timestamp added.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from exporter import durable
from exporter.datasets.history import Shown
from exporter.metrictext import Family, Fragment, escape_label


@dataclass
class WriteStats:
    samples: int = 0
    bytes: int = 0
    series: int = 0


class OpenMetricsWriter:
    """Timestamped samples, one contiguous block per family, ``# EOF`` at the end.

    Each family goes to its own spool file as views are added and the spools are joined on
    ``close``, so families are never interleaved and nothing is held in memory but the view
    being added. Within a series, intervals are added in time order, so timestamps strictly
    increase. The file appears under its name only when complete (``exporter.durable``).
    """

    def __init__(
        self,
        path: Path,
        families: Sequence[Family],
        *,
        t0: int,
        t1: int,
        step: int,
        labels: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.path = path
        self.families = list(families)
        self.t0, self.t1, self.step = t0, t1, step
        self._extra = "".join(f',{n}="{escape_label(v)}"' for n, v in labels)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Closed in close()/abort(); unnamed, so a crash leaves nothing behind.
        self._spools: dict[str, IO[str]] = {
            f.name: tempfile.TemporaryFile(  # noqa: SIM115
                "w+",
                encoding="utf-8",
                newline="\n",
                dir=path.parent,
                prefix=".backfill-",
            )
            for f in self.families
        }
        self.stats = WriteStats()

    def add(self, shown: Iterable[tuple[Shown, Fragment]]) -> None:
        """One view's history: each period's rendered lines and when they were showing."""
        by_family: dict[str, dict[str, list[tuple[int, int, str]]]] = {}
        for interval, fragment in shown:
            a = max(interval.start, self.t0)
            b = min(interval.until, self.t1)
            if a >= b:
                continue
            for name, text in fragment.items():
                if name not in self._spools:
                    continue
                series = by_family.setdefault(name, {})
                # split("\n"), not splitlines(): an app name may hold U+2028 and the like.
                for line in text.split("\n"):
                    if line:
                        key, _, value = line.rpartition(" ")
                        series.setdefault(key, []).append((a, b, value))
        step = self.step
        for name, series in by_family.items():
            out = self._spools[name]
            for key, runs in series.items():
                labelled = f"{key[:-1]}{self._extra}}}" if self._extra else key
                written = 0
                for a, b, value in runs:
                    first = -(-a // step) * step  # on the step grid: reruns give equal stamps
                    prefix = f"{labelled} {value} "
                    stamps = range(first, b, step)
                    if stamps:
                        out.write("".join([f"{prefix}{t}\n" for t in stamps]))
                        written += len(stamps)
                if written:
                    self.stats.samples += written
                    self.stats.series += 1

    def close(self) -> WriteStats:
        try:
            # A half-written file would only fail in promtool: it appears whole or not at all.
            with durable.atomic_writer(self.path, "w") as f:
                for family in self.families:
                    spool = self._spools[family.name]
                    if spool.tell() == 0:
                        continue
                    f.write(family.header())
                    spool.seek(0)
                    shutil.copyfileobj(spool, f, 1 << 20)
                f.write("# EOF\n")
                self.stats.bytes = f.tell()
        finally:
            self.abort()
        return self.stats

    def abort(self) -> None:
        for spool in self._spools.values():
            spool.close()
