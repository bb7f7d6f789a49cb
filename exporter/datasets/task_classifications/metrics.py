"""The task-classifications families: shares of classified traffic by task, macro-category
and the task's top models. Shares only: the API publishes no volumes (its data is sampled)."""

from __future__ import annotations

from exporter.config import Config
from exporter.datasets.task_classifications.config import task_classifications_config
from exporter.datasets.task_classifications.rows import MACRO, MODEL, TASK, TaskShareRow
from exporter.metrictext import CACHED, Family, Fragment, label_string, sample_line
from exporter.snapshot import Snapshot

TRAILING = "A trailing window: consecutive days overlap."


def _fam(name: str, text: str, labels: tuple[str, ...]) -> Family:
    return Family(name, f"{text} {TRAILING} {CACHED}", labels)


def model_labels(model: str) -> list[str]:
    """model, author (before /), variant (after :), as on openrouter_model_*."""
    author = model.split("/", 1)[0] if "/" in model else ""
    variant = model.rpartition(":")[2] if ":" in model else ""
    return [model, author, variant]


class TaskClassificationsCollector:
    """Shares of classified, sampled traffic in the window. Emits, for example::

        openrouter_task_token_share{window="7d",macro_category="code",\
task="code:general_impl",task_name="General implementation"} 0.21
    """

    TASK_LABELS = ("window", "macro_category", "task", "task_name")
    MACRO_LABELS = ("window", "macro_category", "macro_category_name")
    MODEL_LABELS = ("window", "task", "model", "author", "variant")
    TASK_USAGE = _fam(
        "openrouter_task_usage_share",
        "Share (0-1) of classified sampled requests in the window that were this task; "
        "the unclassified bucket is excluded, so the tasks sum to 1.",
        TASK_LABELS,
    )
    TASK_TOKENS = _fam(
        "openrouter_task_token_share",
        "Share (0-1) of classified sampled tokens (prompt + completion) in the window that "
        "were this task; the tasks sum to 1.",
        TASK_LABELS,
    )
    MACRO_USAGE = _fam(
        "openrouter_task_macro_usage_share",
        "Share (0-1) of classified sampled requests in the window that were this "
        "macro-category (code, data, agent, general).",
        MACRO_LABELS,
    )
    MACRO_TOKENS = _fam(
        "openrouter_task_macro_token_share",
        "Share (0-1) of classified sampled tokens in the window that were this macro-category.",
        MACRO_LABELS,
    )
    MODEL_USAGE = _fam(
        "openrouter_task_model_usage_share",
        "Share (0-1) of the task's sampled requests served by the model; top models only, "
        "so a task's models sum to at most 1.",
        MODEL_LABELS,
    )
    MODEL_TOKENS = _fam(
        "openrouter_task_model_token_share",
        "Share (0-1) of the task's sampled tokens served by the model; top models only.",
        MODEL_LABELS,
    )
    families = (TASK_USAGE, TASK_TOKENS, MACRO_USAGE, MACRO_TOKENS, MODEL_USAGE, MODEL_TOKENS)
    info_families = ()

    def __init__(self, cfg: Config) -> None:
        self.enabled = task_classifications_config(cfg).enabled

    def render(self, snap: Snapshot) -> Fragment:
        if not self.enabled:
            return {}
        lines: dict[str, list[str]] = {f.name: [] for f in self.families}
        pairs = {
            TASK: (self.TASK_USAGE, self.TASK_TOKENS),
            MACRO: (self.MACRO_USAGE, self.MACRO_TOKENS),
            MODEL: (self.MODEL_USAGE, self.MODEL_TOKENS),
        }
        seen: set[tuple[str, str, str]] = set()
        for r in snap.rows:
            if not isinstance(r, TaskShareRow) or r.kind not in pairs:
                continue  # a damaged state file: skip the row, never fail the render
            ident = (r.kind, r.task, r.model)
            if ident in seen:
                continue  # first wins: never a duplicate series
            seen.add(ident)
            usage, tokens = pairs[r.kind]
            labels = label_string(usage.labels, self._values(snap.view, r))
            lines[usage.name].append(sample_line(usage.name, labels, r.usage_share))
            lines[tokens.name].append(sample_line(tokens.name, labels, r.token_share))
        return {name: "".join(text) for name, text in lines.items() if text}

    @staticmethod
    def _values(window: str, r: TaskShareRow) -> list[str]:
        if r.kind == TASK:
            return [window, r.macro_category, r.task, r.name]
        if r.kind == MACRO:
            return [window, r.task, r.name]
        return [window, r.task, *model_labels(r.model)]

    def info(self) -> Fragment:
        return {}
