"""The benchmarks families: scores are values, never labels; a null score is no series."""

from __future__ import annotations

from exporter.config import Config
from exporter.datasets.benchmarks.config import benchmarks_config
from exporter.datasets.benchmarks.rows import SOURCE, BenchmarkRow
from exporter.metrictext import CACHED, Family, Fragment, label_string, sample_line
from exporter.snapshot import Snapshot

MODEL = ("model", "author", "variant")
OR = ("benchmark", *MODEL)
ARENA = ("arena", "category", *MODEL)
# The licence of each source's data as far as the API says: OpenRouter's own is the Data
# API's CC BY 4.0 (*inferred*); the third parties' the API does not state.
LICENSES = {"openrouter.ai/benchmarks": "CC-BY-4.0"}


def _fam(short: str, name: str, text: str, labels: tuple[str, ...]) -> tuple[str, Family]:
    return short, Family(f"openrouter_benchmark_{name}", f"{text} {CACHED}", labels)


FAMILIES = dict(
    (
        _fam(
            "index",
            "index",
            "Artificial Analysis composite index of the model (higher is better).",
            ("index", *MODEL),
        ),
        _fam(
            "score",
            "score_ratio",
            "Headline score (0-1) of the model on an OpenRouter "
            "benchmark; metric says what it measures.",
            ("benchmark", "metric", *MODEL),
        ),
        _fam(
            "score_stddev",
            "score_stddev_ratio",
            "Standard deviation (0-1) of the score across runs.",
            OR,
        ),
        _fam("cost_per_task", "cost_per_task_dollars", "Average USD per benchmark task.", OR),
        _fam(
            "latency_per_task",
            "latency_per_task_seconds",
            "Average wall-clock seconds per search benchmark task.",
            OR,
        ),
        _fam("tasks", "tasks", "Benchmark tasks evaluated across the published runs.", OR),
        _fam(
            "last_run",
            "last_run_timestamp_seconds",
            "When the newest run behind the score ran.",
            OR,
        ),
        _fam(
            "search_lane",
            "search_lane_info",
            "The search engine and request surface of "
            "the configuration published for the model on a search benchmark (its best).",
            ("benchmark", "model", "search_engine", "search_surface"),
        ),
        _fam(
            "elo", "elo", "Design Arena Elo rating of the model in the arena and category.", ARENA
        ),
        _fam(
            "win",
            "win_ratio",
            "Design Arena head-to-head win ratio (0-1) of the model in the arena and category.",
            ARENA,
        ),
        _fam(
            "generation",
            "generation_seconds",
            "Design Arena average generation time of the model's entries.",
            ARENA,
        ),
        _fam(
            "tournaments",
            "tournaments",
            "Design Arena tournaments the model played in the arena and category.",
            ARENA,
        ),
        _fam(
            "placements",
            "tournament_placements",
            "Design Arena tournaments the model finished in each place (first to fourth) "
            "in the arena and category.",
            (*ARENA, "place"),
        ),
        _fam(
            SOURCE,
            "source_info",
            "Where each view's scores come from (meta.source_url) "
            "and their licence as far as the API says (unknown: it states none); credit "
            "each score to its source.",
            ("view", "source", "license"),
        ),
    )
)


def _labels(r: BenchmarkRow, names: tuple[str, ...], view: str) -> list[str]:
    author = r.model.split("/", 1)[0] if "/" in r.model else ""
    variant = r.model.rpartition(":")[2] if ":" in r.model else ""
    known = {
        "author": author,
        "variant": variant,
        "view": view,
        "source": r.category,
        "license": LICENSES.get(r.category, "unknown"),
    }
    return [known[n] if n in known else getattr(r, n) for n in names]


class BenchmarksCollector:
    """Benchmark scores by model. Emits, for example::

        openrouter_benchmark_elo{arena="models",category="3d",\
model="anthropic/claude-4.5-opus-20251124",author="anthropic",variant=""} 1420.1
    """

    families = tuple(FAMILIES.values())
    info_families = ()

    def __init__(self, cfg: Config) -> None:
        self.enabled = benchmarks_config(cfg).enabled

    def render(self, snap: Snapshot) -> Fragment:
        if not self.enabled:
            return {}
        lines: dict[str, list[str]] = {}
        seen: set[tuple[str, ...]] = set()
        for r in snap.rows:
            fam = FAMILIES.get(r.family) if isinstance(r, BenchmarkRow) else None
            if fam is None:
                continue  # a damaged state file: skip the row, never fail the render
            values = _labels(r, fam.labels, snap.view)
            if (fam.name, *values) in seen:
                continue  # first wins: never a duplicate series
            seen.add((fam.name, *values))
            text = sample_line(fam.name, label_string(fam.labels, values), r.value)
            lines.setdefault(fam.name, []).append(text)
        return {name: "".join(text) for name, text in lines.items()}

    def info(self) -> Fragment:
        return {}
