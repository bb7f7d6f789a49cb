"""A fixed set of API responses renders to a committed exposition that promtool accepts.

Regenerate after an intended change with: UPDATE_GOLDEN=1 make test
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import FAKE_KEY, GOLDEN, drive, promtool_check_metrics

from exporter.app import Exporter, build
from exporter.config import Config
from exporter.simulator import ManualClock

GOLDEN_FILE = GOLDEN / "exposition.prom"


def render_golden(cfg: Config, clock: ManualClock, state: Path) -> tuple[Exporter, bytes]:
    exporter = build(cfg, FAKE_KEY, clock=clock.timestamp, state_dir=state)
    drive(exporter.scheduler.step, clock, clock.timestamp() + 120)
    return exporter, exporter.cache.current.text


def test_golden_exposition(golden_api, golden_config, clock, tmp_path):
    exporter, text = render_golden(golden_config, clock, tmp_path)
    assert all(s.up for s in exporter.scheduler.statuses())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_FILE.write_bytes(text)
    assert text.decode() == GOLDEN_FILE.read_text(encoding="utf-8")


def test_golden_file_passes_promtool_lint():
    result = promtool_check_metrics(GOLDEN_FILE.read_bytes())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""


def test_full_scrape_passes_promtool_lint(golden_api, golden_config, clock, tmp_path):
    """Dataset part and self-metrics together, as Prometheus scrapes them."""
    exporter, _text = render_golden(golden_config, clock, tmp_path)
    full = exporter.cache.current.body(False, exporter.self_metrics.recent(False))
    assert b"openrouter_exporter_view_up{" in full and b"_created" not in full
    result = promtool_check_metrics(full)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout
