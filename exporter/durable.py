"""Durable file writes: every file the exporter and the backfill write goes through here.

Whole files (snapshots, scheduler state, the compacted request log, the backfill's output)
are replaced atomically: written under a unique temporary name beside the target, fsynced,
renamed over it, and the directory fsynced so the rename itself survives a power cut. A
crash leaves the old file or the new one, never a mix, and never a stray temporary file
under the target's name.

Logs (the request log, the backfill's progress) are appended: a line is fsynced before the
caller goes on, so a crash loses at most the line being written (a torn last line, which
their readers tolerate).

Callers use these through the module (``durable.atomic_write(...)``), so a test can replace
``atomic_writer`` or ``append_durably`` here and reach every writer (crash injection).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def fsync_dir(path: Path) -> None:
    """Make the directory's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """A file (``"wb"`` or ``"w"``, UTF-8) to write ``path``'s new content into; it replaces
    ``path`` on a clean exit. On an exception the temporary file is removed and ``path`` is
    left as it was."""
    # Unique per writer: a pid alone is not (two threads, or pid 1 in every container).
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        text = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **text) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    with atomic_writer(path) as f:
        f.write(data)


def append_durably(path: Path, data: bytes) -> None:
    """Append ``data`` (whole lines) to ``path`` and fsync it before returning.

    A file that did not exist has its directory entry synced too. After a torn last line
    (a crash mid-write) the data starts on a new line, so the fragment cannot swallow it.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size and not _ends_with_newline(path, size):
            data = b"\n" + data
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if size == 0:
        fsync_dir(path.parent)


def _ends_with_newline(path: Path, size: int) -> bool:
    with open(path, "rb") as f:
        f.seek(size - 1)
        return f.read(1) == b"\n"
