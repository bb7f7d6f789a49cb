"""Task classifications on the status page: the tasks with the largest share of tokens in
the trailing window, each with its share of requests and its group. The figures are the
rows /metrics renders (``openrouter_task_token_share``, ``openrouter_task_usage_share``)."""

from __future__ import annotations

from collections.abc import Mapping

from exporter.config import Config
from exporter.datasets.page import TOP_N, Bar, Chart, PageSection
from exporter.datasets.task_classifications.config import task_classifications_config
from exporter.datasets.task_classifications.requests import ENDPOINT, WINDOWS
from exporter.datasets.task_classifications.rows import MACRO, TASK, TaskShareRow
from exporter.snapshot import Snapshot
from exporter.viewstatus import Key

SLOT = "tasks"
TITLE = "Top tasks by share of tokens"
SOURCE = "openrouter.ai/rankings"


def section(cfg: Config, snaps: Mapping[Key, Snapshot]) -> PageSection | None:
    if not task_classifications_config(cfg).enabled:
        return None  # switched off: nothing to say, as /metrics says nothing
    held = [w for w in WINDOWS if (ENDPOINT, w) in snaps]
    if not held:
        empty = Chart(TITLE, "", "share", (), None, SOURCE, "No task classifications yet.")
        return PageSection(SLOT, empty)
    return PageSection(SLOT, _chart(held[0], snaps[(ENDPOINT, held[0])]))


def _chart(window: str, snap: Snapshot) -> Chart:
    rows: list[TaskShareRow] = list(snap.rows)
    groups = {r.task: r.name for r in rows if r.kind == MACRO}
    # Ties by tag, so the order is the same on every render.
    tasks = sorted((r for r in rows if r.kind == TASK), key=lambda r: (-r.token_share, r.task))
    top = tasks[:TOP_N]
    first = top[0].token_share if top else 0.0
    bars = tuple(
        Bar(
            i,
            r.name if r.name.strip() else r.task,  # a blank display name: the tag
            r.token_share,
            r.token_share / first if first > 0 else 0.0,
            0,
            detail=f"{r.usage_share * 100:.1f}% of requests · "
            f"{groups.get(r.macro_category) or r.macro_category or 'no group'}",
            exact=f"{r.token_share} of tokens ({r.task})",
        )
        for i, r in enumerate(top, 1)
    )
    end = snap.meta.end_date.isoformat() if snap.meta.end_date else "?"
    days = window.removesuffix("d")  # WINDOWS are "7d"-like
    return Chart(
        TITLE,
        f"{days} days to {end} · classified, sampled traffic · top {len(top)} of "
        f"{len(tasks)} tasks",
        "share",
        bars,
        snap.meta.as_of,
        SOURCE,
        "" if bars else "This window holds no task.",
        what="task",
        heading="tokens",
    )
