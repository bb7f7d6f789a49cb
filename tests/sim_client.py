"""Small conveniences for tests that talk to a Simulator in-process."""

from __future__ import annotations

import httpx

from exporter.simulator.api import Simulator

BASE_URL = "http://sim/api/v1"


def client_for(sim: Simulator, key: str | None = "sk-or-test") -> httpx.Client:
    """An httpx client wired to `sim` without sockets; `key=None` sends no Authorization."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return httpx.Client(transport=sim.transport(), base_url=BASE_URL, headers=headers)
