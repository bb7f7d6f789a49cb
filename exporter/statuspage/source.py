"""What the status page reads: a small interface the running exporter provides
(``exporter.app.Exporter`` satisfies it), so the page never reaches into the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from exporter.config import Config
from exporter.planner import Plan
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key, ViewStatus


class PageSource(Protocol):
    """In-memory state only: every member answers without I/O."""

    @property
    def cfg(self) -> Config: ...

    @property
    def demo(self) -> bool: ...  # serving the built-in simulator

    @property
    def has_key(self) -> bool: ...

    @property
    def plan(self) -> Plan: ...

    @property
    def hold_until(self) -> float: ...  # the scheduler's pause after a 429 or a 401

    @property
    def unauthorized(self) -> bool: ...

    @property
    def outage(self) -> bool: ...

    def now(self) -> float: ...

    def snapshots(self) -> Mapping[Key, Snapshot]: ...

    def statuses(self) -> Iterable[ViewStatus]: ...

    def budget_figures(self) -> tuple[dict[str, int], dict[str, int]]: ...

    def budget_wait(self, requests: int) -> float: ...  # seconds until that many fit
