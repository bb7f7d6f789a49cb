"""`make alert-noise`: the shipped market alerts replayed over real days of the market.

The e2e case runs the whole pipeline (fake-api --replay, the exporter's backfill, promtool,
a real Prometheus, the shipped rules) on ten real days and reads its report as other tools
do: the three closing lines, a total that is the table's sum, the synthetic app views'
notifications on a line of their own (the app alerts' sum), and a re-entry into the daily
top 10 that the data holds (cohere/command-r, back on 2025-01-10 after 2025-01-07).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from mixin.config import MixinConfig
from tools.alert_noise import noise
from tools.alert_noise.rules import recording_passes

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests/fixtures/real-market/rankings-daily-2025-01-01_2025-03-04.csv"
SLICE = ("2025-01-05", "2025-01-14")
APP_ALERTS = (
    "OpenRouterAppRankDropped",
    "OpenRouterAppEnteredTopN",
    "OpenRouterAppLeftTopN",
    "OpenRouterWatchedAppRankChanged",
)
CLOSING = [
    r"notifications in total: (\d+)",
    r"notifications per published day: median (\d+(?:\.\d+)?)",
    r"re-entries within (\d+) days: (\d+)",
]


def test_a_recording_rule_reading_another_is_recorded_in_a_later_pass(tmp_path: Path) -> None:
    """A rule can only read what Prometheus holds, so one that reads another rule's
    series is evaluated once that series has been recorded."""
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "groups:\n"
        "  - name: g\n"
        "    rules:\n"
        "      - record: b:x:sum\n"
        "        expr: sum(a:x:max) + sum(a:x:max_total)\n"
        "      - record: a:x:max\n"
        "        expr: max(x)\n"
        "      - record: c:x:ratio\n"
        "        expr: b:x:sum / a:x:max\n"
        "      - record: a:x:max_total\n"
        "        expr: max(x_total)\n"
    )
    passes = [
        [r["record"] for g in p["groups"] for r in g["rules"]] for p in recording_passes(rules)
    ]
    assert passes == [["a:x:max", "a:x:max_total"], ["b:x:sum"], ["c:x:ratio"]]


def test_the_digest_is_one_message_per_published_day_with_a_move() -> None:
    # Days 1-4 after the baseline: two model alerts on day 1, one on day 3, an app alert
    # on days 1 and 2 (the same route and digest), none on day 4.
    counts = [
        noise.AlertCount("OpenRouterNewTopModel", [2, 0, 1, 0], [0, 0, 0, 0], {}),
        noise.AlertCount("OpenRouterModelRankChanged", [1, 0, 0, 0], [0, 0, 0, 0], {}),
        noise.AlertCount("OpenRouterAppLeftTopN", [0, 0, 0, 0], [1, 1, 0, 0], {}),
    ]
    assert noise.digest_line(counts) == (
        "digest messages: 3 on 3 published days with a move, model and app views (one per "
        "day; 4 days, the busiest 4 notifications)"
    )
    assert noise.app_line(counts) == (
        "app views (synthetic, not counted below): 2 notifications, median 0.5 per published day"
    )
    assert noise.closing_lines(counts, 0, 7)[:2] == [
        "notifications in total: 4",
        "notifications per published day: median 0.5",
    ]


def test_the_shipped_recording_rules_are_all_recorded() -> None:
    shipped = ROOT / "prometheus/rules/openrouter-recording.yml"
    text = shipped.read_text()
    recorded = [
        r["record"] for p in recording_passes(shipped) for g in p["groups"] for r in g["rules"]
    ]
    assert sorted(recorded) == sorted(re.findall(r"- record: (\S+)", text))


@pytest.mark.e2e
def test_alert_noise_over_ten_real_days(tmp_path: Path) -> None:
    # The tool starts its own Prometheus and promtool (and says when one is missing).
    part = tmp_path / "ten-days.csv"
    with REAL.open(newline="") as f, part.open("w", newline="") as out:
        reader = csv.reader(f)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        writer.writerows(r for r in reader if SLICE[0] <= r[0] <= SLICE[1])
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "tools.alert_noise", "--replay", str(part)],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    closing = [re.fullmatch(p, line) for p, line in zip(CLOSING, lines[-3:], strict=True)]
    assert all(closing), lines[-3:]
    total, k, reentries = int(closing[0][1]), int(closing[2][1]), int(closing[2][2])
    assert k == getattr(MixinConfig().thresholds, "reentry_days", 7)
    header = lines.index(next(line for line in lines if line.startswith("alert ")))
    row = r"(OpenRouter\w+)\s+(\d+)\s+\S+\s+\d+\s+(\d+)\s"  # name, total, ..., apps
    rows = [re.match(row, line) for line in lines[header + 1 :]]
    table = {m[1]: int(m[2]) for m in rows if m}
    apps = {m[1]: int(m[3]) for m in rows if m}
    assert "OpenRouterNewTopModel" in table and "OpenRouterModelRankChanged" in table
    assert total == sum(table.values()) > 0
    # The synthetic app views (backfill --apps) on a line of their own, not in the total.
    app_line = r"app views \(synthetic, not counted below\): (\d+) notifications, median [\d.]+ .*"
    app = [m for m in (re.fullmatch(app_line, line) for line in lines) if m]
    assert len(app) == 1, lines
    assert int(app[0][1]) == sum(apps.values()) == sum(apps[a] for a in APP_ALERTS)
    # AppLeftTopN's outage guard reads every app view's view_up: only a healthy exporter's
    # app views let it fire (the seeded synthetic market has leaves in these days).
    assert apps["OpenRouterAppLeftTopN"] > 0, lines
    # What the market digest would have sent: one message per published day with a move,
    # on a model or an app view.
    digest = re.fullmatch(r"digest messages: (\d+) on \1 published days with a move, .*", lines[-4])
    after_first = (date.fromisoformat(SLICE[1]) - date.fromisoformat(SLICE[0])).days
    assert digest and 1 <= int(digest[1]) <= min(total + int(app[0][1]), after_first), lines[-4]

    listed = [line for line in lines if line.strip().startswith("re-entry ")]
    notified = [line for line in listed if line.endswith(" NOTIFIED")]
    assert len(notified) == reentries == 0, notified  # a swap coming back is no news
    # The slice has re-entries to keep quiet, and entries that are news.
    assert "  re-entry 2025-01-10 daily: cohere/command-r (in the top 10 on 2025-01-07)" in lines
    assert table["OpenRouterNewTopModel"] > 0
    assert not list(scratch.iterdir()), "the work directory was left behind"
