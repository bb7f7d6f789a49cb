"""Views the API refused (400), remembered across restarts until their config changes.

A 400 means the request itself is wrong (an unknown category, say): asking again gains
nothing, so the view is held until its config changes. Each refusal is kept with the
view's fingerprint (its config) in ``state_dir/scheduler.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

from exporter import durable
from exporter.datasets import View
from exporter.viewstatus import Key, ViewState

log = logging.getLogger(__name__)


class Refusals:
    def __init__(self, state_dir: Path | None) -> None:
        self.path = state_dir / "scheduler.json" if state_dir is not None else None

    def load(self) -> dict[Key, tuple[str, str]]:
        """view key → (fingerprint, the API's message)."""
        out: dict[Key, tuple[str, str]] = {}
        for name, entry in self._read().get("misconfigured", {}).items():
            dataset, sep, view = str(name).partition("|")
            if sep and isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
                out[(dataset, view)] = (entry["fingerprint"], str(entry.get("message", "400")))
        return out

    def save(self, views: Iterable[View]) -> None:
        """Replace the record with every view that is misconfigured now."""
        if self.path is None:
            return
        state = {
            "misconfigured": {
                f"{v.key[0]}|{v.key[1]}": {
                    "fingerprint": v.fingerprint,
                    "message": v.status.message or "400",
                }
                for v in views
                if v.status.state is ViewState.MISCONFIGURED
            }
        }
        durable.atomic_write(self.path, json.dumps(state, indent=1).encode())

    def _read(self) -> dict:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("scheduler state %s unreadable (%s); starting without it", self.path, e)
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("misconfigured", {}), dict):
            return {}
        return data
