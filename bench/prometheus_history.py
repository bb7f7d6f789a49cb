"""A week of history for `make bench-prometheus`: what the rules that look back read.

A Prometheus that has run our rules for a week holds the recorded app ranks
(``openrouter:app_rank:latest``, and of them what the alerts compare,
``openrouter:app_rank:alerted``) and the scraped model ranks of every day before. "A day
ago", the best recent rank and the model rank changes read them at every evaluation, the
app panels' rank changes when they are drawn; on a fresh server those find nothing and
cost almost nothing, which is not what a user pays.
So before the servers start, this writes that history for every app and model series the
exporter serves, one sample an hour (what the rules' one-hour bridge reads over), with
ranks that move a little every day, into a TSDB block both servers load.
"""

from __future__ import annotations

import shutil
import subprocess
import zlib
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from mixin.config import MixinConfig
from mixin.promql import ALERTED_APP_RANK, ALERTED_SORT, APP_RANK

HOUR = 3600
# The newest hours are the servers' own (promtool must not write into a head block's span).
HEAD_HOURS = 3
RECORDED_APPS = APP_RANK.recorded()  # what the app panels look back at
RAW_MODELS = "openrouter_model_rank"  # the model rules look back at the raw series
APP_LABELS = ("window", "sort", "category", "subcategory", "app_id", "app")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _series(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{_quote(v)}"' for k, v in labels.items())


def _rank(rank: float, key: str, day: int) -> int:
    """The rank on an earlier day: within three places of today's, changing daily."""
    return max(1, int(rank) + (zlib.crc32(f"{key}/{day}".encode()) % 7) - 3)


def openmetrics(exposition: str, job: str, instance: str, days: int, now: float) -> str:
    """OpenMetrics text (seconds, `# EOF`) of ``days`` of hourly history before ``now``."""
    apps: list[tuple[dict[str, str], float]] = []
    models: list[tuple[dict[str, str], float]] = []
    watched: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == "openrouter_app_rank":
                apps.append(({k: s.labels.get(k, "") for k in APP_LABELS}, s.value))
            elif s.name == RAW_MODELS:
                models.append(({"job": job, "instance": instance, **s.labels}, s.value))
            elif s.name == "openrouter_watched_app_info":
                watched.add(s.labels["app_id"])
    last = int(now // HOUR) - HEAD_HOURS
    hours = range(last - days * 24, last + 1)
    top_n = MixinConfig().thresholds.app_top_n
    out, alerted = [], [f"# TYPE {ALERTED_APP_RANK} gauge"]
    sort, popular = ALERTED_SORT  # the rankings the alerts watch
    for name, series in ((RECORDED_APPS, apps), (RAW_MODELS, models)):
        out.append(f"# TYPE {name} gauge")
        for labels, rank in series:
            head = f"{name}{{{_series(labels)}}}"
            ranks = [(h, _rank(rank, head, h // 24)) for h in hours]
            out += [f"{head} {r} {h * HOUR}" for h, r in ranks]
            if name == RECORDED_APPS and labels[sort] == popular:
                # What the rules record of it: the top N and the watched apps.
                keep = labels["app_id"] in watched
                head = f"{ALERTED_APP_RANK}{{{_series(labels)}}}"
                alerted += [f"{head} {r} {h * HOUR}" for h, r in ranks if keep or r <= top_n]
    out += [*alerted, "# EOF"]
    return "\n".join(out) + "\n"


def write_blocks(text: str, tmp: Path, into: list[Path]) -> int:
    """Convert with promtool and copy the blocks into each data dir; the samples written."""
    source, blocks = tmp / "history.om", tmp / "history-blocks"
    source.write_text(text)
    promtool = shutil.which("promtool")
    if not promtool:
        raise RuntimeError("promtool not found: `make prometheus-tools` installs it")
    # One block for the whole span: 2.42 re-reads the file once per 2-hour block otherwise.
    cmd = [promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=8760h"]
    subprocess.run([*cmd, str(source), str(blocks)], check=True, capture_output=True)
    for data in into:
        data.mkdir(parents=True, exist_ok=True)
        for block in blocks.iterdir():
            shutil.copytree(block, data / block.name)
    source.unlink()
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))
