"""The app-rankings history fetched so far, kept across runs so a stopped run resumes.

One JSON line per view and day in ``state_dir/backfill-apps/``, fsynced as it arrives: a
run that stops (budget, Ctrl-C, crash) loses at most the request in flight, and a line torn
by a crash only means that day is fetched again.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from exporter import durable
from exporter.datasets.apps.config import AppView
from exporter.datasets.apps.rows import AppRow
from exporter.datasets.history import AlreadyRunning

PROGRESS_DIR = "backfill-apps"


@dataclass(frozen=True)
class AppDay:
    """One fetched day of an app view: its rows and the response's meta.as_of."""

    rows: list[AppRow]
    as_of: datetime | None


def _view_file(view: AppView) -> str:
    return re.sub(r"[^a-z0-9.-]+", "_", view.name.lower()) + ".jsonl"


class AppProgress:
    """Fetched app rankings per view and day; one backfill at a time per state_dir."""

    what = "app rankings"
    requests = "app requests"

    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / PROGRESS_DIR
        self._lock_fd: int | None = None

    def lock(self) -> None:
        """One backfill at a time per state_dir, or two would fetch the same days twice."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(f"another backfill is running on {self.dir}") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _entries(self, view: AppView) -> Iterator[dict[str, Any]]:
        try:
            f = open(self.dir / _view_file(view), encoding="utf-8")  # noqa: SIM115
        except FileNotFoundError:
            return
        with f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line torn by a crash: that day is simply fetched again
                if (
                    isinstance(entry, dict)
                    and entry.get("view") == view.name
                    and entry.get("depth", 0) >= view.depth
                ):
                    yield entry

    def done_days(self, view: AppView) -> set[date]:
        return {date.fromisoformat(e["day"]) for e in self._entries(view)}

    def load(self, view: AppView) -> dict[date, AppDay]:
        days: dict[date, AppDay] = {}
        for e in self._entries(view):
            as_of = e.get("as_of")  # absent in progress files of earlier versions
            days[date.fromisoformat(e["day"])] = AppDay(
                [AppRow(*r) for r in e["rows"]],
                datetime.fromisoformat(as_of) if isinstance(as_of, str) else None,
            )
        return days

    def record(
        self, view: AppView, day: date, rows: Sequence[AppRow], as_of: datetime | None = None
    ) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        entry = {
            "view": view.name,
            "day": day.isoformat(),
            "depth": view.depth,
            "as_of": as_of.isoformat() if as_of else None,
            "rows": [
                [r.app_id, r.app_name, r.rank, r.total_requests, r.total_tokens] for r in rows
            ],
        }
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        durable.append_durably(self.dir / _view_file(view), line.encode("utf-8"))
