"""Every file the exporter writes: replaced atomically, or appended durably."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from exporter import durable


def test_atomic_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b"old")
    durable.atomic_write(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_writer_that_fails_midway_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "history.om"
    path.write_text("complete old file\n")
    with pytest.raises(OSError), durable.atomic_writer(path, "w") as f:
        f.write("half of the new")
        raise OSError("disk full")
    assert path.read_text() == "complete old file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["history.om"]


def test_concurrent_writers_never_share_a_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json"
    payloads = [bytes([65 + i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=durable.atomic_write, args=(path, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert path.read_bytes() in payloads  # one writer's whole content, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.json"]


def test_new_files_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        durable.atomic_write(tmp_path / "a", b"x")
    finally:
        os.umask(umask)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644


def test_append_after_a_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "log"
    durable.append_durably(path, b"one\n")
    with open(path, "ab") as f:
        f.write(b"tor")  # a crash mid-write
    durable.append_durably(path, b"two\n")
    assert path.read_bytes().splitlines() == [b"one", b"tor", b"two"]
