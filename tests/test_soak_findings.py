"""Bugs the soak found (`make soak`), each reproduced at unit scale so it stays fixed.

- A request recorded right after a torn request-log line was appended to the fragment and
  took the fragment's time: if it then crashed in flight, it left the 24 h window early
  (soak: stretched config, seed 6).
"""

from __future__ import annotations

from pathlib import Path

from exporter.budget import DAY, Budget


def test_a_request_recorded_after_a_torn_line_keeps_its_own_time(tmp_path: Path) -> None:
    log = tmp_path / "requests.log"
    log.write_bytes(b"1000.0 rankings-daily 5f97")  # a crash cut this line short
    now = [50_000.0]
    budget = Budget(30, 500, log, clock=lambda: now[0])
    budget.acquire("app-rankings")  # recorded, sent, and the process dies before done()
    now[0] = 1000.0 + DAY + 10  # the torn line's time has left the window; ours has not
    restarted = Budget(30, 500, log, clock=lambda: now[0])
    assert restarted.used()["24h"] == 1
