"""Every coupling between the soak and the exporter's internals, in one module.

The rest of the soak sees a process that can be built on a state directory, stepped, read
(what ``/metrics`` would send) and killed at chosen points. When the exporter's internals
move, this file is the one to port. Crashes inside the exporter's own writes are injected
at ``exporter.durable`` (``atomic_writer``, ``append_durably``), which every writer goes
through.
"""

from __future__ import annotations

import json
import os
import random
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NoReturn
from unittest import mock

import httpx

import exporter.budget
import exporter.durable
import exporter.store
from exporter.app import build
from exporter.client import Client, RateLimited
from exporter.config import Config
from exporter.configfile import parse_config
from exporter.datasets import REGISTRY, Publication
from exporter.planner import plan
from exporter.snapshot import Snapshot
from testsupport.maximal import MAXIMAL_CONFIG

CONFIGS: dict[str, dict] = {
    "default": {},
    "maximal": MAXIMAL_CONFIG,
    # The maximal views on a budget they cannot fit: app views rotate over published days.
    "stretched": {**MAXIMAL_CONFIG, "budget": {"requests_per_day": 250}},
}


REQUEST_LOG = "requests.log"


class Crash(BaseException):
    """The process dies here. A BaseException, so no ``except Exception`` in the exporter
    can swallow it; whatever ``finally`` blocks write on the way out is undone by
    restoring the state directory as it was when the crash was raised."""


@dataclass(frozen=True)
class ViewPromise:
    """What the budget plan promises for one exported view."""

    dataset: str
    view: str
    lag_days: int  # published days its data may trail the newest (rotated app views)
    session_every: float = 0.0  # session cost: checked this often (seconds)


@dataclass(frozen=True)
class Budgeted:
    per_minute: int
    per_day: int


def load_config(name: str) -> Config:
    return parse_config(CONFIGS[name])


def promises(cfg: Config) -> list[ViewPromise]:
    """Every exported view with the freshness the planner promises it (check-config's plan)."""
    p = plan(cfg)
    out: list[ViewPromise] = []
    for v in p.views:
        if v.view == "_detector":
            continue  # fetched, never exported
        rotated = v.dataset == "app-rankings" and p.rotation_days > 1
        # A view on a fixed cadence promises its dataset's interval, not each published day.
        ds = REGISTRY[v.dataset]
        every = 0.0 if ds.follows_days else float(getattr(ds, "every", 0.0))
        out.append(ViewPromise(v.dataset, v.view, p.rotation_days - 1 if rotated else 0, every))
    return out


def fill_days(cfg: Config) -> int:
    """Whole days the first fetch of every view takes beyond the first: a stretched config
    costs more than a day's budget to fill, so the plan's promises start after that."""
    p = plan(cfg)
    first = p.round_cost + p.scheduled_per_day + 1  # every view once, and the detector
    return first // p.budget_per_day


def budget_limits(cfg: Config) -> Budgeted:
    """The limits to hold the exporter to: the API's per-key minute, the daily budget less
    the reserve."""
    return Budgeted(cfg.budget.requests_per_minute, cfg.budget.effective_per_day)


def request_timeout(cfg: Config) -> float:
    return cfg.openrouter.timeout


# --- the process ---------------------------------------------------------------------


class ExporterProcess:
    """One exporter process: built from what is on disk, stepped by the soak."""

    def __init__(
        self,
        cfg: Config,
        key: str,
        transport: httpx.BaseTransport,
        clock: Callable[[], float],
        state_dir: Path,
        rng: random.Random,
    ) -> None:
        self._exporter = build(
            cfg, key, transport=transport, clock=clock, state_dir=state_dir, rng=rng
        )

    def step(self) -> float:
        """Do what is due (at most one view refresh); seconds until something is due."""
        return self._exporter.scheduler.step()

    def rendering(self) -> object:
        """Identity of the current dataset rendering: it changes whenever data does."""
        return self._exporter.cache.current

    def dataset_text(self) -> bytes:
        """The cached dataset part of /metrics."""
        return self._exporter.cache.current.text

    def self_metrics_text(self) -> bytes:
        """The live self-metrics /metrics appends (text format)."""
        return self._exporter.self_metrics.exposition(False)

    def close(self) -> None:
        self._exporter.client.close()


# --- crash seams ---------------------------------------------------------------------


class Seams:
    """Where a crash can be injected inside the exporter's own writes, and what the soak
    learns from them: which snapshot became durable, with which ``as_of``."""

    def __init__(self, die: Callable[[str], NoReturn]) -> None:
        self.die = die
        self.armed: str | None = None  # "snapshot-write" | "log-append"
        self.durable: list[tuple[tuple[str, str], float]] = []  # (view key, as_of)

    def take(self, kind: str) -> bool:
        if self.armed != kind:
            return False
        self.armed = None
        return True


