"""Last good snapshot per view, in memory and on disk.

Writes are atomic (``exporter.durable``: temp file, fsync, rename, fsync of the directory),
so a crash leaves either the old or the new snapshot. A file that cannot be read back is
moved aside with a log line; it never stops the exporter. Readers get an immutable mapping
that is swapped whole on each change.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from urllib.parse import quote, unquote

from exporter import durable
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

log = logging.getLogger(__name__)


class Store:
    def __init__(
        self, state_dir: Path | None, row_types: Mapping[str, type], *, create: bool = True
    ) -> None:
        """``row_types``: each dataset's row type (``exporter.datasets.ROW_TYPES``), what a
        stored file is read back as. ``create=False``: only read what is there (a dry run
        writes nothing)."""
        self.row_types = row_types
        self.dir = state_dir / "snapshots" if state_dir is not None else None
        self._lock = threading.Lock()
        self._snapshots: Mapping[Key, Snapshot] = MappingProxyType({})
        self._listeners: list[Callable[[Mapping[Key, Snapshot]], None]] = []
        self._writable = create
        if self.dir is not None and create:
            self.dir.mkdir(parents=True, exist_ok=True)

    def _file(self, key: Key) -> Path:
        assert self.dir is not None
        return self.dir / f"{quote(key[0], safe='')}__{quote(key[1], safe='')}.json"

    def snapshots(self) -> Mapping[Key, Snapshot]:
        return self._snapshots

    def on_change(self, listener: Callable[[Mapping[Key, Snapshot]], None]) -> None:
        self._listeners.append(listener)

    def load(self, wanted: Iterable[Key] | None = None) -> int:
        """Read stored snapshots (only ``wanted`` views when given); returns how many."""
        if self.dir is None:
            self._swap(dict)
            return 0
        if self._writable:
            self._sweep_temp_files()
        wanted_set = set(wanted) if wanted is not None else None
        loaded: dict[Key, Snapshot] = {}
        for path in sorted(self.dir.glob("*.json")):
            dataset, sep, view = path.stem.partition("__")
            key = (unquote(dataset), unquote(view))
            if not sep or (wanted_set is not None and key not in wanted_set):
                continue
            try:
                snap = Snapshot.from_json(json.loads(path.read_bytes()), self.row_types)
                if snap.key != key:
                    raise ValueError(f"file holds {snap.key}, not {key}")
            except Exception as e:  # any damage: move aside, keep going
                if not self._writable:  # a dry run, a backfill's estimate: only look
                    log.warning("state file %s is unreadable (%s); skipped", path, str(e)[:200])
                    continue
                aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
                os.replace(path, aside)
                log.warning(
                    "state file %s is unreadable (%s); moved aside to %s",
                    path,
                    str(e)[:200],
                    aside.name,
                )
                continue
            loaded[key] = snap
        # Always one swap, even of nothing: listeners render the exposition once at start.
        self._swap(lambda current: {**current, **loaded})
        return len(loaded)

    def _sweep_temp_files(self, older_than: float = 3600.0) -> None:
        """Remove what a crash mid-write left: a temporary file is never renamed after its
        writer died. Only old ones, since another process may be writing a fresh one."""
        assert self.dir is not None
        for tmp in self.dir.glob(".*.tmp"):
            try:
                if time.time() - tmp.stat().st_mtime > older_than:
                    tmp.unlink()
                    log.info("removed %s, left by an interrupted write", tmp.name)
            except OSError:
                continue  # gone already, or not ours to remove: harmless either way

    def put(self, snap: Snapshot) -> None:
        self.put_many([snap])

    def put_many(self, snaps: Iterable[Snapshot]) -> None:
        """Store several snapshots and publish them in one swap: readers see all or none."""
        snaps = list(snaps)
        if self.dir is not None:
            for snap in snaps:
                durable.atomic_write(
                    self._file(snap.key),
                    json.dumps(snap.to_json(), ensure_ascii=False).encode("utf-8"),
                )
        self._swap(lambda current: {**current, **{s.key: s for s in snaps}})

    def _swap(self, change: Callable[[Mapping[Key, Snapshot]], dict[Key, Snapshot]]) -> None:
        # Listeners run under the lock so a slower render can never overwrite a newer one.
        with self._lock:
            new = MappingProxyType(change(self._snapshots))
            self._snapshots = new
            for listener in self._listeners:
                listener(new)
