"""Sliding-window request budget over a persistent, shared request log.

Both limits are sliding windows (last 60 s, last 24 h); a sliding 24 h cap also keeps any
calendar-day cap. Every request is appended to ``requests.log`` and fsynced *before* it is
sent, under an exclusive file lock, and the log is re-read under that lock: a crash loop,
a restart, or a backfill running beside the exporter all see the same spend.

The one way to send a request is ``with budget.spend(endpoint):``. It records the request
on entry (or raises ``BudgetExhausted``) and, on exit, whether the request succeeded or
raised, moves its entry to the finishing time: the API counts a request when it arrives,
which is after we recorded it, so counting from the later of the two keeps our window at
least as strict as the API's, whatever the network's latency.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from exporter import durable
from exporter.periods import count_within, within

log = logging.getLogger(__name__)

MINUTE = 60.0
DAY = 86400.0
USED_MAX_AGE = 1.0  # seconds the metrics may lag another process's spend


class BudgetExhausted(Exception):
    """No request fits now; ``wait`` is when one may fit again (seconds)."""

    def __init__(self, wait: float, window: str) -> None:
        super().__init__(
            f"request budget for the last {window} is used up; next slot in {wait:.0f}s"
        )
        self.wait = wait
        self.window = window


def parse_log(data: bytes, now: float) -> tuple[list[tuple[float, str]], int]:
    """The requests of the last 24 h as sorted (time, endpoint), and how many lines were
    unreadable (each counted as a request sent now: a torn line may have gone out).

    A request has a line when it was recorded and one when it finished, with the same id;
    it counts once, at the later time. A clock that went backwards must not hide spend, so
    a future time counts as now.
    """
    latest: dict[bytes, tuple[float, str]] = {}
    anonymous: list[tuple[float, str]] = []
    bad = 0
    for line in data.splitlines():
        fields = line.split()
        try:
            t = min(float(fields[0]), now)
        except (ValueError, IndexError):
            bad += 1
            t = now
        endpoint = fields[1].decode("ascii", "replace") if len(fields) > 1 else ""
        if len(fields) >= 3:
            if fields[2] not in latest or latest[fields[2]][0] < t:
                latest[fields[2]] = (t, endpoint)
        else:
            anonymous.append((t, endpoint))
    entries = sorted(e for e in [*latest.values(), *anonymous] if e[0] > now - DAY)
    return entries, bad


def read_log(path: Path, now: float) -> list[tuple[float, str]]:
    """Read-only view of a request log (no lock, no compaction): for plans and estimates.
    ``Budget.spend`` is what enforces the limits."""
    try:
        return parse_log(path.read_bytes(), now)[0]
    except OSError:
        return []


class Budget:
    def __init__(
        self,
        per_minute: int,
        per_day: int,
        path: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self.path = path
        self._clock = clock
        self._times: list[float] = []
        self._read_at = -float("inf")
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            pass

    # --- persistence ----------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the log's lock and have ``_times`` reflect the file (other writers too)."""
        fd = self._lock()
        try:
            self._times = self._read(fd)
            self._read_at = self._clock()
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _lock(self) -> int:
        """An open descriptor of the log, exclusively locked."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            # Compacted (replaced) while we waited: the lock is on a file that is no
            # longer the log. Lock the new one.
            os.close(fd)

    def _read(self, fd: int) -> list[float]:
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        data = b"".join(chunks)
        entries, bad = parse_log(data, self._clock())
        if bad:
            log.warning("request log %s: %d unreadable line(s) counted as sent now", self.path, bad)
        times = [t for t, _ in entries]
        if data.count(b"\n") > 3 * len(times) + 64:  # mostly expired: keep the file small
            self._compact(times)
        return times

    def _compact(self, times: list[float]) -> None:
        # Replaced under the lock: a writer waiting on the old file notices (``_lock``).
        with durable.atomic_writer(self.path, "w") as f:
            f.writelines(f"{t!r}\n" for t in times)

    def _append(self, t: float, endpoint: str, ident: str) -> None:
        # Full precision: exact windows.
        durable.append_durably(self.path, f"{t!r} {endpoint or '-'} {ident}\n".encode("ascii"))

    # --- accounting -----------------------------------------------------------------

    def _wait(self, times: list[float], now: float, n: int) -> float:
        def window_wait(span: float, limit: int) -> float:
            inside = within(times, now, span)
            excess = len(inside) + n - limit
            if excess <= 0:
                return 0.0
            if n > limit:
                return float("inf")
            return inside[excess - 1] + span - now

        return max(window_wait(MINUTE, self.per_minute), window_wait(DAY, self.per_day))

    def used(self) -> dict[str, int]:
        """Spend per window, for the metrics. Scrapes call this: the file is re-read (under
        the lock) at most every ``USED_MAX_AGE`` seconds, not once per scrape."""
        if self._clock() - self._read_at >= USED_MAX_AGE:
            with self._locked():
                pass
        now = self._clock()
        times = self._times
        return {"1m": count_within(times, now, MINUTE), "24h": count_within(times, now, DAY)}

    def wait_time(self, n: int = 1) -> float:
        """Seconds until ``n`` more requests fit in both windows (0: now)."""
        with self._locked():
            return self._wait(self._times, self._clock(), n)

    @contextmanager
    def spend(self, endpoint: str = "") -> Iterator[None]:
        """Around one request: recorded (fsynced) before the body runs, or BudgetExhausted;
        moved to the finishing time when the body ends, however it ends."""
        # Random, not pid-based: in a container every restart is pid 1.
        ident = os.urandom(8).hex()
        with self._locked():
            now = self._clock()
            wait = self._wait(self._times, now, 1)
            if wait > 0:
                full = count_within(self._times, now, MINUTE) >= self.per_minute
                raise BudgetExhausted(wait, "minute" if full else "24 hours")
            self._times.append(now)
            self._append(now, endpoint, ident)
        try:
            yield
        finally:
            with self._locked():
                self._append(self._clock(), endpoint, ident)