@contextmanager
def _torn_at_fsync(before: int, die: Callable[[str], NoReturn], what: str) -> Iterator[None]:
    """At the next fsync of a file, cut off the second half of what was written to it
    after its first ``before`` bytes, then die: a torn write, whatever the code writes to
    (a temp file, or the final file if it wrote in place)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            return real(fd)  # the directory, after a rename: the file is done
        size = os.fstat(fd).st_size
        os.ftruncate(fd, before + max(0, size - before) // 2)
        die(what)

    with mock.patch("os.fsync", fsync):
        yield
    die(f"{what} (no fsync)")  # a writer that never syncs dies right after writing


def install_seams(seams: Seams) -> ExitStack:
    """Patch the exporter's durable writes (``exporter.durable``: every whole-file write and
    every log append goes through it); undo with ``.close()``."""
    stack = ExitStack()
    real_writer = exporter.durable.atomic_writer

    @contextmanager
    def atomic_writer(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
        # Snapshots and the scheduler's state; not the request log's compaction, which
        # also runs when the soak reads the budget metrics, outside a step.
        if path.name != REQUEST_LOG and seams.take("snapshot-write"):
            torn: AbstractContextManager[None] = _torn_at_fsync(0, seams.die, "snapshot-write")
        else:
            torn = nullcontext()
        with torn, real_writer(path, mode) as f:
            yield f
        if path.parent.name == "snapshots":
            seams.durable.append(_snapshot_as_of(path.read_bytes()))

    real_append = exporter.durable.append_durably

    def append_durably(path: Path, data: bytes) -> None:
        if path.name == REQUEST_LOG and seams.take("log-append"):
            before = path.stat().st_size if path.exists() else 0
            with _torn_at_fsync(before, seams.die, "log-append"):
                real_append(path, data)
        real_append(path, data)

    stack.enter_context(mock.patch.object(exporter.durable, "atomic_writer", atomic_writer))
    stack.enter_context(mock.patch.object(exporter.durable, "append_durably", append_durably))
    return stack


def _snapshot_as_of(data: bytes) -> tuple[tuple[str, str], float]:
    d = json.loads(data)
    as_of = d["meta"].get("as_of")
    return (d["dataset"], d["view"]), datetime.fromisoformat(as_of).timestamp() if as_of else 0.0


def snapshot_files(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "snapshots").glob("*.json"))


def moved_aside(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "snapshots").glob("*.corrupt-*"))


def snapshot_key(path: Path) -> tuple[str, str] | None:
    try:
        d = json.loads(path.read_bytes())
        return (d["dataset"], d["view"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- deliberately broken components (for the test that the soak catches them) ---------


def break_component(name: str) -> ExitStack:
    """Apply one known-bad change to the exporter; undo with ``.close()``."""
    stack = ExitStack()
    if name == "store-not-loaded":
        # Serving before the store is loaded: a restart starts empty.
        stack.enter_context(mock.patch.object(exporter.store.Store, "load", lambda *a, **k: 0))
    elif name == "429-not-counted":
        # A refused request is taken back out of the request log.
        real_get = Client.get

        def get(client: Client, endpoint: str, params: dict, **kw: Any) -> object:
            log = client._spend.__self__.path  # type: ignore[attr-defined]
            size = log.stat().st_size
            try:
                return real_get(client, endpoint, params, **kw)
            except RateLimited:
                os.truncate(log, size)
                raise

        stack.enter_context(mock.patch.object(Client, "get", get))
    elif name == "write-in-place":
        # Snapshots written straight over the old file: a crash mid-write tears it.
        real_writer = exporter.durable.atomic_writer

        @contextmanager
        def in_place(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
            if path.parent.name != "snapshots":
                with real_writer(path, mode) as w:
                    yield w
                return
            with open(path, mode) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())

        stack.enter_context(mock.patch.object(exporter.durable, "atomic_writer", in_place))
    elif name == "no-minute-limit":
        real_init = exporter.budget.Budget.__init__

        def init(budget: exporter.budget.Budget, per_minute: int, *a: object, **k: object) -> None:
            real_init(budget, 10_000, *a, **k)  # type: ignore[arg-type]

        stack.enter_context(mock.patch.object(exporter.budget.Budget, "__init__", init))
    elif name == "cache-not-updated":
        # A refreshed snapshot reaches the disk but /metrics keeps the old one.
        real_put = exporter.store.Store.put_many

        def put_many(store: exporter.store.Store, snaps: list[Snapshot]) -> None:
            if not all(s.key in store.snapshots() for s in snaps):
                return real_put(store, snaps)
            store._swap = lambda change: None  # type: ignore[method-assign]
            try:
                real_put(store, snaps)
            finally:
                del store._swap

        stack.enter_context(mock.patch.object(exporter.store.Store, "put_many", put_many))
    elif name == "lazy-detector":
        # Looks for a new day twice a day instead of every few minutes.
        def next_detect(days: Publication, now: float) -> float:
            return now + 12 * 3600.0

        stack.enter_context(mock.patch.object(Publication, "next_detect", next_detect))
    else:
        raise ValueError(f"unknown broken component {name!r}")
    return stack


BROKEN_COMPONENTS = (
    "store-not-loaded",
    "429-not-counted",
    "write-in-place",
    "no-minute-limit",
    "cache-not-updated",
    "lazy-detector",
)
